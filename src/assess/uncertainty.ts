/**
 * Honest uncertainty (pure). Every factor value is an estimate; how far it may plausibly be off
 * depends on how firmly the listing pins it. A labelled field pins a factor most firmly, a stated
 * sentence less, the kind of product alone (or a hedged statement) less again, and nothing at all
 * least. So each factor gets a plausible low and high around its value, the AIVSS score is
 * recomputed at all the lows and all the highs (`score.range`), and a listing that pins too few
 * factors is drafted as having insufficient evidence.
 */
import type { Assessment, FactorCertainty } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Formula, Score } from '../../schemas/score.js';
import { computeAivss } from '../aivss/index.js';

/**
 * How far a factor may plausibly be from its value, by certainty: the half-width of its range. Set
 * so that about four in five expected values of the eval cases fall inside (test/assess/uncertainty.test.ts
 * measures it on the reference and hand-written cases).
 */
export const PLAUSIBLE_SPREAD: Readonly<Record<FactorCertainty, number>> = {
  field: 0.1,
  stated: 0.15,
  inferred: 0.2,
  unknown: 0.3,
};

/**
 * The evidence threshold: a draft needs at least this many of the ten factors pinned by the
 * listing (a field or a stated sentence). Below it, most of the score rests on what such products
 * usually do rather than on what this listing says, so the draft is marked `insufficientEvidence`.
 */
export const MIN_PINNED_FACTORS = 3;

/** The sentence a summary carries when the evidence is insufficient. */
export const INSUFFICIENT_SENTENCE =
  'Insufficient evidence: the listing pins too few of the ten factors for a confident draft, so this score is a placeholder that rests mostly on what such products usually do.';

const step = (value: number): number => Math.round(Math.min(1, Math.max(0, value)) * 20) / 20;

/** A factor's plausible low and high, on the 0.05 grid within [0, 1]. */
export function factorRange(value: number, certainty: FactorCertainty): { low: number; high: number } {
  const spread = PLAUSIBLE_SPREAD[certainty];
  return { low: step(value - spread), high: step(value + spread) };
}

/** How many factors the listing pins (a field or a stated sentence). */
export function pinnedFactors(assessment: Pick<Assessment, 'factors'>): number {
  return LISTING_FACTOR_KEYS.filter((key) => {
    const { certainty } = assessment.factors[key];
    return certainty === 'field' || certainty === 'stated';
  }).length;
}

/** Whether a draft's evidence is below the threshold (see {@link MIN_PINNED_FACTORS}). */
export function isInsufficient(assessment: Pick<Assessment, 'factors'>): boolean {
  return pinnedFactors(assessment) < MIN_PINNED_FACTORS;
}

/** A summary without the insufficient-evidence sentence. */
export function withoutInsufficientSentence(summary: string): string {
  return summary.replace(` ${INSUFFICIENT_SENTENCE}`, '').replace(INSUFFICIENT_SENTENCE, '').trim();
}

/** The assessment with `insufficientEvidence` decided and, when it is, the summary saying so (once). */
export function withEvidenceVerdict(assessment: Assessment): Assessment {
  const insufficientEvidence = isInsufficient(assessment);
  const says = assessment.summary.includes(INSUFFICIENT_SENTENCE);
  const summary =
    insufficientEvidence && !says
      ? `${assessment.summary.slice(0, 1500 - INSUFFICIENT_SENTENCE.length - 1)} ${INSUFFICIENT_SENTENCE}`
      : !insufficientEvidence && says
        ? withoutInsufficientSentence(assessment.summary)
        : assessment.summary;
  return { ...assessment, summary, insufficientEvidence };
}

function factorsAt(assessment: Pick<Assessment, 'factors'>, end: 'low' | 'high'): Record<ListingFactorKey, number> {
  return Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => [key, factorRange(assessment.factors[key].value, assessment.factors[key].certainty)[end]]),
  ) as Record<ListingFactorKey, number>;
}

/**
 * Scores an assessment with the pure AIVSS core and adds the range: the same formula, vector,
 * maturity and mitigation with every factor at its plausible low, then at its plausible high.
 * @throws InputError (from computeAivss) for an unscorable vector.
 */
export function scoreWithRange(assessment: Pick<Assessment, 'factors' | 'cvss' | 'exploitMaturity' | 'mitigation'>, formula: Formula = 'v0.8'): Score {
  const at = (factors: Record<ListingFactorKey, number>, cvss: string | number): Score =>
    computeAivss({ formula, cvss, factors, thm: assessment.exploitMaturity.value, mf: assessment.mitigation.value });
  const score = at(Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, assessment.factors[key].value])) as Record<ListingFactorKey, number>, assessment.cvss.vector);
  // The vector is scored once; the ends reuse its base score.
  const low = at(factorsAt(assessment, 'low'), score.cvssBase).score;
  const high = at(factorsAt(assessment, 'high'), score.cvssBase).score;
  return { ...score, range: { low: Math.min(low, score.score), high: Math.max(high, score.score) } };
}

/** A score as people read it: "6.8 (5.9–7.6)", or the point alone without a range. */
export function formatScore(score: Pick<Score, 'score' | 'range'>): string {
  const point = score.score.toFixed(1);
  return score.range === undefined ? point : `${point} (${score.range.low.toFixed(1)}–${score.range.high.toFixed(1)})`;
}
