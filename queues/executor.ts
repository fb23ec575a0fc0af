/**
 * The BullMQ executor (producer side): enqueues crawl and assess jobs with ids derived from
 * content hashes, then waits for them through QueueEvents, with a periodic reconciliation of job
 * states so a missed event (a Redis restart, a dropped connection) never hangs a run. Unchanged
 * listings are counted here and never enqueued.
 */
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { DEFAULT_ATTEMPT_POLICY, type AttemptPolicy } from '../src/pipeline/attempts.js';
import {
  assessOutputSchema,
  assessTallySchema,
  crawlOutputSchema,
  type AssessInput,
  type AssessOutput,
  type BatchInput,
  type CrawlInput,
  type CrawlOutput,
} from '../src/pipeline/contracts.js';
import { emptyTally, progressReporter, recordOutcome, type AssessProgress, type AssessTally, type ListingRef } from '../src/pipeline/local-executor.js';
import { draftMatches, profileKey, type AssessorProfile } from '../src/pipeline/profile.js';
import type { Draft } from '../schemas/draft.js';
import type { Executor } from '../src/pipeline/run.js';
import { TransientError } from '../src/errors.js';
import type { AssessedEntry, Store } from '../src/store/store.js';
import type { RedisTarget } from '../src/store/redis-target.js';
import { ASSESS_QUEUE, BATCH_QUEUE, CRAWL_QUEUE, assessJobId, batchJobId, bullConnection, closeBullConnection, crawlJobId, prefixesFor, type BullConnection } from './names.js';
import { BACKOFF_TYPE } from './worker.js';

/** Options of {@link BullExecutor}. */
export interface BullExecutorOptions {
  /** A Redis URL, or a cluster target (resolve a URL with `resolveRedisTarget` to run on a cluster). */
  redisUrl: RedisTarget;
  /** @default 'threatdraft' */
  namespace?: string;
  store: Store;
  policy?: AttemptPolicy;
  /** How often job states are re-read in case an event was missed. @default 3000 */
  reconcileEveryMs?: number;
  /**
   * Jobs per `addBulk`, and listings per batched "unchanged" read. @default 500
   */
  bulkSize?: number;
  /**
   * Batched reads in flight ahead of the batch being enqueued: reading goes on while jobs are added,
   * and memory stays bounded by (readAhead + 2) × bulkSize listings. @default 2
   */
  readAhead?: number;
  /** Assess through the Batch API: one `batch` job owns the run's batch (a worker runs it). */
  batch?: boolean;
}

/** KEYS: job hashes. Returns 1 for each that exists (every job hash has a `timestamp` from the moment it is added), else 0. */
const JOBS_EXISTING = `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HEXISTS', key, 'timestamp') end
return out
`;

type Settled = { state: 'completed'; value: unknown } | { state: 'failed'; reason: string; attempts: number };

/** Enqueues stage jobs on Redis and waits for workers to finish them. */
export class BullExecutor implements Executor {
  readonly kind = 'bullmq' as const;
  readonly #options: BullExecutorOptions;
  readonly #policy: AttemptPolicy;
  readonly #crawlQueue: Queue;
  readonly #assessQueue: Queue;
  readonly #batchQueue: Queue;
  readonly #events: Map<string, QueueEvents> = new Map();
  // One for all queues: on a cluster a client the executor owns and closes last.
  readonly #connection: BullConnection;

  constructor(options: BullExecutorOptions) {
    this.#options = options;
    this.#policy = options.policy ?? DEFAULT_ATTEMPT_POLICY;
    const prefix = prefixesFor(options.namespace, options.redisUrl).queue;
    this.#connection = bullConnection(options.redisUrl);
    this.#crawlQueue = new Queue(CRAWL_QUEUE, { connection: this.#connection, prefix });
    this.#assessQueue = new Queue(ASSESS_QUEUE, { connection: this.#connection, prefix });
    this.#batchQueue = new Queue(BATCH_QUEUE, { connection: this.#connection, prefix });
  }

  /** The assess queue (for counts in `status`). */
  get assessQueue(): Queue {
    return this.#assessQueue;
  }

  #jobOptions(jobId: string): JobsOptions {
    return {
      jobId,
      attempts: this.#policy.attempts,
      backoff: { type: BACKOFF_TYPE, delay: this.#policy.backoffMs },
      // Kept a while so a rerun with the same ids finds them (dedupe) and `status` can count them.
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
    };
  }

