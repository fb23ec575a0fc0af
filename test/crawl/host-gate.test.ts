import { describe, expect, it } from 'vitest';
import { HostGate } from '../../src/crawl/host-gate.js';

/** A task that records its start and finishes when told. */
function controlled(log: string[], name: string): { task: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    finish: () => finish(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('HostGate', () => {
  it('runs at most `concurrency` tasks at once, starting the next in line as one ends', async () => {
    const gate = new HostGate({ concurrency: 2, intervalMs: 0 });
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((name) => controlled(log, name));
    const results = tasks.map(({ task }) => gate.run(task));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    expect(gate.counts).toEqual({ active: 2, waiting: 2 });
    tasks[1]?.finish();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    for (const { finish } of tasks) finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(gate.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('starts tasks at least the interval apart, by its clock', async () => {
    const gate = new HostGate({ concurrency: 5, intervalMs: 60 });
    const starts: number[] = [];
    await Promise.all([1, 2, 3].map(() => gate.run(async () => void starts.push(performance.now()))));
    expect(starts).toHaveLength(3);
    // Timers may fire a millisecond early on a busy machine.
    for (let i = 1; i < starts.length; i += 1) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(58);
  });

  it('starts a task at once when a slot is free and the interval has passed, adding no listener to its signal', async () => {
    const gate = new HostGate({ concurrency: 1, intervalMs: 0 });
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof add;
    expect(await gate.run(async () => 'now', controller.signal)).toBe('now');
    expect(listeners).toBe(0);
  });

  it('takes a waiting task out of line when its signal aborts, rejecting it with the reason; the others still run', async () => {
    const gate = new HostGate({ concurrency: 1, intervalMs: 0 });
    const log: string[] = [];
    const first = controlled(log, 'first');
    const running = gate.run(first.task);
    const controller = new AbortController();
    const waiting = gate.run(async () => 'never', controller.signal);
    const after = gate.run(async () => 'after');
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(gate.counts).toEqual({ active: 1, waiting: 1 });
    first.finish();
    expect(await running).toBe('first');
    expect(await after).toBe('after');
    await expect(gate.run(async () => 'x', controller.signal)).rejects.toThrow('gave up');
  });

  it('frees its slot when a task throws', async () => {
    const gate = new HostGate({ concurrency: 1, intervalMs: 0 });
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
    expect(gate.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('rejects every waiting task on clear, and lets running ones finish', async () => {
    const gate = new HostGate({ concurrency: 1, intervalMs: 0 });
    const log: string[] = [];
    const first = controlled(log, 'first');
    const running = gate.run(first.task);
    const waiting = [gate.run(async () => 'a'), gate.run(async () => 'b')];
    gate.clear(new Error('closed'));
    for (const promise of waiting) await expect(promise).rejects.toThrow('closed');
    first.finish();
    expect(await running).toBe('first');
  });

  it('refuses a concurrency below 1 or a negative interval', () => {
    expect(() => new HostGate({ concurrency: 0, intervalMs: 0 })).toThrow(RangeError);
    expect(() => new HostGate({ concurrency: 1, intervalMs: -1 })).toThrow(RangeError);
  });
});
