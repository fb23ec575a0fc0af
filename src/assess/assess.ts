/**
 * One listing through one assessor, then the deterministic checks and the AIVSS score: what the
 * CLI prints, the pipeline stores as a draft and the evals compare.
 */
import { assessmentSchema, type Assessment } from '../../schemas/assessment.js';
import type { Checks, Provenance } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import type { Formula, Score } from '../../schemas/score.js';
import { ExtractionError } from '../errors.js';
import { VERSION } from '../version.js';
import type { Assessor } from './assessor.js';
import { runChecks } from './checks.js';
import { textsContradictingBand } from './text-paths.js';
import { scoreWithRange, withEvidenceVerdict } from './uncertainty.js';

export interface AssessListingOptions {
  assessor: Assessor;
  /** Clock for provenance timestamps (injected so tests and replays are deterministic). */
  now: () => Date;
  /** @default 'v0.8' */
  formula?: Formula | undefined;
  signal?: AbortSignal | undefined;
}

/** Everything one assessment produces, as printed by `threatdraft assess`. */
export interface AssessedListing {
  listing: Listing;
  assessment: Assessment;
  score: Score;
  checks: Checks;
  provenance: Provenance;
}

/** Scores an assessment with the pure AIVSS core (maturity and mitigation as named levels), with its plausible range. */
export function scoreAssessment(assessment: Assessment, formula: Formula = 'v0.8'): Score {
  return scoreWithRange(assessment, formula);
}

/**
 * Assesses one listing, checks the assessment against it, and scores the checked assessment.
 * @throws ExtractionError when the assessor returns something that fails the Assessment schema;
 *   TransientError / PermanentError as the assessor throws them; InputError for an unscorable vector.
 */
export async function assessListing(listing: Listing, options: AssessListingOptions): Promise<AssessedListing> {
  const startedAt = options.now().toISOString();
  const outcome = await options.assessor.assess(listing, options.signal === undefined ? {} : { signal: options.signal });
  const parsed = assessmentSchema.safeParse(outcome.assessment);
  if (!parsed.success) {
    throw new ExtractionError(`Assessment from the ${options.assessor.id} assessor`, parsed.error.issues, {
      listingId: listing.id,
      assessor: options.assessor.id,
    });
  }
  const run = runChecks(listing, parsed.data);
  // Whether the evidence suffices is decided once, here, from the checked certainties, for every assessor.
  const formula = options.formula ?? 'v0.8';
  const checked = { ...run, assessment: { ...withEvidenceVerdict(run.assessment), taxonomies: { ...run.assessment.taxonomies, aivss: formula } } };
  const score = scoreAssessment(checked.assessment, formula);
  // Text that calls the draft another band than its own score misleads whoever stops reading there.
  const wording = textsContradictingBand(checked.assessment, score.severity).map((path) => ({
    code: 'band-wording' as const,
    message: `The text at ${path} describes another severity than the score's ${score.severity}; regenerate or rewrite it`,
    where: path,
  }));
  const checks: Checks = {
    ...checked.checks,
    warnings: [...checked.checks.warnings, ...outcome.notes.map((note) => ({ ...note })), ...wording],
  };
  const provenance: Provenance = {
    assessor: options.assessor.id,
    assessorVersion: options.assessor.version,
    model: outcome.model,
    promptId: outcome.promptId,
    promptHash: outcome.promptHash,
    listingContentHash: listing.contentHash,
    tokensIn: outcome.usage.tokensIn,
    tokensOut: outcome.usage.tokensOut,
    costUsd: outcome.usage.costUsd,
    cached: outcome.cached,
    startedAt,
    finishedAt: options.now().toISOString(),
    threatdraftVersion: VERSION,
  };
  return { listing, assessment: checked.assessment, score, checks, provenance };
}
