import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../../schemas/factors.js';
import { crossValidate, fitCalibration, foldsOf, maeOf, type Sample } from '../../../src/assess/rules/fit.js';
import type { Levels } from '../../../src/assess/rules/model.js';

function sample(id: string, prior: 0 | 1 | 2 | 3 | 4, autonomy: number, signalLevel: 1 | 2 | 3 | null, reference = true): Sample {
  const levels: Levels = {
    kind: { id: `k${prior}`, label: 'kind', priors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, prior])) as Levels['kind']['priors'] },
    signals: signalLevel === null ? [] : [{ id: 's', label: 's', effect: { autonomyOfAction: signalLevel }, strength: 1, hedged: false }],
    breadth: 0,
    ceilings: {},
  };
  return { id, levels, targets: { autonomyOfAction: { low: autonomy, high: autonomy } }, weight: 1, reference };
}

/** Data generated from known values: base 0.1, each prior step 0.1, signal steps 0.05/0.1/0.15. */
function generated(): Sample[] {
  const out: Sample[] = [];
  let n = 0;
  for (const prior of [0, 1, 2, 3, 4] as const) {
    for (const level of [null, 1, 2, 3] as const) {
      const up = level === null ? 0 : [0.05, 0.15, 0.3][level - 1]!;
      out.push(sample(`case-${n++}`, prior, Math.round((0.1 + 0.1 * prior + up) * 100) / 100, level));
    }
  }
  return out;
}

describe('calibration fit', () => {
  it('recovers the level values data were generated from', () => {
    const fitted = fitCalibration(generated(), { lambda: 0 }).autonomyOfAction;
    expect(fitted.base).toBeCloseTo(0.1, 2);
    for (const step of fitted.kindSteps) expect(step).toBeCloseTo(0.1, 2);
    expect(fitted.upSteps.map((step) => Math.round(step * 100) / 100)).toEqual([0.05, 0.1, 0.15]);
    expect(maeOf(generated(), fitCalibration(generated(), { lambda: 0 })).autonomyOfAction).toBeLessThanOrEqual(0.025);
  });

  it('keeps level steps non-negative, so a stronger level is never worth less', () => {
    const contrary = generated().map((item) => (item.levels.signals.length > 0 ? { ...item, targets: { autonomyOfAction: { low: 0, high: 0 } } } : item));
    const fitted = fitCalibration(contrary, { lambda: 0 }).autonomyOfAction;
    for (const step of [...fitted.kindSteps, ...fitted.upSteps, ...fitted.downSteps, fitted.breadth]) expect(step).toBeGreaterThanOrEqual(0);
  });

  it('costs nothing inside an expected range', () => {
    const ranged = generated().map((item) => ({ ...item, targets: { autonomyOfAction: { low: 0, high: 1 } } }));
    expect(maeOf(ranged, fitCalibration(ranged, { lambda: 1 })).overall).toBe(0);
  });

  it('shrinks towards zero with a larger penalty', () => {
    const loose = fitCalibration(generated(), { lambda: 0 }).autonomyOfAction;
    const tight = fitCalibration(generated(), { lambda: 50 }).autonomyOfAction;
    const total = (factor: typeof loose) => [...factor.kindSteps, ...factor.upSteps].reduce((sum, step) => sum + step, 0);
    expect(total(tight)).toBeLessThan(total(loose));
  });

  it('deals reference samples into deterministic folds and never holds out the others', () => {
    const samples = [...generated(), sample('other', 2, 0.5, null, false)];
    const folds = foldsOf(samples, 5);
    expect(folds).toHaveLength(5);
    expect(folds.flat().sort()).toEqual(samples.filter((item) => item.reference).map((item) => item.id).sort());
    expect(foldsOf(samples, 5)).toEqual(folds);
  });

  it('predicts each held-out sample from a table fitted without it', () => {
    // One reference sample far from the rest: in-sample it pulls its kind's step; held out, it cannot.
    const outlier = sample('outlier', 4, 1, 3);
    const samples = [...generated().filter((item) => !(item.levels.kind.id === 'k4' && item.levels.signals[0]?.effect.autonomyOfAction === 3)), outlier];
    const inSample = maeOf([outlier], fitCalibration(samples, { lambda: 0 })).autonomyOfAction;
    const heldOut = crossValidate(samples, [['outlier']], { lambda: 0 }).autonomyOfAction;
    expect(heldOut).toBeGreaterThan(inSample);
    const keys: ListingFactorKey[] = ['autonomyOfAction'];
    expect(keys.every((key) => Number.isFinite(crossValidate(samples, foldsOf(samples, 4), { lambda: 0 })[key]))).toBe(true);
  });
});
