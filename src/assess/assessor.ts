/** The Assessor port: a Listing in, an Assessment (validated) out. Checks run after, separately. */
import type { Assessment } from '../../schemas/assessment.js';
import type { Listing } from '../../schemas/listing.js';

export interface AssessUsage {
  tokensIn: number;
  tokensOut: number;
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
  /** Extra warnings from the assessor itself (e.g. disagreement with the rules hints). */
  notes: { code: 'assessor-disagreement'; message: string; where: string | null }[];
}

export interface Assessor {
  readonly id: 'rules' | 'openai';
  /** Changes whenever rules or prompt handling change; part of cache and eval keys. */
  readonly version: string;
  /**
   * @throws TransientError when a retry later may succeed; PermanentError when not.
   */
  assess(listing: Listing, options?: { signal?: AbortSignal }): Promise<AssessOutcome>;
}
