/**
 * `threatdraft worker [--concurrency N]`: a BullMQ worker for the crawl and assess queues on the
 * Redis in REDIS_URL. Runs until SIGTERM or SIGINT, then stops taking jobs and finishes the ones in
 * flight (graceful shutdown); jobs of a worker killed outright are recovered as stalled jobs.
 */
import { ConfigError } from '../../errors.js';
import { safeRedisUrl } from '../../store/redis-url.js';
import type { Io } from '../io.js';
import { exitOnSignals, untilAborted } from '../signals.js';
import { parseNamespace, parsePositiveInt } from './run.js';
import type { DefineCommand } from './types.js';

interface WorkerCommandOptions {
  concurrency?: string;
  namespace?: string;
  rateLimit?: string;
  lockMs?: string;
  stalledMs?: string;
  backoffMs?: string;
  data?: string;
}

export const defineWorker: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('worker')
    .description('Process pipeline jobs from Redis (REDIS_URL) until SIGTERM or SIGINT.')
    .option('--concurrency <N>', 'model calls in flight in this process; assess jobs: twice N (default THREATDRAFT_MODEL_CONCURRENCY, 4)')
    .option('--rate-limit <N>', 'at most N assess jobs started per second across all workers (model rate limit)')
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default THREATDRAFT_NAMESPACE, or threatdraft)')
    .option('--lock-ms <MS>', 'job lock duration: a dead worker\'s jobs are recovered after it (default 30000)')
    .option('--stalled-ms <MS>', 'how often stalled jobs are looked for (default 30000)')
    .option('--backoff-ms <MS>', 'first retry delay, doubling per attempt (default 1000)')
    .option('--data <DIR>', 'accepted like every command, but unused: the worker keeps everything in Redis (REDIS_URL)')
    .addHelpText(
      'after',
      `
Needs REDIS_URL (redis://host:port). For a Redis Cluster, REDIS_URL names any node (detected with INFO
cluster) and REDIS_CLUSTER_NODES=host:port,… may list more seeds. While Redis cannot be reached the worker waits, retrying with
backoff (up to 5 s apart, one log line per attempt). Logs go to stderr; "ready" is printed once listening.`,
    )
    .action(async (options: WorkerCommandOptions) => {
      setExitCode(await runWorker(options, io));
    });
};

/** One log line per distinct error per window: an outage makes every connection report each reconnect. */
function throttled(windowMs: number, log: (message: string, repeated: number) => void): (message: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (message) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen !== undefined && now - seen.at < windowMs) {
      seen.suppressed += 1;
      return;
    }
    if (last.size > 100) last.clear();
    last.set(message, { at: now, suppressed: 0 });
    log(message, seen?.suppressed ?? 0);
  };
}

