/**
 * A fixed-window rate limiter in process memory (pure apart from the injected clock): at most
 * `max` hits per key per window. Used for the public corrections form, per client address; a
 * server behind a load balancer limits per instance.
 */
export interface RateLimitOptions {
  /** Hits allowed per key and window. @default 5 */
  max?: number;
  /** @default 600000 (10 minutes) */
  windowMs?: number;
  /** Keys tracked at most; the oldest windows are forgotten first. @default 10000 */
  maxKeys?: number;
  /** @default Date.now */
  now?: () => number;
}

export class RateLimiter {
  readonly max: number;
  readonly windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; hits: number }>();

  constructor(options: RateLimitOptions = {}) {
    this.max = options.max ?? 5;
    this.windowMs = options.windowMs ?? 600_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Counts a hit; false when the key is over its limit (the hit is not counted then), with the ms until the window ends. */
  hit(key: string): { allowed: boolean; retryAfterMs: number } {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= this.windowMs) {
      window = { start: now, hits: 0 };
      this.#windows.delete(key);
      this.#windows.set(key, window);
      if (this.#windows.size > this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value as string);
    }
    const retryAfterMs = window.start + this.windowMs - now;
    if (window.hits >= this.max) return { allowed: false, retryAfterMs };
    window.hits += 1;
    return { allowed: true, retryAfterMs };
  }
}
