/**
 * Fitting the rules calibration table from eval cases (pure given the cases): the ridge penalty is
 * the one with the lowest leave-one-out error over the reference cases among those whose gap to
 * the in-sample error stays within GAP_LIMIT, then the table is fitted on every non-holdout case.
 * `npm run calibrate` writes the result; the calibration test refits and compares.
 */
import { crossValidate, fitCalibration, foldsOf, maeOf, type FactorMae } from '../../src/assess/rules/fit.js';
import type { Calibration } from '../../src/assess/rules/model.js';
import type { EvalCase } from '../runner/case-schema.js';
import { samplesOf } from './samples.js';

/** The penalties tried, smallest first. */
export const LAMBDAS: readonly number[] = [0, 0.1, 0.25, 0.5, 1, 2, 4];
/** A larger gap between cross-validated and in-sample error means the table learnt cases, not principles. */
export const GAP_LIMIT = 0.02;

export interface GridPoint {
  lambda: number;
  crossValidated: FactorMae;
  inSample: number;
}

/** Fits the table at one penalty and records how it did on the reference cases. */
export function fitAt(cases: readonly EvalCase[], lambda: number): { calibration: Calibration; crossValidated: FactorMae; inSample: FactorMae } {
  const samples = samplesOf(cases);
  const reference = samples.filter((sample) => sample.reference);
  if (reference.length === 0) throw new Error('no reference cases to calibrate on');
  const folds = foldsOf(samples, reference.length);
  const factors = fitCalibration(samples, { lambda });
  const inSample = maeOf(reference, factors);
  const crossValidated = crossValidate(samples, folds, { lambda });
  return {
    calibration: {
      factors,
      fit: { cases: samples.length, referenceCases: reference.length, lambda, inSampleMae: inSample.overall, crossValidatedMae: crossValidated.overall, folds: folds.length },
    },
    crossValidated,
    inSample,
  };
}

/** Tries every penalty and keeps the best one whose generalisation gap stays within GAP_LIMIT. */
export function fitTable(cases: readonly EvalCase[], lambdas: readonly number[] = LAMBDAS): { best: ReturnType<typeof fitAt>; grid: GridPoint[] } {
  const grid: GridPoint[] = [];
  let best: ReturnType<typeof fitAt> | null = null;
  for (const lambda of lambdas) {
    const result = fitAt(cases, lambda);
    grid.push({ lambda, crossValidated: result.crossValidated, inSample: result.inSample.overall });
    const gap = result.crossValidated.overall - result.inSample.overall;
    if (gap <= GAP_LIMIT + 1e-9 && (best === null || result.crossValidated.overall < best.crossValidated.overall - 1e-9)) best = result;
  }
  if (best === null) throw new Error(`no penalty keeps the gap between cross-validated and in-sample error within ${GAP_LIMIT}`);
  return { best, grid };
}
