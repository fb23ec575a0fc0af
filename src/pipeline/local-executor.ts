/**
 * The local executor: runs the assess stage in process for many listings with p-queue: at most
 * `modelConcurrency` model calls in flight and twice as many listings, 96 at least (so one
 * listing's store reads, checks and save overlap with others' model calls instead of idling a
 * model slot, and the file store's group commit gathers batches worth a flush),
 * optionally at most `ratePerSecond` started a second, retries per the attempt policy. Listings
 * stream through in chunks, so memory stays flat for any number of listings.
 */
import { toError } from '../errors.js';
import PQueue from 'p-queue';
import type { Assessor } from '../assess/assessor.js';
import type { Store } from '../store/store.js';
import { DEFAULT_ATTEMPT_POLICY, DEFAULT_LISTING_BUDGET_MS, StageFailed, withAttempts, type AttemptPolicy } from './attempts.js';
import { assessStage } from './assess-stage.js';
import { AssessThreadPool } from './assess-threads.js';
import { createModelSlots, listingsInFlight } from './model-slots.js';
import type { AssessOutput, StageFailure } from './contracts.js';
import type { AssessorProfile } from './profile.js';
import { profileOf } from './profile.js';

/** One listing to assess, as the crawl stage (or the store) reports it. */
export interface ListingRef {
  id: string;
  contentHash: string;
}

/** Progress of an executor: one event per listing settled. */
export interface AssessProgress {
  done: number;
  total: number;
  outcome: 'assessed' | 'unchanged' | 'failed';
  id: string;
}

/** What an executor's assess phase did. */
export interface AssessTally {
  assessed: number;
  unchanged: number;
  failed: number;
  failures: StageFailure[];
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Attempts per listing id that needed more than one (for fault reports). */
  retried: Record<string, number>;
}

/** Options of {@link runLocalAssess}. */
export interface LocalExecutorOptions {
  store: Store;
  assessor: Assessor;
  profile?: AssessorProfile;
  /** Model calls in flight at once (listings in flight: twice this, 96 at least). @default 4 */
  modelConcurrency?: number;
  /** At most this many assessments started per second (a model rate limit). @default unlimited */
  ratePerSecond?: number;
  policy?: AttemptPolicy;
  /** Total time one listing may take across its attempts and waits. @default 90000 */
  listingBudgetMs?: number;
  now?: () => Date;
  signal?: AbortSignal;
  onProgress?: (progress: AssessProgress) => void;
  /** Told each listing's stage output as it settles (the run records its rerun index entry). */
  onSettled?: (output: AssessOutput) => void;
  /**
   * Worker threads that run the assessor on other cores, for an assessor that can be rebuilt in one
   * (the rules assessor with its committed tables) once at least {@link THREAD_MIN_LISTINGS} listings
   * are to be assessed; 0 keeps every assessment in process, as does an injected `now`.
   * @default defaultAssessThreads() (one per core beyond the first, at most 4)
   */
  assessThreads?: number;
  /** Threads kept across runs (a LocalExecutor's): used instead of starting and stopping threads for this run. */
  threadPool?: AssessThreadPool;
}

/** Below this many listings a run assesses in process: starting a thread costs about as much as it saves. */
export const THREAD_MIN_LISTINGS = 200;

/** An empty tally. */
export function emptyTally(): AssessTally {
  return { assessed: 0, unchanged: 0, failed: 0, failures: [], tokensIn: 0, tokensOut: 0, costUsd: 0, retried: {} };
}

/** Counts settled listings and reports each as a progress event (`total` NaN when not known). */
export function progressReporter(total: number, onProgress?: (progress: AssessProgress) => void): (id: string, outcome: AssessProgress['outcome']) => void {
  let done = 0;
  return (id, outcome) => {
    done += 1;
    onProgress?.({ done, total, outcome, id });
  };
}

/** Adds one settled listing to a tally (pure apart from mutating `tally`). */
export function recordOutcome(tally: AssessTally, output: AssessOutput): void {
  tally[output.outcome] += 1;
  tally.tokensIn += output.tokensIn;
  tally.tokensOut += output.tokensOut;
  // Micro-dollars keep sums of many small costs exact enough.
  tally.costUsd = Math.round((tally.costUsd + output.costUsd) * 1e9) / 1e9;
  if (output.attempts > 1) tally.retried[output.listingId] = output.attempts;
}

