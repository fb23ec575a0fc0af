import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, LISTING_FACTORS } from '../../schemas/factors.js';
import { rulesCrossValidation, type CrossValidation } from '../../evals/calibration/cross-validation.js';
import { fitAt, GAP_LIMIT, LAMBDAS } from '../../evals/calibration/table.js';
import type { EvalCase } from '../../evals/runner/case-schema.js';
import { listingForCase } from '../../evals/runner/listing.js';
import { loadCases } from '../../evals/runner/load.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { CALIBRATION } from '../../src/assess/rules/data/calibration.js';

const CASES = join(import.meta.dirname, '..', '..', 'evals', 'cases');

describe('rules calibration on the eval cases', () => {
  let cases: EvalCase[];
  let cv: CrossValidation;
  beforeAll(async () => {
    cases = await loadCases(CASES);
    cv = rulesCrossValidation(cases);
    console.log(
      [
        `reference cases: ${cv.folds} (leave-one-out); lambda ${cv.lambda}; holdout cases: ${cv.holdoutCases}`,
        ...LISTING_FACTOR_KEYS.map(
          (key) => `  ${LISTING_FACTORS[key].padEnd(26)} in-sample ${cv.inSample![key].toFixed(3)}  cross-validated ${cv.crossValidated![key].toFixed(3)}  holdout ${cv.holdout![key].toFixed(3)}`,
        ),
        `  ${'overall'.padEnd(26)} in-sample ${cv.inSample!.overall.toFixed(3)}  cross-validated ${cv.crossValidated!.overall.toFixed(3)}  holdout ${cv.holdout!.overall.toFixed(3)}`,
      ].join('\n'),
    );
  });

  it('is the table `npm run calibrate` fits from these cases (never hand-edited)', () => {
    expect(LAMBDAS).toContain(CALIBRATION.fit.lambda);
    const refit = fitAt(cases, CALIBRATION.fit.lambda).calibration;
    // A difference here means the signals, kinds or cases changed since the last `npm run calibrate`.
    expect(refit.factors).toEqual(CALIBRATION.factors);
    expect(refit.fit).toEqual(CALIBRATION.fit);
  });

  it('keeps the cross-validated factor MAE on the reference cases at most 0.12, within 0.02 of the in-sample figure', () => {
    expect(cv.inSample!.overall).toBeLessThanOrEqual(0.12);
    expect(cv.crossValidated!.overall).toBeLessThanOrEqual(0.12);
    expect(cv.crossValidated!.overall - cv.inSample!.overall).toBeLessThanOrEqual(GAP_LIMIT + 1e-9);
  });

  it('keeps every factor’s cross-validated MAE at most 0.15', () => {
    for (const key of LISTING_FACTOR_KEYS) expect(cv.crossValidated![key], key).toBeLessThanOrEqual(0.15);
  });

  it('stays within the expected ranges of the cases it was never fitted on (holdout)', () => {
    expect(cv.holdoutCases).toBeGreaterThanOrEqual(16);
    expect(cv.holdout!.overall).toBeLessThanOrEqual(0.05);
  });

  it('agrees with the reference on which visible layers are uncertain at least 82% of the time', () => {
    let agree = 0;
    let compared = 0;
    for (const evalCase of cases.filter((item) => item.expected.origin === 'reference-dev')) {
      const assessment = assessWithRules(listingForCase(evalCase));
      for (const layer of evalCase.expected.layersVisible) {
        if (!LAYER_NUMBERS.includes(layer as never)) continue;
        compared += 1;
        if (!assessment.layers[layer - 1]!.certain === (evalCase.expected.uncertainLayers ?? []).includes(layer)) agree += 1;
      }
    }
    expect(compared).toBe(163);
    expect(agree / compared).toBeGreaterThanOrEqual(0.82);
  });
});
