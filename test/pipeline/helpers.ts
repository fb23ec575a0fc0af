/** Test doubles for pipeline tests: listings in bulk and an assessor that counts and can fail. */
import type { Listing } from '../../schemas/listing.js';
import { runAtOnce, type AssessCallOptions, type AssessOutcome, type Assessor } from '../../src/assess/assessor.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { PermanentError, TransientError } from '../../src/errors.js';
import { createListing } from '../factories/listing.js';

/** `count` distinct listings `agent-0000`…; `variant` changes their text (and hash). */
export function manyListings(count: number, variant = 0): Listing[] {
  return Array.from({ length: count }, (_, i) => agentListing(i, variant));
}

/** One listing of {@link manyListings}. */
export function agentListing(i: number, variant = 0): Listing {
  const id = `agent-${String(i).padStart(4, '0')}`;
  return createListing({
    id,
    url: `https://directory.example/agents/${id}`,
    title: `Agent ${i}`,
    text: `Agent ${i} plans multi-step tasks and calls external tools such as a shell and a browser.\nRevision ${variant}.`,
  });
}

/**
 * A rules-backed assessor that counts calls, tracks concurrency and fails on demand. Its "model
 * call" (the delay and the failure) runs in the executor's model slot, as a real model call does.
 */
export class ScriptedAssessor implements Assessor {
  readonly id = 'rules' as const;
  version: string;
  calls = 0;
  /** Model calls running now, and at most at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** assess() calls running now (waiting for a model slot or in one), and at most at once. */
  assessing = 0;
  maxAssessing = 0;
  readonly callsById = new Map<string, number>();
  readonly #rules = createRulesAssessor();
  readonly #fail: (listing: Listing, call: number) => 'transient' | 'permanent' | null;
  readonly #delayMs: number;

  constructor(options: { version?: string; delayMs?: number; fail?: (listing: Listing, call: number) => 'transient' | 'permanent' | null } = {}) {
    this.version = options.version ?? 'scripted-1';
    this.#delayMs = options.delayMs ?? 0;
    this.#fail = options.fail ?? (() => null);
  }

  async assess(listing: Listing, options: AssessCallOptions = {}): Promise<AssessOutcome> {
    this.calls += 1;
    const call = (this.callsById.get(listing.id) ?? 0) + 1;
    this.callsById.set(listing.id, call);
    this.assessing += 1;
    this.maxAssessing = Math.max(this.maxAssessing, this.assessing);
    try {
      await (options.modelSlot ?? runAtOnce)(() => this.#modelCall(listing, call));
      const outcome = await this.#rules.assess(listing);
      return { ...outcome, usage: { tokensIn: 100, tokensOut: 50, costUsd: 0.0001 } };
    } finally {
      this.assessing -= 1;
    }
  }

  async #modelCall(listing: Listing, call: number): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.#delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
      const failure = this.#fail(listing, call);
      if (failure === 'transient') throw new TransientError('E_MODEL_5XX', `model answered 500 for ${listing.id}`, { id: listing.id });
      if (failure === 'permanent') throw new PermanentError('E_MODEL_SCHEMA', `model output broke the schema for ${listing.id}`, { id: listing.id });
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** A fixed clock for deterministic timestamps. */
export const fixedNow = (): Date => new Date('2026-02-01T00:00:00.000Z');