  async #eventsFor(queue: Queue): Promise<QueueEvents> {
    let events = this.#events.get(queue.name);
    if (events === undefined) {
      events = new QueueEvents(queue.name, { connection: this.#connection, prefix: queue.opts.prefix ?? 'bull' });
      this.#events.set(queue.name, events);
      await events.waitUntilReady();
    }
    return events;
  }

  /** Runs the crawl stage for a source on a worker and returns its output. */
  async crawl(input: CrawlInput, options: { signal?: AbortSignal } = {}): Promise<CrawlOutput> {
    // A fresh id per run: a crawl always looks at the directory again (unlike assess jobs).
    const jobId = crawlJobId(JSON.stringify(input), randomUUID());
    const results = await this.#run(this.#crawlQueue, [[{ jobId, data: input }]], () => {}, options.signal);
    const settled = results.get(jobId);
    if (settled?.state !== 'completed') {
      throw new TransientError('E_CRAWL_JOB', `Crawl of ${input.source.id} failed: ${settled?.state === 'failed' ? settled.reason : 'no result'}`, {
        source: input.source.id,
      });
    }
    return crawlOutputSchema.parse(settled.value);
  }

  /**
   * Assesses the listings on workers: unchanged ones are counted without a job; the rest are
   * enqueued (ids from content hashes) and waited for. Failures are tallied with their reason.
   */
  async assess(
    refs: readonly ListingRef[],
    profile: AssessorProfile,
    options: { signal?: AbortSignal; onProgress?: (progress: AssessProgress) => void; onSettled?: (output: AssessOutput) => void } = {},
  ): Promise<AssessTally> {
    if (this.#options.batch === true) return this.#assessBatch(refs, profile, options);
    const tally = emptyTally();
    const settle = progressReporter(refs.length, options.onProgress);

    // The unchanged check reads current drafts in batches (one batched store read each), up to
    // `readAhead` batches ahead of the one being enqueued, and changed listings go out in full
    // `addBulk` batches: workers start on the first ones while the rest are still being read, and
    // memory stays bounded however many listings there are.
    const byJob = new Map<string, string>();
    const store = this.#options.store;
    // Each batch is decided from the rerun index first: a listing it knows is decided without reading
    // its draft (an entry stands only while its draft is the listing's newest revision, so a
    // differing hash or profile means changed); only listings it does not know have their draft read.
    const key = profileKey(profile);
    const size = this.#options.bulkSize ?? 500;
    const readAhead = this.#options.readAhead ?? 2;
    async function* changedBatches(): AsyncGenerator<Array<{ jobId: string; data: AssessInput }>> {
      const reads: Array<Promise<{ chunk: readonly ListingRef[]; known: Map<string, AssessedEntry>; current: Array<Draft | null> }>> = [];
      let next = 0;
      const readNext = (): void => {
        if (next >= refs.length) return;
        const chunk = refs.slice(next, next + size);
        next += size;
        const read = store.index.assessed(chunk.map((ref) => ref.id)).then(async (known) => {
          const unknown = chunk.filter((ref) => !known.has(ref.id));
          const drafts = unknown.length === 0 ? [] : await store.drafts.currentMany(unknown.map((ref) => ref.id));
          const byId = new Map(unknown.map((ref, index) => [ref.id, drafts[index] ?? null]));
          return { chunk, known, current: chunk.map((ref) => byId.get(ref.id) ?? null) };
        });
        // Awaited in turn below; this only keeps a read that fails after the run gave up from going unhandled.
        read.catch(() => undefined);
        reads.push(read);
      };
      for (let k = 0; k <= readAhead; k += 1) readNext();
      let jobs: Array<{ jobId: string; data: AssessInput }> = [];
      for (let read = reads.shift(); read !== undefined; read = reads.shift()) {
        const { chunk, known, current } = await read;
        readNext();
        chunk.forEach((ref, index) => {
          const entry = known.get(ref.id);
          const draft = current[index] ?? null;
          const unchanged = entry === undefined ? draft !== null && draftMatches(draft, ref.contentHash, profile) : entry.contentHash === ref.contentHash && entry.profileKey === key;
          if (unchanged) {
            tally.unchanged += 1;
            settle(ref.id, 'unchanged');
            return;
          }
          const jobId = assessJobId(ref.id, ref.contentHash, profile);
          byJob.set(jobId, ref.id);
          jobs.push({ jobId, data: { listingId: ref.id, contentHash: ref.contentHash, assessor: profile.assessor } });
        });
        while (jobs.length >= size) {
          yield jobs.slice(0, size);
          jobs = jobs.slice(size);
        }
      }
      if (jobs.length > 0) yield jobs;
    }

    await this.#run(
      this.#assessQueue,
      changedBatches(),
      (jobId, settled) => {
        const listingId = byJob.get(jobId) ?? jobId;
        if (settled.state === 'completed') {
          const output = assessOutputSchema.safeParse(settled.value);
          if (output.success) {
            recordOutcome(tally, output.data);
            options.onSettled?.(output.data);
            settle(listingId, output.data.outcome);
          } else {
            tally.failed += 1;
            tally.failures.push({ id: listingId, code: 'E_RESULT', reason: 'job result failed its schema' });
            settle(listingId, 'failed');
          }
        } else {
          tally.failed += 1;
          const match = /^(E_[A-Z0-9_]+): /.exec(settled.reason);
          tally.failures.push({
            id: listingId,
            code: match?.[1] ?? 'E_JOB',
            reason: match === null ? settled.reason : settled.reason.slice(match[0].length),
            attempts: settled.attempts,
          });
          settle(listingId, 'failed');
        }
      },
      options.signal,
    );
    tally.failures.sort((a, b) => ((a.id ?? '') < (b.id ?? '') ? -1 : 1));
    return tally;
  }

  /** Runs the Batch API assessment as one job on a worker and returns its tally. */
  async #assessBatch(
    refs: readonly ListingRef[],
    profile: AssessorProfile,
    options: { signal?: AbortSignal; onProgress?: (progress: AssessProgress) => void },
  ): Promise<AssessTally> {
    const jobId = batchJobId(refs, profile);
    const data: BatchInput = { assessor: 'openai', listings: refs.map((ref) => ({ id: ref.id, contentHash: ref.contentHash })) };
    const results = await this.#run(this.#batchQueue, [[{ jobId, data }]], () => {}, options.signal);
    const settled = results.get(jobId);
    if (settled?.state !== 'completed') {
      throw new TransientError('E_BATCH_JOB', `Batch job ${jobId} failed: ${settled?.state === 'failed' ? settled.reason : 'no result'}`, { jobId });
    }
    const tally = assessTallySchema.parse(settled.value);
    const settle = progressReporter(refs.length, options.onProgress);
    const failed = new Set(tally.failures.map((failure) => failure.id));
    for (const ref of refs) settle(ref.id, failed.has(ref.id) ? 'failed' : 'assessed');
    return tally;
  }

