import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { borrowSignal, BudgetLane, linkedSignal, startBudget, startDeadline } from '../src/abort.js';

describe('startDeadline', () => {
  it('aborts with a TimeoutError after its time and says it timed out', async () => {
    const deadline = startDeadline(undefined, 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(deadline.timedOut()).toBe(true);
    deadline.dispose();
  });

  it('aborts with the parent reason when the parent aborts, not as a timeout', () => {
    const parent = new AbortController();
    const deadline = startDeadline(parent.signal, 60_000);
    parent.abort(new Error('stop'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('stop');
    expect(deadline.timedOut()).toBe(false);
    deadline.dispose();
    expect(startDeadline(parent.signal, 60_000).signal.aborted).toBe(true);
  });

  it('leaves nothing behind once disposed: no timer fires, the parent forgets it', async () => {
    const parent = new AbortController();
    const deadline = startDeadline(parent.signal, 20);
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.signal.aborted).toBe(false);
    parent.abort();
    expect(deadline.signal.aborted).toBe(false);
  });
});

describe('startDeadline on one shared parent', () => {
  it('puts one abort listener on the parent however many deadlines link to it, and removes it with the last', () => {
    const parent = new AbortController();
    const deadlines = Array.from({ length: 20 }, () => startDeadline(parent.signal, 60_000));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    for (const deadline of deadlines.slice(0, 19)) deadline.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    deadlines[19]!.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    // Linking again after all were disposed starts over with one listener.
    const again = startDeadline(parent.signal, 60_000);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    again.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('aborts every linked deadline with the parent reason, but not one already disposed', () => {
    const parent = new AbortController();
    const deadlines = Array.from({ length: 15 }, () => startDeadline(parent.signal, 60_000));
    const disposed = startDeadline(parent.signal, 60_000);
    disposed.dispose();
    parent.abort(new Error('stop'));
    expect(deadlines.every((deadline) => deadline.signal.aborted && (deadline.signal.reason as Error).message === 'stop')).toBe(true);
    expect(deadlines.some((deadline) => deadline.timedOut())).toBe(false);
    expect(disposed.signal.aborted).toBe(false);
    for (const deadline of deadlines) deadline.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('keeps the parents apart: aborting one leaves deadlines on another running', () => {
    const one = new AbortController();
    const two = new AbortController();
    const onOne = startDeadline(one.signal, 60_000);
    const onTwo = startDeadline(two.signal, 60_000);
    one.abort();
    expect(onOne.signal.aborted).toBe(true);
    expect(onTwo.signal.aborted).toBe(false);
    onOne.dispose();
    onTwo.dispose();
    expect(getEventListeners(two.signal, 'abort')).toHaveLength(0);
  });
});

describe('linkedSignal', () => {
  it('aborts with the parent reason, through one listener on the parent for any number of links', () => {
    const parent = new AbortController();
    const links = Array.from({ length: 16 }, () => linkedSignal(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('stop'));
    expect(links.every((link) => link.signal?.aborted === true && (link.signal.reason as Error).message === 'stop')).toBe(true);
    for (const link of links) link.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('is unlinked once disposed, starts aborted under an aborted parent, and is absent without a parent', () => {
    const parent = new AbortController();
    const link = linkedSignal(parent.signal);
    link.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(link.signal?.aborted).toBe(false);
    expect(linkedSignal(parent.signal).signal?.aborted).toBe(true);
    expect(linkedSignal(undefined).signal).toBeUndefined();
  });
});

describe('startBudget', () => {
  it('throws from check once its time is spent, naming the step, and aborts its signal for I/O', async () => {
    let clock = 0;
    const budget = startBudget(undefined, 50, (step) => new Error(`spent at ${step}`), () => clock);
    budget.check('parse');
    clock = 49;
    budget.check('fields');
    clock = 50;
    expect(() => budget.check('main text')).toThrow('spent at main text');
    expect(budget.exceeded()).toBe(true);
    expect(budget.step()).toBe('main text');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(budget.signal.aborted).toBe(true);
    budget.dispose();
  });

  it('is not exceeded when its parent aborts', () => {
    const parent = new AbortController();
    const budget = startBudget(parent.signal, 60_000, () => new Error('spent'));
    parent.abort(new Error('stop'));
    expect(budget.signal.aborted).toBe(true);
    expect(budget.exceeded()).toBe(false);
    budget.dispose();
  });
});

describe('BudgetLane', () => {
  const fail = (step: string): Error => new Error(`spent at ${step}`);

  it('gives budgets run one after another the same signal, linked to the parent through one listener', () => {
    const parent = new AbortController();
    const lane = new BudgetLane(parent.signal);
    const first = lane.start(60_000, fail);
    first.dispose();
    const second = lane.start(60_000, fail);
    expect(second.signal).toBe(first.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    second.dispose();
    lane.close();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('aborts the running budget when its time runs out, and the next budget gets a fresh signal', async () => {
    const lane = new BudgetLane(undefined);
    const spent = lane.start(20, fail);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(spent.signal.aborted).toBe(true);
    expect((spent.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(spent.exceeded()).toBe(true);
    expect(() => spent.check('fetching')).toThrow('spent at fetching');
    spent.dispose();
    const next = lane.start(60_000, fail);
    expect(next.signal).not.toBe(spent.signal);
    expect(next.signal.aborted).toBe(false);
    expect(next.exceeded()).toBe(false);
    next.dispose();
    lane.close();
  });

  it('does not let a disposed budget\'s timer abort the signal the next budget uses', async () => {
    const lane = new BudgetLane(undefined);
    lane.start(20, fail).dispose();
    const next = lane.start(60_000, fail);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(next.signal.aborted).toBe(false);
    next.dispose();
    lane.close();
  });

  it('aborts with the parent (not as a budget that ran out) and starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    const lane = new BudgetLane(parent.signal);
    const running = lane.start(60_000, fail);
    parent.abort(new Error('stop'));
    expect(running.signal.aborted).toBe(true);
    expect((running.signal.reason as Error).message).toBe('stop');
    expect(running.exceeded()).toBe(false);
    running.dispose();
    const after = lane.start(60_000, fail);
    expect(after.signal.aborted).toBe(true);
    after.dispose();
    lane.close();
  });
});

describe('borrowSignal', () => {
  it('lends the signal itself to one holder at a time and a linked child to any other, adding one listener to it for them all', () => {
    const parent = new AbortController();
    const first = borrowSignal(parent.signal);
    expect(first.signal).toBe(parent.signal);
    const others = Array.from({ length: 20 }, () => borrowSignal(parent.signal));
    expect(others.every((other) => other.signal !== parent.signal)).toBe(true);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('stop'));
    expect(others.every((other) => other.signal?.aborted === true && (other.signal.reason as Error).message === 'stop')).toBe(true);
    for (const other of others) other.dispose();
    first.dispose();
  });

  it('lends the signal itself again once its holder gave it back, and nothing without a signal', () => {
    const parent = new AbortController();
    borrowSignal(parent.signal).dispose();
    const again = borrowSignal(parent.signal);
    expect(again.signal).toBe(parent.signal);
    again.dispose();
    expect(borrowSignal(undefined).signal).toBeUndefined();
  });
});
