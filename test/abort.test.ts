import { describe, expect, it } from 'vitest';
import { startBudget, startDeadline } from '../src/abort.js';

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
