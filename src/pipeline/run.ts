/**
 * `runPipeline`: crawl a source (or take listings already stored), then assess every listing
 * through an executor, and summarise. Executor-agnostic: the local executor runs the stages in
 * process; the BullMQ executor (queues/) runs them on workers. The summary is the same either way.
 */
import type { Assessor } from '../assess/assessor.js';
import type { CrawlProgress } from '../crawl/crawl.js';
import type { Fetcher } from '../crawl/fetcher.js';
import type { SourceConfig } from '../../schemas/source.js';
import type { Store } from '../store/store.js';
import type { AttemptPolicy } from './attempts.js';
import type { CrawlInput, CrawlOutput, RunSummary } from './contracts.js';
import { crawlStage } from './crawl-stage.js';
import { AssessThreadPool } from './assess-threads.js';
import type { BatchStatus } from './batch-assess.js';
import { runLocalAssess, type AssessProgress, type AssessTally, type ListingRef } from './local-executor.js';
import { profileKey, type AssessorProfile } from './profile.js';
import type { AssessOutput } from './contracts.js';

/** Runs the stages somewhere: in process or on workers. */
export interface Executor {
  readonly kind: 'local' | 'bullmq';
  crawl(input: CrawlInput, options: { signal?: AbortSignal; onProgress?: (progress: CrawlProgress) => void }): Promise<CrawlOutput>;
  assess(
    refs: readonly ListingRef[],
    profile: AssessorProfile,
    options: { signal?: AbortSignal; onProgress?: (progress: AssessProgress) => void; onSettled?: (output: AssessOutput) => void },
  ): Promise<AssessTally>;
  close(): Promise<void>;
}

/** Options of {@link LocalExecutor}. */
export interface LocalExecutorConfig {
  store: Store;
  assessor: Assessor;
  /** A fetcher for a source (its politeness and network rules); closed after the crawl. */
  fetcherFor?: (source: SourceConfig) => Promise<Fetcher>;
  /** @default 4 */
  modelConcurrency?: number;
  ratePerSecond?: number;
  policy?: AttemptPolicy;
  /** Total time one listing may take across its attempts and waits. @default 90000 */
  listingBudgetMs?: number;
  /** Chromium for sources with `render: browser | auto`. */
  chromiumPath?: string | undefined;
  /** Assess through the Batch API (the openai assessor on an OpenAI or Azure endpoint). */
  batch?: { pollMs?: number; onStatus?: (status: BatchStatus) => void };
  /** Worker threads for an assessor that can run in one (see LocalExecutorOptions.assessThreads). @default one per core beyond the first, at most 4 */
  assessThreads?: number;
  now?: () => Date;
}

