/** Retry timing for the fetcher (pure): Retry-After parsing and exponential backoff with jitter. */

/**
 * Milliseconds to wait from a Retry-After header value: delay-seconds or an HTTP-date relative to
 * `nowMs`; `undefined` when absent or unparsable. A date in the past means 0.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only accept things that look like an HTTP-date; Date.parse alone accepts too much ("1.5").
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Backoff settings. */
export interface BackoffOptions {
  /** Delay before the second attempt, doubled each further attempt. */
  baseDelayMs: number;
  /** Upper bound of any computed delay. */
  maxDelayMs: number;
}

/**
 * The wait after failed attempt number `attempt` (1-based): `base × 2^(attempt−1)`, capped, then
 * "equal jitter" (half fixed, half random) so retries from many workers spread out but never collapse to 0.
 * `random` returns a number in [0, 1).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
