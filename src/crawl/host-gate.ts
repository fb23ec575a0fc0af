/**
 * Per-host politeness for the fetcher: at most `concurrency` requests to one origin at once, and
 * starts at least `intervalMs` apart. A request that may start at once costs a counter and no
 * listener; only one that has to wait is queued, and only while it waits does it listen to its
 * signal (an abort takes it out of the line and rejects it with the signal's reason).
 */

/** Options of {@link HostGate}. */
export interface HostGateOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Least time between two starts (0: none). */
  intervalMs: number;
  /** @default Date.now */
  now?: () => number;
}

interface Waiter {
  start: () => void;
  reject: (reason: unknown) => void;
  unlisten: () => void;
}

/** One origin's gate. */
export class HostGate {
  readonly #concurrency: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #active = 0;
  #nextStartAt = 0;
  #line: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** @throws RangeError for a concurrency below 1 or a negative interval. */
  constructor(options: HostGateOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`Expected a concurrency of 1 or more, got ${options.concurrency}`);
    if (!(options.intervalMs >= 0)) throw new RangeError(`Expected an interval of 0 ms or more, got ${options.intervalMs}`);
    this.#concurrency = options.concurrency;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? Date.now;
  }

  /** Requests running now, and waiting. */
  get counts(): { active: number; waiting: number } {
    return { active: this.#active, waiting: this.#line.length };
  }

  /**
   * Runs `task` once the gate lets it start.
   * @throws the signal's reason when it aborts before the task starts; whatever the task throws.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#line.length > 0 || !this.#mayStart()) await this.#wait(signal);
    else this.#begin();
    try {
      return await task();
    } finally {
      this.#active -= 1;
      this.#pump();
    }
  }

  /** Rejects every request still waiting with `reason` (the fetcher closing). */
  clear(reason: unknown): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#line.splice(0)) {
      waiter.unlisten();
      waiter.reject(reason);
    }
  }

  #mayStart(): boolean {
    return this.#active < this.#concurrency && this.#now() >= this.#nextStartAt;
  }

  #begin(): void {
    this.#active += 1;
    if (this.#intervalMs > 0) this.#nextStartAt = this.#now() + this.#intervalMs;
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          waiter.unlisten();
          this.#begin();
          resolve();
        },
        reject,
        unlisten: () => undefined,
      };
      if (signal !== undefined) {
        const onAbort = (): void => {
          const at = this.#line.indexOf(waiter);
          if (at >= 0) this.#line.splice(at, 1);
          reject(signal.reason);
          this.#pump();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.#line.push(waiter);
      this.#pump();
    });
  }

  /** Starts waiters while slots and the interval allow; when only the interval holds them, wakes up when it has passed. */
  #pump(): void {
    while (this.#line.length > 0 && this.#mayStart()) (this.#line.shift() as Waiter).start();
    if (this.#line.length === 0 || this.#timer !== undefined || this.#active >= this.#concurrency) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump();
      },
      Math.max(0, this.#nextStartAt - this.#now()),
    );
  }
}