/** The in-process executor (p-queue). */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly #config: LocalExecutorConfig;
  #threads: AssessThreadPool | undefined;

  constructor(config: LocalExecutorConfig) {
    this.#config = config;
  }

  async crawl(input: CrawlInput, options: { signal?: AbortSignal; onProgress?: (progress: CrawlProgress) => void }): Promise<CrawlOutput> {
    if (this.#config.fetcherFor === undefined) throw new Error('LocalExecutor: no fetcherFor given, so it cannot crawl');
    const fetcher = await this.#config.fetcherFor(input.source);
    try {
      return await crawlStage(input, {
        store: this.#config.store,
        fetcher,
        signal: options.signal,
        chromiumPath: this.#config.chromiumPath,
        ...(this.#config.now === undefined ? {} : { now: this.#config.now }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
    } finally {
      await fetcher.close();
    }
  }

  async assess(
    refs: readonly ListingRef[],
    profile: AssessorProfile,
    options: { signal?: AbortSignal; onProgress?: (progress: AssessProgress) => void; onSettled?: (output: AssessOutput) => void },
  ): Promise<AssessTally> {
    const c = this.#config;
    if (c.batch !== undefined) {
      const { runBatchAssess, batchCapable } = await import('./batch-assess.js');
      return runBatchAssess(refs, {
        store: c.store,
        assessor: batchCapable(c.assessor),
        profile,
        ...(c.batch.pollMs === undefined ? {} : { pollMs: c.batch.pollMs }),
        ...(c.batch.onStatus === undefined ? {} : { onStatus: c.batch.onStatus }),
        ...(c.listingBudgetMs === undefined ? {} : { listingBudgetMs: c.listingBudgetMs }),
        ...(c.now === undefined ? {} : { now: c.now }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
    }
    return runLocalAssess(refs, {
      store: c.store,
      assessor: c.assessor,
      profile,
      ...(c.modelConcurrency === undefined ? {} : { modelConcurrency: c.modelConcurrency }),
      ...(c.ratePerSecond === undefined ? {} : { ratePerSecond: c.ratePerSecond }),
      ...(c.policy === undefined ? {} : { policy: c.policy }),
      ...(c.listingBudgetMs === undefined ? {} : { listingBudgetMs: c.listingBudgetMs }),
      threadPool: this.#threadPool(),
      ...(c.now === undefined ? {} : { now: c.now }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
    });
  }

  /** The executor's assessment threads, kept across its runs (started by the first run large enough). */
  #threadPool(): AssessThreadPool {
    this.#threads ??= new AssessThreadPool(this.#config.assessor, this.#config.assessThreads);
    return this.#threads;
  }

  /** Stops the assessment threads, if any were started. */
  async close(): Promise<void> {
    await this.#threads?.close();
  }
}

/** A progress event of a whole run, for a progress display. */
export type RunProgress = { stage: 'crawl'; event: CrawlProgress } | { stage: 'assess'; event: AssessProgress };

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  executor: Executor;
  store: Store;
  profile: AssessorProfile;
  /** Crawl this source first; without it, every listing already in the store is assessed. */
  source?: SourceConfig;
  limit?: number;
  /** Where GitHub READMEs are fetched from during the crawl. */
  rawBase?: string;
  /** Time budget of each listing in the crawl. @default the crawler's (300 s) */
  listingBudgetMs?: number;
  /** Listing ids of URLs on `from` derive as if on `to` (see CrawlInput). */
  idOrigin?: { from: string; to: string };
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** Told what the crawl did (its skipped documents and warnings are not part of the run summary). */
  onCrawled?: (output: CrawlOutput) => void;
  /** Clock for `wallMs`. @default performance.now */
  clockMs?: () => number;
}

/** Crawls (when a source is given), assesses and returns the run summary. */
export async function runPipeline(options: RunPipelineOptions): Promise<RunSummary> {
  const clock = options.clockMs ?? (() => performance.now());
  const started = clock();
  const { executor, store, signal } = options;
  let refs: ListingRef[];
  const failures: RunSummary['failures'] = [];
  // The rerun index is read while the crawl waits on the network (a crawl writes no draft and no
  // rerun entry, so what it finds is the same as after the crawl).
  const knownRead = store.index.assessed();
  knownRead.catch(() => undefined);

  if (options.source !== undefined) {
    const crawled = await executor.crawl(
      {
        source: options.source,
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        ...(options.rawBase === undefined ? {} : { rawBase: options.rawBase }),
        ...(options.listingBudgetMs === undefined ? {} : { listingBudgetMs: options.listingBudgetMs }),
        ...(options.idOrigin === undefined ? {} : { idOrigin: options.idOrigin }),
      },
      {
        ...(signal === undefined ? {} : { signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: (event) => options.onProgress?.({ stage: 'crawl', event }) }),
      },
    );
    refs = crawled.listings;
    options.onCrawled?.(crawled);
    for (const failure of crawled.failures) failures.push({ url: failure.url ?? '', reason: failure.reason, code: failure.code });
  } else {
    refs = await storedRefs(store, options.limit);
  }
  // The rerun short-circuit: the index is read once; a listing whose content and assessor profile
  // match its current draft's costs one lookup here and is never handed to the executor.
  const key = profileKey(options.profile);
  const known = await knownRead;
  const todo: ListingRef[] = [];
  let skipped = 0;
  for (const ref of refs) {
    const entry = known.get(ref.id);
    if (entry !== undefined && entry.contentHash === ref.contentHash && entry.profileKey === key) skipped += 1;
    else todo.push(ref);
  }
  known.clear();
  const recorder = indexRecorder(store, key);
  let tally: AssessTally;
  try {
    tally = await executor.assess(todo, options.profile, {
      ...(signal === undefined ? {} : { signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: (event) => options.onProgress?.({ stage: 'assess', event }) }),
      onSettled: recorder.add,
    });
  } finally {
    await recorder.flush();
  }
  tally.unchanged += skipped;
  for (const failure of tally.failures) {
    failures.push({
      id: failure.id ?? '',
      reason: failure.reason,
      code: failure.code,
      ...(failure.attempts === undefined ? {} : { attempts: failure.attempts }),
    });
  }
  return {
    listings: refs.length,
    assessed: tally.assessed,
    unchanged: tally.unchanged,
    failed: failures.length,
    failures,
    drafts: tally.assessed,
    tokens: tally.tokensIn + tally.tokensOut,
    costUsd: tally.costUsd,
    wallMs: Math.round(clock() - started),
  };
}

/** The summary of several runs (one per source) as one: counts and costs added, lists joined. */
export function mergeRunSummaries(summaries: readonly RunSummary[]): RunSummary {
  const total: RunSummary = { listings: 0, assessed: 0, unchanged: 0, failed: 0, failures: [], drafts: 0, tokens: 0, costUsd: 0, wallMs: 0 };
  for (const summary of summaries) {
    total.listings += summary.listings;
    total.assessed += summary.assessed;
    total.unchanged += summary.unchanged;
    total.failed += summary.failed;
    total.failures.push(...summary.failures);
    total.drafts += summary.drafts;
    total.tokens += summary.tokens;
    total.costUsd += summary.costUsd;
    total.wallMs += summary.wallMs;
  }
  return total;
}

/** Every stored listing as a ref (id + hash), sorted by id, from the listing index (no listing is read). */
export async function storedRefs(store: Store, limit?: number): Promise<ListingRef[]> {
  const refs = await store.index.listingRefs();
  return limit === undefined ? refs : refs.slice(0, limit);
}

/**
 * Collects rerun index entries as listings settle and records them in batches of 500 (so a large
 * run keeps no per-listing state). Recorded after the stage saved the draft and superseded older
 * revisions, so an entry never stands for work left half done.
 */
function indexRecorder(store: Store, key: string): { add: (output: AssessOutput) => void; flush: () => Promise<void> } {
  let pending: Array<readonly [string, { contentHash: string; draftId: string; profileKey: string }]> = [];
  let writing: Promise<void> = Promise.resolve();
  let failure: unknown;
  const write = (): void => {
    const entries = pending;
    pending = [];
    writing = writing.then(() => store.index.recordAssessed(entries)).catch((error: unknown) => {
      failure ??= error;
    });
  };
  return {
    add: (output) => {
      if (output.contentHash === undefined) return;
      pending.push([output.listingId, { contentHash: output.contentHash, draftId: output.draftId, profileKey: key }]);
      if (pending.length >= 500) write();
    },
    flush: async () => {
      if (pending.length > 0) write();
      await writing;
      // The index is an optimisation: failing to record only makes the next run take the full path.
      void failure;
    },
  };
}
