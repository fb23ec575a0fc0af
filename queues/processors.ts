/**
 * Processors: parse `job.data` with the stage's schema, call one stage, map errors. A
 * PermanentError (or a payload failing its schema) becomes BullMQ's UnrecoverableError, so no
 * attempt is wasted on it; anything else is retried with backoff.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Assessor, ModelSlot } from '../src/assess/assessor.js';
import type { Fetcher } from '../src/crawl/fetcher.js';
import { ThreatdraftError, formatIssues, toError } from '../src/errors.js';
import { DEFAULT_LISTING_BUDGET_MS, isPermanent } from '../src/pipeline/attempts.js';
import { assessStage } from '../src/pipeline/assess-stage.js';
import { assessInputSchema, batchInputSchema, crawlInputSchema, type AssessOutput, type CrawlOutput } from '../src/pipeline/contracts.js';
import type { AssessTally } from '../src/pipeline/local-executor.js';
import { crawlStage } from '../src/pipeline/crawl-stage.js';
import type { AssessorProfile } from '../src/pipeline/profile.js';
import type { SourceConfig } from '../schemas/source.js';
import type { Store } from '../src/store/store.js';

/** Rethrows as UnrecoverableError when retrying cannot help; keeps the code in the message. */
export function mapStageError(thrown: unknown): never {
  const error = toError(thrown);
  const code = error instanceof ThreatdraftError ? error.code : undefined;
  if (isPermanent(error)) throw new UnrecoverableError(`${code ?? 'E_PERMANENT'}: ${error.message}`);
  const wrapped = new Error(code === undefined ? error.message : `${code}: ${error.message}`, { cause: error });
  throw Object.assign(wrapped, { retryAfterMs: (error as { retryAfterMs?: unknown }).retryAfterMs });
}

/** What the assess processor needs: the store and an assessor per kind (built once per worker). */
export interface AssessProcessorDeps {
  store: Store;
  assessorFor(kind: 'rules' | 'openai'): Promise<{ assessor: Assessor; profile: AssessorProfile }>;
  /** Where model calls wait their turn (the worker's model concurrency). @default run at once */
  modelSlot?: ModelSlot;
  /** Total time one listing may take across its attempts (on any worker) and waits. @default 90000 */
  listingBudgetMs?: number;
  now?: () => Date;
  /** The stage the processor runs (a no-op stage measures queue overhead in `npm run bench`). @default assessStage */
  stage?: typeof assessStage;
}

/** The `assess` queue's processor. */
export function assessProcessor(deps: AssessProcessorDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<AssessOutput> => {
    const parsed = assessInputSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`E_PAYLOAD: assess job ${job.id}: ${formatIssues(parsed.error.issues)}`);
    // The budget counts from the first attempt, whichever worker ran it: the start is kept in the
    // job. The write goes out at once but the stage does not wait for its answer (a round trip
    // per job that bare BullMQ does not pay); the job settles only after it is stored.
    let startedAt = parsed.data.startedAt;
    let recording: Promise<void> | undefined;
    if (startedAt === undefined) {
      startedAt = Date.now();
      recording = job.updateData({ ...parsed.data, startedAt });
      // Awaited below on every path; this only keeps it from counting as unhandled meanwhile.
      recording.catch(() => undefined);
    }
    const deadline = startedAt + (deps.listingBudgetMs ?? DEFAULT_LISTING_BUDGET_MS);
    if (Date.now() >= deadline) {
      throw new UnrecoverableError(`E_MODEL_BUDGET: listing ${parsed.data.listingId}: its time budget ran out after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}`);
    }
    try {
      const { assessor, profile } = await deps.assessorFor(parsed.data.assessor);
      const output = await (deps.stage ?? assessStage)(parsed.data, {
        store: deps.store,
        assessor,
        profile,
        attempt: job.attemptsMade + 1,
        signal,
        modelSlot: deps.modelSlot,
        deadline,
        ...(deps.now === undefined ? {} : { now: deps.now }),
      });
      await recording;
      return output;
    } catch (thrown) {
      // A retry must find the first attempt's start, so a failed attempt still waits for the write.
      await recording?.catch(() => undefined);
      return mapStageError(thrown);
    }
  };
}

/** What the crawl processor needs: the store and a fetcher per source (closed after the job). */
export interface CrawlProcessorDeps {
  store: Store;
  fetcherFor(source: SourceConfig): Promise<Fetcher>;
  /** Chromium for sources with `render: browser | auto`. */
  chromiumPath?: string | undefined;
}

/** The `crawl` queue's processor. */
export function crawlProcessor(deps: CrawlProcessorDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<CrawlOutput> => {
    const parsed = crawlInputSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`E_PAYLOAD: crawl job ${job.id}: ${formatIssues(parsed.error.issues)}`);
    const fetcher = await deps.fetcherFor(parsed.data.source);
    try {
      return await crawlStage(parsed.data, { store: deps.store, fetcher, signal, chromiumPath: deps.chromiumPath });
    } catch (thrown) {
      return mapStageError(thrown);
    } finally {
      await fetcher.close();
    }
  };
}

/** What the batch processor needs. */
export interface BatchProcessorDeps {
  store: Store;
  assessorFor(kind: 'rules' | 'openai'): Promise<{ assessor: Assessor; profile: AssessorProfile }>;
  /** Between polls of a batch. @default 30000 */
  pollMs?: number;
  listingBudgetMs?: number;
}

/** The `batch` queue's processor: runs one run's Batch API assessment; its status goes into the job's progress. */
export function batchProcessor(deps: BatchProcessorDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<AssessTally> => {
    const parsed = batchInputSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`E_PAYLOAD: batch job ${job.id}: ${formatIssues(parsed.error.issues)}`);
    try {
      const [{ runBatchAssess, batchCapable }, { assessor, profile }] = await Promise.all([import('../src/pipeline/batch-assess.js'), deps.assessorFor('openai')]);
      return await runBatchAssess(parsed.data.listings, {
        store: deps.store,
        assessor: batchCapable(assessor),
        profile,
        ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }),
        ...(deps.listingBudgetMs === undefined ? {} : { listingBudgetMs: deps.listingBudgetMs }),
        ...(signal === undefined ? {} : { signal }),
        onStatus: (status) => {
          void job.updateProgress({ ...status }).catch(() => {});
        },
      });
    } catch (thrown) {
      return mapStageError(thrown);
    }
  };
}
