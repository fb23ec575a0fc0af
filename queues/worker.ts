/**
 * `threatdraft worker`: BullMQ workers for the `crawl` and `assess` queues in one process.
 * Stalled jobs (a worker killed mid-job) are picked up again by any live worker once their lock
 * expires; `close()` stops taking jobs and waits for the ones in flight (graceful shutdown).
 */
import { Worker, type Job } from 'bullmq';
import type { SourceConfig } from '../schemas/source.js';
import type { Assessor } from '../src/assess/assessor.js';
import type { Fetcher } from '../src/crawl/fetcher.js';
import { DEFAULT_ATTEMPT_POLICY, backoffDelay, type AttemptPolicy } from '../src/pipeline/attempts.js';
import type { AssessorProfile } from '../src/pipeline/profile.js';
import { LISTINGS_PER_MODEL_SLOT, createModelSlots } from '../src/pipeline/model-slots.js';
import type { Store } from '../src/store/store.js';
import type { RedisTarget } from '../src/store/redis-target.js';
import { ASSESS_QUEUE, BATCH_QUEUE, CRAWL_QUEUE, bullConnection, closeBullConnection, prefixesFor } from './names.js';
import { assessProcessor, batchProcessor, crawlProcessor, type AssessProcessorDeps } from './processors.js';

/** The backoff type the producer puts on jobs; the worker's strategy computes its delays. */
export const BACKOFF_TYPE = 'threatdraft';

/** Options of {@link startWorkers}. */
export interface StartWorkersOptions {
  /** A Redis URL, or a cluster target (resolve a URL with `resolveRedisTarget` to run on a cluster). */
  redisUrl: RedisTarget;
  /** @default 'threatdraft' */
  namespace?: string;
  store: Store;
  assessorFor(kind: 'rules' | 'openai'): Promise<{ assessor: Assessor; profile: AssessorProfile }>;
  fetcherFor(source: SourceConfig): Promise<Fetcher>;
  /** Chromium for sources with `render: browser | auto`. */
  chromiumPath?: string | undefined;
  /**
   * Model calls in flight in this process (model concurrency per worker); assess jobs in flight:
   * twice this, so job bookkeeping, store I/O and checks overlap with model calls. @default 4
   */
  concurrency?: number;
  /** Crawl jobs in flight in this process. @default 1 */
  crawlConcurrency?: number;
  /** Model calls: at most `max` assess jobs started per `durationMs`, across all workers. */
  rateLimit?: { max: number; durationMs: number } | undefined;
  /** Backoff steps (attempt counts come from the job). @default DEFAULT_ATTEMPT_POLICY */
  policy?: AttemptPolicy;
  /** Total time one listing may take across its attempts and waits. @default 90000 */
  listingBudgetMs?: number;
  /** Between polls of a Batch API batch. @default 30000 */
  batchPollMs?: number;
  /** A job's lock lives this long without renewal; a dead worker's jobs stall after it. @default 30000 */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. @default 30000 */
  stalledIntervalMs?: number;
  /** A job stalled more often than this fails. @default 2 */
  maxStalledCount?: number;
  /** The assess stage the workers run. @default assessStage (from `src/pipeline/`) */
  assessStage?: AssessProcessorDeps['stage'];
  /** Called for every job failure (one attempt), for logs. */
  onFailed?: (queue: string, job: Job | undefined, error: Error) => void;
  /** Called for worker connection errors, for logs. */
  onError?: (error: Error) => void;
}

/** Running workers. */
export interface WorkerHandle {
  readonly workers: readonly Worker[];
  /** Stops taking jobs, waits for the active ones, closes connections. Idempotent. */
  close(): Promise<void>;
}

/** Starts the crawl and assess workers. */
export async function startWorkers(options: StartWorkersOptions): Promise<WorkerHandle> {
  const prefixes = prefixesFor(options.namespace, options.redisUrl);
  const policy = options.policy ?? DEFAULT_ATTEMPT_POLICY;
  // Workers duplicate a cluster client for their own connections; this one is closed last.
  const connection = bullConnection(options.redisUrl);
  const common = {
    connection,
    prefix: prefixes.queue,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        backoffDelay(attemptsMade, policy, (error as { retryAfterMs?: number } | undefined)?.retryAfterMs),
    },
  };
  const modelConcurrency = options.concurrency ?? 4;
  const slots = createModelSlots(modelConcurrency);
  const processor = assessProcessor({
    store: options.store,
    assessorFor: options.assessorFor,
    modelSlot: slots.run,
    ...(options.listingBudgetMs === undefined ? {} : { listingBudgetMs: options.listingBudgetMs }),
    ...(options.assessStage === undefined ? {} : { stage: options.assessStage }),
  });
  const assess = new Worker(ASSESS_QUEUE, processor, {
    ...common,
    concurrency: modelConcurrency * LISTINGS_PER_MODEL_SLOT,
    ...(options.rateLimit === undefined ? {} : { limiter: { max: options.rateLimit.max, duration: options.rateLimit.durationMs } }),
  });
  const crawl = new Worker(CRAWL_QUEUE, crawlProcessor({ store: options.store, fetcherFor: options.fetcherFor, chromiumPath: options.chromiumPath }), {
    ...common,
    concurrency: options.crawlConcurrency ?? 1,
  });
  // One batch job at a time per worker: a job owns a whole Batch API run and mostly waits on polls.
  const batch = new Worker(
    BATCH_QUEUE,
    batchProcessor({
      store: options.store,
      assessorFor: options.assessorFor,
      ...(options.batchPollMs === undefined ? {} : { pollMs: options.batchPollMs }),
      ...(options.listingBudgetMs === undefined ? {} : { listingBudgetMs: options.listingBudgetMs }),
    }),
    { ...common, concurrency: 1 },
  );
  const workers = [assess, crawl, batch];
  for (const worker of workers) {
    worker.on('failed', (job, error) => options.onFailed?.(worker.name, job, error));
    worker.on('error', (error) => options.onError?.(error));
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  let closing: Promise<void> | undefined;
  return {
    workers,
    close() {
      closing ??= Promise.all(workers.map((worker) => worker.close())).then(() => closeBullConnection(connection));
      return closing;
    },
  };
}
