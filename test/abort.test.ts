import { describe, expect, it } from 'vitest';
import { startDeadline } from '../src/abort.js';

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
