/**
 * Labelled listings for fitting the rules calibration: each eval case's listing read by the rules
 * assessor (its features) and the ranges its expectations allow per factor (pure but for reading the
 * cases, which the caller does). Cases tagged `holdout` are never fitted on.
 */
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Sample } from '../../src/assess/rules/fit.js';
import { readListing } from '../../src/assess/rules/read.js';
import type { EvalCase, Expected } from '../runner/case-schema.js';
import { listingForCase } from '../runner/listing.js';

/** How much each origin's expectations weigh in the fit: the public directory's values most. */
export const ORIGIN_WEIGHTS: Readonly<Record<Expected['origin'], number>> = { 'reference-dev': 1, handwritten: 0.5, promoted: 1 };

/** The tag that keeps a case out of every fit. */
export const HOLDOUT_TAG = 'holdout';

/** The range an expectation allows for each factor it names (a value is a point; facts narrow it). */
export function targetsOf(expected: Expected): Sample['targets'] {
  const targets: Sample['targets'] = {};
  for (const key of LISTING_FACTOR_KEYS) {
    const expectation = expected.factors[key];
    if (expectation === undefined) continue;
    const range =
      typeof expectation === 'number'
        ? { low: expectation, high: expectation }
        : 'value' in expectation
          ? { low: expectation.value, high: expectation.value }
          : { low: expectation.min, high: expectation.max };
    targets[key] = range;
  }
  for (const fact of expected.facts) {
    if (fact.type !== 'factor') continue;
    const key: ListingFactorKey = fact.factor;
    const range = targets[key] ?? { low: 0, high: 1 };
    const low = Math.max(range.low, fact.min ?? 0);
    const high = Math.min(range.high, fact.max ?? 1);
    targets[key] = low <= high ? { low, high } : { low: high, high };
  }
  return targets;
}

/** The fit samples of the cases that have factor expectations and are not held out. */
export function samplesOf(cases: readonly EvalCase[]): Sample[] {
  return cases
    .filter((evalCase) => !evalCase.expected.tags.includes(HOLDOUT_TAG))
    .map((evalCase) => ({
      id: evalCase.id,
      levels: readListing(listingForCase(evalCase)).levels,
      targets: targetsOf(evalCase.expected),
      weight: ORIGIN_WEIGHTS[evalCase.expected.origin],
      reference: evalCase.expected.origin === 'reference-dev',
    }))
    .filter((sample) => Object.keys(sample.targets).length > 0);
}