async function runWorker(options: WorkerCommandOptions, io: Io): Promise<number> {
  const concurrencyFlag = parsePositiveInt('concurrency', options.concurrency);
  const rateLimit = parsePositiveInt('rate-limit', options.rateLimit);
  const lockMs = parsePositiveInt('lock-ms', options.lockMs);
  const stalledMs = parsePositiveInt('stalled-ms', options.stalledMs);
  const backoffMs = parsePositiveInt('backoff-ms', options.backoffMs);
  const namespaceFlag = parseNamespace(options.namespace);
  const { loadEnv } = await import('../../config.js');
  const env = loadEnv(io.env);
  if (env.REDIS_URL === undefined) {
    throw new ConfigError('E_CONFIG', 'threatdraft worker needs REDIS_URL (for example redis://127.0.0.1:6379)');
  }
  const redisUrl = env.REDIS_URL;
  const { redisTargetFrom } = await import('../../store/redis-target.js');
  const named = redisTargetFrom(redisUrl, env.REDIS_CLUSTER_NODES) ?? redisUrl;
  const namespace = namespaceFlag ?? env.THREATDRAFT_NAMESPACE;
  const concurrency = concurrencyFlag ?? env.THREATDRAFT_MODEL_CONCURRENCY;

  // Listen before anything can block: a worker waiting for Redis must still stop at once.
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const stopListening = exitOnSignals(controller, {
    message: 'Worker stopped',
    // Jobs in flight get this long to finish; a job cut off is recovered as stalled by another worker.
    graceMs: Math.max(lockMs ?? 30_000, env.THREATDRAFT_MODEL_TIMEOUT_MS) + 5000,
    onSignal: (signal) => (received = signal),
  });
  try {
    const [{ waitForRedis }, { startWorkers }, { RedisStore }, { assessorFactory, fetcherForSource }, { DEFAULT_ATTEMPT_POLICY }, { createLogger }, { resolveRedisTarget }] =
      await Promise.all([
        import('../../../queues/connect.js'),
        import('../../../queues/worker.js'),
        import('../../store/redis-store.js'),
        import('../../pipeline/wiring.js'),
        import('../../pipeline/attempts.js'),
        import('../../log.js'),
        import('../../store/redis-client.js'),
      ]);
    const logger = createLogger(env.LOG_LEVEL, 'threatdraft-worker');
    const redis = safeRedisUrl(redisUrl);
    const reachable = await waitForRedis(named, {
      signal: controller.signal,
      onRetry: ({ attempt, delayMs, error }) => logger.warn({ redis, attempt, retryInMs: delayMs, code: error.code }, `${error.message}; retrying`),
    });
    if (!reachable) {
      io.stderr.write(`threatdraft worker: ${received ?? 'stopped'} while waiting for Redis at ${redis}: stopped\n`);
      return 0;
    }

    const { prefixesFor } = await import('../../../queues/names.js');
    // A cluster node (INFO cluster) switches store and queues to a cluster client with hash-tagged keys.
    const target = await resolveRedisTarget(named);
    // Store commands wait through a Redis restart longer than the default, so jobs do not fail for it.
    const store = new RedisStore({ url: target, prefix: prefixesFor(namespace, target).store, maxRetriesPerRequest: 40 });
    const assessorFor = assessorFactory({ env, cache: store.cache, logger, fewShotFrom: store });
    const logError = throttled(5000, (message, repeated) => logger.error({ redis, ...(repeated > 0 ? { repeated } : {}) }, message));
    const starting = startWorkers({
      redisUrl: target,
      namespace,
      store,
      assessorFor,
      fetcherFor: (source) => fetcherForSource(source, env.THREATDRAFT_CONTACT_URL),
      chromiumPath: env.THREATDRAFT_CHROMIUM_PATH,
      concurrency,
      listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS,
      ...(rateLimit === undefined ? {} : { rateLimit: { max: rateLimit, durationMs: 1000 } }),
      ...(lockMs === undefined ? {} : { lockDurationMs: lockMs }),
      ...(stalledMs === undefined ? {} : { stalledIntervalMs: stalledMs }),
      policy: { ...DEFAULT_ATTEMPT_POLICY, ...(backoffMs === undefined ? {} : { backoffMs }) },
      onFailed: (queue, job, error) =>
        logger.warn({ queue, jobId: job?.id ?? null, attempt: job?.attemptsMade ?? null, code: (error as { code?: unknown }).code ?? null }, error.message),
      onError: (error) => logError(error.message),
    });
    try {
      await untilAborted(starting, controller.signal);
      const mode = typeof target === 'string' ? '' : `, Redis Cluster via ${target.nodes.length} seed node${target.nodes.length === 1 ? '' : 's'}`;
      io.stderr.write(`threatdraft worker: ready (pid ${process.pid}, concurrency ${concurrency}, namespace ${namespace}${mode})\n`);
      await new Promise<void>((resolve) => {
        if (controller.signal.aborted) resolve();
        controller.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      io.stderr.write(`threatdraft worker: ${received ?? 'stopping'}: finishing jobs in flight\n`);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      await starting.then((handle) => handle.close()).catch(() => undefined);
      await store.close();
    }
    io.stderr.write('threatdraft worker: stopped\n');
    return 0;
  } finally {
    stopListening();
  }
}
