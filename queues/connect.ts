/**
 * Reaching Redis before a command commits to it. BullMQ connections wait through outages forever
 * (right for a worker mid-run, wrong before anything started): a one-shot command checks once with
 * a bounded connect timeout and fails with E_REDIS; a worker waits, backing off, until Redis answers
 * or it is told to stop.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { TransientError, toError } from '../src/errors.js';
import { isClusterTarget, targetUrl, type RedisTarget } from '../src/store/redis-target.js';
import { oneShotOptions } from '../src/store/redis-client.js';
import { safeRedisUrl } from '../src/store/redis-url.js';
import { bullConnection } from './names.js';

/** Options of {@link checkRedis}. */
export interface CheckRedisOptions {
  /** Give up when Redis has not answered PING within this long. @default 3000 */
  timeoutMs?: number;
  /** Gives up at once (rejecting with the abort reason) when aborted. */
  signal?: AbortSignal | undefined;
}

/**
 * Connects once and sends PING; resolves when Redis answers. For a cluster target, each seed node
 * in turn until one answers (the cluster client finds the rest from it).
 * @throws TransientError `E_REDIS` naming the URL (without credentials) and the reason.
 */
export async function checkRedis(target: RedisTarget, options: CheckRedisOptions = {}): Promise<void> {
  if (!isClusterTarget(target)) return pingOnce(target, options);
  let last: TransientError | undefined;
  for (const node of target.nodes) {
    const url = new URL(target.url);
    url.hostname = node.host.includes(':') ? `[${node.host}]` : node.host;
    url.port = String(node.port);
    try {
      return await pingOnce(url.toString(), options);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      last = error;
    }
  }
  throw last ?? new TransientError('E_REDIS', `No Redis Cluster seed node given for ${safeRedisUrl(targetUrl(target))}`, { redis: safeRedisUrl(targetUrl(target)) });
}

async function pingOnce(url: string, options: CheckRedisOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const where = safeRedisUrl(url);
  const client = new Redis({ ...(bullConnection(url) as RedisOptions), ...oneShotOptions(timeoutMs) });
  // Failures surface through connect()/ping(); this only keeps ioredis from reporting them unhandled.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const { signal } = options;
  const attempt = client.connect().then(() => client.ping());
  // When the timeout or the signal wins, disconnect() rejects the attempt later: not unhandled.
  attempt.catch(() => undefined);
  try {
    await Promise.race([
      attempt,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        onAbort = () => reject(new AbortedWait());
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted === true) onAbort();
      }),
    ]);
  } catch (thrown) {
    if (thrown instanceof AbortedWait) throw signal?.reason ?? thrown;
    const error = toError(thrown);
    throw new TransientError('E_REDIS', `Cannot reach Redis at ${where}: ${error.message}`, { redis: where }, { cause: error });
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    client.disconnect();
  }
}

class AbortedWait extends Error {}

/** Options of {@link waitForRedis}. */
export interface WaitForRedisOptions extends CheckRedisOptions {
  /** Delay after the first failed attempt, doubling per attempt. @default 250 */
  initialDelayMs?: number;
  /** Longest delay between attempts. @default 5000 */
  maxDelayMs?: number;
  /** Called once per failed attempt, before waiting `delayMs`. */
  onRetry?: (event: { attempt: number; delayMs: number; error: TransientError }) => void;
}

/** The delay after failed attempt `attempt` (1-based): doubling from `initialMs`, at most `maxMs`. */
export function retryDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30), maxMs);
}

/**
 * Tries {@link checkRedis} until it succeeds, backing off exponentially between attempts.
 * Resolves true once Redis answers, false as soon as `signal` aborts (never rejects for Redis).
 */
export async function waitForRedis(url: RedisTarget, options: WaitForRedisOptions = {}): Promise<boolean> {
  const { signal } = options;
  const initialMs = options.initialDelayMs ?? 250;
  const maxMs = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt += 1) {
    if (isAborted(signal)) return false;
    try {
      await checkRedis(url, { signal, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
      return true;
    } catch (thrown) {
      if (isAborted(signal)) return false;
      if (!(thrown instanceof TransientError)) throw thrown;
      const delayMs = retryDelayMs(attempt, initialMs, maxMs);
      options.onRetry?.({ attempt, delayMs, error: thrown });
      if (!(await sleep(delayMs, signal))) return false;
    }
  }
}

// A function, not an inline test, because the signal can abort while an attempt is awaited.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms`; resolves false early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
