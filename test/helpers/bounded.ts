/**
 * The time bound the property tests put on one input: far above what any input they generate
 * takes (milliseconds), so only a hang or a blow-up (a quadratic path, a loop) can reach it.
 */
export const PROPERTY_TIME_BOUND_MS = 10_000;

/** Runs `fn`, returning its result and how long it took. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}