  /**
   * Adds jobs (deduplicated by id), batch by batch as `batches` yields them, and resolves when each
   * has completed or finally failed.
   */
  async #run(
    queue: Queue,
    batches: AsyncIterable<ReadonlyArray<{ jobId: string; data: unknown }>> | Iterable<ReadonlyArray<{ jobId: string; data: unknown }>>,
    onSettled: (jobId: string, settled: Settled) => void,
    signal?: AbortSignal,
  ): Promise<Map<string, Settled>> {
    const results = new Map<string, Settled>();
    const pending = new Set<string>();
    let wake: () => void = () => {};
    let lastProgressAt = Date.now();
    const finish = (jobId: string, settled: Settled): void => {
      if (!pending.delete(jobId)) return;
      lastProgressAt = Date.now();
      results.set(jobId, settled);
      onSettled(jobId, settled);
      if (pending.size === 0) wake();
    };

    const runStart = Date.now();
    const events = await this.#eventsFor(queue);
    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }): void =>
      finish(jobId, { state: 'completed', value: typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue });
    const onFailed = ({ jobId }: { jobId: string }): void => {
      // The event lacks the attempt count: read the job (also confirms it is final).
      if (pending.has(jobId)) void this.#check(queue, jobId, runStart, finish, readd).catch(() => {});
    };
    const dataById = new Map<string, unknown>();
    const readd = async (jobId: string): Promise<void> => {
      await queue.add(queue.name, dataById.get(jobId), this.#jobOptions(jobId));
    };
    events.on('completed', onCompleted);
    events.on('failed', onFailed);
    try {
      for await (const batch of batches) {
        signal?.throwIfAborted();
        for (const job of batch) {
          pending.add(job.jobId);
          dataById.set(job.jobId, job.data);
        }
        // Which ids already have a job (kept from an earlier run, or added by another producer):
        // `addBulk` leaves those as they are, so only they need their state read back. A job
        // added after this look is new work whose events this run already listens for.
        const existing = await this.#existing(queue, batch.map((job) => job.jobId));
        for (let start = 0; start < batch.length; start += 500) {
          await queue.addBulk(
            batch.slice(start, start + 500).map((job) => ({ name: queue.name, data: job.data, opts: this.#jobOptions(job.jobId) })),
          );
        }
        // Jobs kept from an earlier run were not added again: settle or restart them now.
        if (existing.length > 0) await this.#reconcile(queue, new Set(existing.filter((jobId) => pending.has(jobId))), runStart, finish, readd);
      }
      const every = this.#options.reconcileEveryMs ?? 3000;
      while (pending.size > 0) {
        signal?.throwIfAborted();
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          wake = done;
          const timer = setTimeout(done, every);
          timer.unref?.();
          // Removed again when the wait ends: one listener per wait would pile up on a long run's signal.
          signal?.addEventListener('abort', done, { once: true });
        });
        // Events drive progress; reading every pending job back is only for when they stop coming
        // (a Redis restart loses subscriptions), so it does not tax a run that is moving.
        if (pending.size > 0 && Date.now() - lastProgressAt >= every) {
          await this.#reconcile(queue, pending, runStart, finish, readd).catch(() => {});
        }
      }
    } finally {
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
    }
    return results;
  }

  /**
   * The ids among `jobIds` that have a job in `queue` now: one script call for the batch, not a
   * command per job (the queue's keys share one hash tag, so on a cluster it stays in one slot).
   */
  async #existing(queue: Queue, jobIds: readonly string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    // BullMQ's connection is an ioredis client (single or cluster) under its own interface type.
    const client = (await queue.getBackend().client) as unknown as Pick<Redis, 'eval'>;
    const keys = jobIds.map((jobId) => queue.toKey(jobId));
    const found = (await client.eval(JOBS_EXISTING, keys.length, ...keys)) as number[];
    return jobIds.filter((_, index) => found[index] === 1);
  }

  async #reconcile(
    queue: Queue,
    pending: ReadonlySet<string>,
    runStart: number,
    finish: (jobId: string, settled: Settled) => void,
    readd: (jobId: string) => Promise<void>,
  ): Promise<void> {
    const ids = [...pending];
    for (let start = 0; start < ids.length; start += 200) {
      await Promise.all(ids.slice(start, start + 200).map((jobId) => this.#check(queue, jobId, runStart, finish, readd)));
    }
  }

  async #check(
    queue: Queue,
    jobId: string,
    runStart: number,
    finish: (jobId: string, settled: Settled) => void,
    readd: (jobId: string) => Promise<void>,
  ): Promise<void> {
    const state = await queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
    const job = await Job.fromId(queue, jobId);
    if (job === undefined) {
      // Removed (by age or by hand) before we saw it finish: enqueue it again.
      await readd(jobId);
      return;
    }
    const finishedOn = job.finishedOn ?? 0;
    if (finishedOn > 0 && finishedOn < runStart) {
      // Finished in an earlier run (same content and profile, e.g. content that changed back):
      // this run does the work again; the stage itself skips it if the draft still matches.
      if (state === 'failed') {
        // A new run gets a new time budget: forget when the earlier run's first attempt started.
        const { startedAt: _startedAt, ...data } = (job.data ?? {}) as Record<string, unknown>;
        await job.updateData(data);
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
      else {
        await job.remove();
        await readd(jobId);
      }
      return;
    }
    if (state === 'failed') finish(jobId, { state: 'failed', reason: job.failedReason ?? 'failed', attempts: job.attemptsMade });
    else finish(jobId, { state: 'completed', value: job.returnvalue });
  }

  /** Closes queues and event listeners (not the store). */
  async close(): Promise<void> {
    await Promise.all([...this.#events.values()].map((events) => events.close()));
    await Promise.all([this.#crawlQueue.close(), this.#assessQueue.close(), this.#batchQueue.close()]);
    await closeBullConnection(this.#connection);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
