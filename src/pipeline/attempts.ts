/**
 * One retry policy for both executors: a fixed number of attempts with exponential backoff;
 * permanent failures are not retried. The local executor runs it in process; the BullMQ executor
 * passes the same numbers to BullMQ (`attempts`, `backoff`) and maps PermanentError to
 * UnrecoverableError.
 */
import { ConfigError, InputError, PermanentError, ThreatdraftError, TransientError, toError } from '../errors.js';

/** How often and how patiently a stage is retried. */
export interface AttemptPolicy {
  /** Attempts in all, the first included. @default 3 */
  attempts: number;
  /** Delay before attempt n+1 is `backoffMs * 2^(n-1)`. @default 1000 */
  backoffMs: number;
  /** A server's Retry-After is honoured up to this. @default 30000 */
  maxDelayMs: number;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = { attempts: 3, backoffMs: 1000, maxDelayMs: 30_000 };

export { DEFAULT_LISTING_BUDGET_MS } from '../assess/assessor.js';

/** The wait before the attempt after `attemptsMade` failed ones (pure). */
export function backoffDelay(attemptsMade: number, policy: AttemptPolicy, retryAfterMs?: number): number {
  const exponential = policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.min(policy.maxDelayMs, Math.max(exponential, retryAfterMs ?? 0));
}

/** True when retrying cannot help (bad data or config included). Unknown errors are retried. */
export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || error instanceof InputError || error instanceof ConfigError;
}

/** A stage that failed after its attempts, with why. */
export class StageFailed extends Error {
  readonly code: string;
  readonly attempts: number;
  constructor(cause: Error, attempts: number, note?: string) {
    super(note === undefined ? cause.message : `${cause.message}; ${note}`, { cause });
    this.name = 'StageFailed';
    this.code = cause instanceof ThreatdraftError ? cause.code : 'E_INTERNAL';
    this.attempts = attempts;
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `task(attempt)` until it succeeds, fails permanently, runs out of attempts or would wait
 * past `deadline` (epoch ms, the listing's time budget).
 * @throws StageFailed with the last error and the attempts made; the abort reason when aborted.
 */
export async function withAttempts<T>(
  task: (attempt: number) => Promise<T>,
  policy: AttemptPolicy,
  signal?: AbortSignal,
  deadline?: number,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (thrown) {
      if (signal?.aborted === true) throw signal.reason;
      const error = toError(thrown);
      if (isPermanent(error) || attempt >= policy.attempts) throw new StageFailed(error, attempt);
      const retryAfter = error instanceof TransientError ? error.retryAfterMs : undefined;
      const delay = backoffDelay(attempt, policy, retryAfter);
      if (deadline !== undefined && Date.now() + delay >= deadline) throw new StageFailed(error, attempt, 'the listing\'s time budget ran out');
      await sleep(delay, signal);
    }
  }
}
