/**
 * How well the rules calibration generalises on a set of eval cases: the reference cases' factor
 * MAE with the committed table (in-sample when these are the cases it was fitted on), the same
 * cases each predicted by a table refitted without it (leave-one-out), and the cases tagged
 * `holdout` (never fitted on). A cross-validated figure far above the in-sample one means the table
 * learnt the cases, not the principles.
 */
import { CALIBRATION } from '../../src/assess/rules/data/calibration.js';
import { crossValidate, foldsOf, maeOf, type FactorMae } from '../../src/assess/rules/fit.js';
import { readListing } from '../../src/assess/rules/read.js';
import type { EvalCase } from '../runner/case-schema.js';
import { listingForCase } from '../runner/listing.js';
import { HOLDOUT_TAG, ORIGIN_WEIGHTS, samplesOf, targetsOf } from './samples.js';

export interface CrossValidation {
  lambda: number;
  folds: number;
  /** Reference cases with the committed table. */
  inSample: FactorMae | null;
  /** Reference cases, each predicted by a table fitted without it. */
  crossValidated: FactorMae | null;
  /** Cases tagged `holdout`, with the committed table. */
  holdout: FactorMae | null;
  holdoutCases: number;
}

export function rulesCrossValidation(cases: readonly EvalCase[]): CrossValidation {
  const samples = samplesOf(cases);
  const reference = samples.filter((sample) => sample.reference);
  const folds = foldsOf(samples, reference.length);
  const held = cases
    .filter((evalCase) => evalCase.expected.tags.includes(HOLDOUT_TAG))
    .map((evalCase) => ({
      id: evalCase.id,
      levels: readListing(listingForCase(evalCase)).levels,
      targets: targetsOf(evalCase.expected),
      weight: ORIGIN_WEIGHTS[evalCase.expected.origin],
      reference: false,
    }))
    .filter((sample) => Object.keys(sample.targets).length > 0);
  const lambda = CALIBRATION.fit.lambda;
  return {
    lambda,
    folds: reference.length === 0 ? 0 : folds.length,
    inSample: reference.length === 0 ? null : maeOf(reference, CALIBRATION.factors),
    crossValidated: reference.length === 0 ? null : crossValidate(samples, folds, { lambda }),
    holdout: held.length === 0 ? null : maeOf(held, CALIBRATION.factors),
    holdoutCases: held.length,
  };
}
