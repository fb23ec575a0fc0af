import { describe, expect, it } from 'vitest';
import { exitOnSignals, untilAborted } from '../../src/cli/signals.js';

describe('exitOnSignals', () => {
  it('aborts on the first signal, exits 143 after the grace period, and at once with 130 on a second signal', async () => {
    const exits: number[] = [];
    const seen: string[] = [];
    const controller = new AbortController();
    const stop = exitOnSignals(controller, { message: 'Test interrupted', graceMs: 50, onSignal: (signal) => seen.push(signal), exit: (code) => exits.push(code) });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      expect(controller.signal.aborted).toBe(true);
      expect(controller.signal.reason).toMatchObject({ code: 'E_INTERRUPTED', message: 'Test interrupted (SIGTERM)' });
      expect(seen).toEqual(['SIGTERM']);
      expect(exits).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(exits).toEqual([143]);
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([143, 130]);
      expect(seen).toEqual(['SIGTERM']);
    } finally {
      stop();
    }
    const before = exits.length;
    process.emit('SIGINT', 'SIGINT');
    expect(exits).toHaveLength(before);
  });

  it('untilAborted rejects with the abort reason while the promise is still pending', async () => {
    const controller = new AbortController();
    const pending = new Promise<string>(() => undefined);
    const waiting = untilAborted(pending, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    await expect(untilAborted(Promise.resolve('done'), new AbortController().signal)).resolves.toBe('done');
  });
});