/**
 * Assesses every listing in `refs` (an array or chunks from an async source) and tallies outcomes.
 * Failures are counted with their reason, never thrown; a store failure or an abort is thrown.
 */
export async function runLocalAssess(
  refs: readonly ListingRef[] | AsyncIterable<readonly ListingRef[]>,
  options: LocalExecutorOptions,
): Promise<AssessTally> {
  const concurrency = options.modelConcurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Expected \`modelConcurrency\` to be an integer from 1 and up, got ${concurrency}`);
  }
  const policy = options.policy ?? DEFAULT_ATTEMPT_POLICY;
  const profile = options.profile ?? profileOf(options.assessor);
  const slots = createModelSlots(concurrency);
  const queue = new PQueue({
    concurrency: listingsInFlight(concurrency),
    ...(options.ratePerSecond === undefined ? {} : { intervalCap: options.ratePerSecond, interval: 1000 }),
  });
  const tally = emptyTally();
  let fatal: Error | undefined;
  const settle = progressReporter(Array.isArray(refs) ? refs.length : Number.NaN, options.onProgress);

  // Threads start once the run is known to be large enough; listings assess in process until they are ready.
  // An injected clock keeps every assessment here (a thread stamps provenance with the real one).
  const ownPool = options.threadPool === undefined;
  const pool = options.now !== undefined ? undefined : (options.threadPool ?? new AssessThreadPool(options.assessor, options.assessThreads));

  const budgetMs = options.listingBudgetMs ?? DEFAULT_LISTING_BUDGET_MS;
  const one = async (ref: ListingRef): Promise<void> => {
    const deadline = Date.now() + budgetMs;
    try {
      const output = await withAttempts(
        (attempt) =>
          assessStage(
            { listingId: ref.id, contentHash: ref.contentHash, assessor: profile.assessor },
            {
              store: options.store,
              assessor: options.assessor,
              profile,
              attempt,
              signal: options.signal,
              modelSlot: slots.run,
              deadline,
              threads: pool?.ready,
              ...(options.now === undefined ? {} : { now: options.now }),
            },
          ),
        policy,
        options.signal,
        deadline,
      );
      recordOutcome(tally, output);
      options.onSettled?.(output);
      settle(ref.id, output.outcome);
    } catch (thrown) {
      if (thrown instanceof StageFailed) {
        tally.failed += 1;
        tally.failures.push({ id: ref.id, code: thrown.code, reason: thrown.message, attempts: thrown.attempts });
        settle(ref.id, 'failed');
        return;
      }
      fatal ??= toError(thrown);
      queue.clear();
    }
  };

  const chunks: AsyncIterable<readonly ListingRef[]> | Iterable<readonly ListingRef[]> = Array.isArray(refs)
    ? chunk(refs as readonly ListingRef[], 256)
    : (refs as AsyncIterable<readonly ListingRef[]>);
  let queued = 0;
  if (Array.isArray(refs) && refs.length >= THREAD_MIN_LISTINGS) void pool?.start();
  try {
    for await (const batch of chunks) {
      for (const ref of batch) {
        if (fatal !== undefined) break;
        options.signal?.throwIfAborted();
        queued += 1;
        if (queued === THREAD_MIN_LISTINGS) void pool?.start();
        // Bounded backlog: do not hold thousands of pending closures for a big directory.
        await queue.onSizeLessThan(listingsInFlight(concurrency) * 2);
        void queue.add(() => one(ref));
      }
      if (fatal !== undefined) break;
    }
    await queue.onIdle();
  } finally {
    if (ownPool) await pool?.close();
  }
  if (fatal !== undefined) throw fatal;
  options.signal?.throwIfAborted();
  tally.failures.sort((a, b) => ((a.id ?? '') < (b.id ?? '') ? -1 : 1));
  return tally;
}

function* chunk<T>(items: readonly T[], size: number): Iterable<readonly T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
