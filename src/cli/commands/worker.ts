/**
 * `threatdraft worker [--concurrency N]`: a BullMQ worker for the crawl and assess queues on the
 * Redis in REDIS_URL. Runs until SIGTERM or SIGINT, then stops taking jobs and finishes the ones in
 * flight (graceful shutdown); jobs of a worker killed outright are recovered as stalled jobs.
 */
import { ConfigError } from '../../errors.js';
import type { Io } from '../io.js';
import { parsePositiveInt } from './run.js';
import type { DefineCommand } from './types.js';

interface WorkerCommandOptions {
  concurrency?: string;
  namespace?: string;
  rateLimit?: string;
  lockMs?: string;
  stalledMs?: string;
  backoffMs?: string;
  attempts?: string;
  openaiBaseUrl?: string;
}

export const defineWorker: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('worker')
    .description('Process pipeline jobs from Redis (REDIS_URL) until SIGTERM or SIGINT.')
    .option('--concurrency <N>', 'assess jobs in flight in this process (default THREATDRAFT_MODEL_CONCURRENCY, 4)')
    .option('--rate-limit <N>', 'at most N assess jobs started per second across all workers (model rate limit)')
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default threatdraft)')
    .option('--lock-ms <MS>', 'job lock duration: a dead worker\'s jobs are recovered after it (default 30000)')
    .option('--stalled-ms <MS>', 'how often stalled jobs are looked for (default 30000)')
    .option('--backoff-ms <MS>', 'first retry delay, doubling per attempt (default 1000)')
    .addHelpText('after', '\nNeeds REDIS_URL (redis://host:port). Logs go to stderr; "ready" is printed once listening.')
    .action(async (options: WorkerCommandOptions) => {
      setExitCode(await runWorker(options, io));
    });
};

async function runWorker(options: WorkerCommandOptions, io: Io): Promise<number> {
  const concurrencyFlag = parsePositiveInt('concurrency', options.concurrency);
  const rateLimit = parsePositiveInt('rate-limit', options.rateLimit);
  const lockMs = parsePositiveInt('lock-ms', options.lockMs);
  const stalledMs = parsePositiveInt('stalled-ms', options.stalledMs);
  const backoffMs = parsePositiveInt('backoff-ms', options.backoffMs);
  const { loadEnv } = await import('../../config.js');
  const env = loadEnv(io.env);
  if (env.REDIS_URL === undefined) {
    throw new ConfigError('E_CONFIG', 'threatdraft worker needs REDIS_URL (for example redis://127.0.0.1:6379)');
  }
  const redisUrl = env.REDIS_URL;
  const concurrency = concurrencyFlag ?? env.THREATDRAFT_MODEL_CONCURRENCY;
  const [{ startWorkers }, { prefixesFor }, { RedisStore }, { assessorFactory, fetcherForSource }, { DEFAULT_ATTEMPT_POLICY }, { createLogger }] = await Promise.all([
    import('../../../queues/worker.js'),
    import('../../../queues/names.js'),
    import('../../store/redis-store.js'),
    import('../../pipeline/wiring.js'),
    import('../../pipeline/attempts.js'),
    import('../../log.js'),
  ]);
  const logger = createLogger(env.LOG_LEVEL, 'threatdraft-worker');
  const prefixes = prefixesFor(options.namespace);
  // Store commands wait through a Redis restart longer than the default, so jobs do not fail for it.
  const store = new RedisStore({ url: redisUrl, prefix: prefixes.store, maxRetriesPerRequest: 40 });
  const assessorFor = assessorFactory({ env, cache: store.cache, logger });
  const handle = await startWorkers({
    redisUrl,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    store,
    assessorFor,
    fetcherFor: (source) => fetcherForSource(source, env.THREATDRAFT_CONTACT_URL),
    concurrency,
    ...(rateLimit === undefined ? {} : { rateLimit: { max: rateLimit, durationMs: 1000 } }),
    ...(lockMs === undefined ? {} : { lockDurationMs: lockMs }),
    ...(stalledMs === undefined ? {} : { stalledIntervalMs: stalledMs }),
    policy: { ...DEFAULT_ATTEMPT_POLICY, ...(backoffMs === undefined ? {} : { backoffMs }) },
    onFailed: (queue, job, error) =>
      logger.warn({ queue, jobId: job?.id ?? null, attempt: job?.attemptsMade ?? null, code: (error as { code?: unknown }).code ?? null }, error.message),
    onError: (error) => logger.error({ code: (error as { code?: unknown }).code ?? null }, error.message),
  });
  io.stderr.write(`threatdraft worker: ready (pid ${process.pid}, concurrency ${concurrency})\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  io.stderr.write(`threatdraft worker: ${signal}: finishing jobs in flight\n`);
  await handle.close();
  await store.close();
  io.stderr.write('threatdraft worker: stopped\n');
  return 0;
}
