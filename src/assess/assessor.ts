/** The Assessor port: a Listing in, an Assessment (validated) out. Checks run after, separately. */
import type { Assessment } from '../../schemas/assessment.js';
import type { Listing } from '../../schemas/listing.js';

export interface AssessUsage {
  tokensIn: number;
  tokensOut: number;
  /** Of `tokensIn`, those served from the provider's prompt cache (priced at its cached rate). */
  tokensCached?: number;
  costUsd: number;
}

export interface AssessOutcome {
  assessment: Assessment;
  usage: AssessUsage;
  model: string | null;
  promptId: string | null;
  promptHash: string | null;
  /** True when the answer came from the response cache (no model request made). */
  cached: boolean;
  /** The Batch API batch the answer came from, when it did. */
  batchId?: string;
  /** Extra warnings from the assessor itself (e.g. disagreement with the rules hints). */
  notes: { code: 'assessor-disagreement'; message: string; where: string | null }[];
}

/**
 * Runs one model call when a model slot is free (the executors' model-concurrency limit). An
 * assessor wraps each model request in it, and nothing else: no slot is held while it builds a
 * prompt, validates an answer or waits out a backoff, and a cache hit takes none.
 */
export type ModelSlot = <T>(call: () => Promise<T>) => Promise<T>;

export { DEFAULT_LISTING_BUDGET_MS } from '../abort.js';

/** The slot of a caller without a model-concurrency limit: the call runs at once. */
export const runAtOnce: ModelSlot = (call) => call();

/** Options of {@link Assessor.assess}. */
export interface AssessCallOptions {
  signal?: AbortSignal;
  /** Where model calls wait their turn. @default run at once */
  modelSlot?: ModelSlot;
  /**
   * Epoch ms by which this listing must be done, across every attempt and wait (the listing's
   * time budget); an assessor gives up then instead of starting or waiting for another attempt.
   */
  deadline?: number;
}

export interface Assessor {
  readonly id: 'rules' | 'openai';
  /** Changes whenever rules or prompt handling change; part of cache and eval keys. */
  readonly version: string;
  /**
   * @throws TransientError when a retry later may succeed; PermanentError when not.
   */
  assess(listing: Listing, options?: AssessCallOptions): Promise<AssessOutcome>;
  /**
   * How to build this very assessor in a worker thread, for one whose work is CPU on this machine
   * (the rules assessor with its committed tables): the module's URL and the name of the factory it
   * exports, called with no arguments; the thread checks the rebuilt assessor has this `version`.
   * Absent when it cannot be rebuilt there (tables passed in, an I/O-bound model assessor).
   */
  readonly thread?: AssessorThreadRecipe;
}

/** Where a worker thread finds an assessor's factory: see {@link Assessor.thread}. */
export interface AssessorThreadRecipe {
  readonly module: string;
  readonly factory: string;
}
