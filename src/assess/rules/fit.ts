/**
 * Fitting the calibration table from labelled listings (pure, deterministic). Per factor, twelve
 * numbers: the base value, what each kind prior level step, each raising and lowering signal level
 * step, and full breadth are worth. Fitted by coordinate descent on the weighted squared distance
 * from each expectation (a value, or a range: inside it costs nothing), every step weight kept
 * non-negative (so levels stay ordered) and at most MAX_STEP, with a small ridge penalty towards 0.
 * The signal and kind tables decide which factors move and how strongly; the data only decides
 * what "weak", "medium", "strong", "low", "high" are worth.
 */
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../../schemas/factors.js';
import { designRow, valueOf, type Calibration, type FactorCalibration, type Levels } from './model.js';

/** A labelled listing: its levels, the range each factor is expected in, and its weight in the fit. */
export interface Sample {
  id: string;
  levels: Levels;
  targets: Partial<Record<ListingFactorKey, { low: number; high: number }>>;
  weight: number;
  /** True for the public directory's published values (the external yardstick). */
  reference: boolean;
}

export interface FitOptions {
  /** Ridge penalty on every step weight (the base is not penalised). */
  lambda: number;
  /** @default 500 */
  sweeps?: number;
}

/** The most one level step may be worth. */
export const MAX_STEP = 0.5;

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

function fitFactor(samples: readonly Sample[], key: ListingFactorKey, options: FitOptions): FactorCalibration {
  const rows = samples.filter((sample) => sample.targets[key] !== undefined);
  const zero: FactorCalibration = { base: 0, kindSteps: [0, 0, 0, 0], upSteps: [0, 0, 0], downSteps: [0, 0, 0], breadth: 0 };
  if (rows.length === 0) return zero;
  const x = rows.map((row) => designRow(row.levels, key));
  const low = rows.map((row) => row.targets[key]!.low);
  const high = rows.map((row) => row.targets[key]!.high);
  const weight = rows.map((row) => row.weight);
  const totalWeight = weight.reduce((sum, value) => sum + value, 0);
  const width = x[0]!.length;
  const theta = new Array<number>(width).fill(0);
  let base = rows.reduce((sum, _row, index) => sum + weight[index]! * (low[index]! + high[index]!) / 2, 0) / totalWeight;
  const prediction = rows.map(() => base);
  const residual = (index: number): number => {
    const value = prediction[index]!;
    return value < low[index]! ? value - low[index]! : value > high[index]! ? value - high[index]! : 0;
  };
  for (let sweep = 0; sweep < (options.sweeps ?? 500); sweep++) {
    let moved = 0;
    let gradient = 0;
    for (let index = 0; index < rows.length; index++) gradient += weight[index]! * residual(index);
    const step = gradient / totalWeight;
    if (step !== 0) {
      base -= step;
      for (let index = 0; index < rows.length; index++) prediction[index]! -= step;
      moved = Math.abs(step);
    }
    for (let feature = 0; feature < width; feature++) {
      let g = options.lambda * theta[feature]!;
      let h = options.lambda;
      for (let index = 0; index < rows.length; index++) {
        const value = x[index]![feature]!;
        if (value === 0) continue;
        g += weight[index]! * value * residual(index);
        h += weight[index]! * value * value;
      }
      if (h === 0) continue;
      const next = Math.max(0, Math.min(MAX_STEP, theta[feature]! - g / h));
      const delta = next - theta[feature]!;
      if (delta === 0) continue;
      theta[feature] = next;
      for (let index = 0; index < rows.length; index++) prediction[index]! += delta * x[index]![feature]!;
      moved = Math.max(moved, Math.abs(delta));
    }
    if (moved < 1e-8) break;
  }
  const t = theta.map(round);
  return {
    base: round(base),
    kindSteps: [t[0]!, t[1]!, t[2]!, t[3]!],
    upSteps: [t[4]!, t[5]!, t[6]!],
    downSteps: [t[7]!, t[8]!, t[9]!],
    breadth: t[10]!,
  };
}

/** Fits every factor. */
export function fitCalibration(samples: readonly Sample[], options: FitOptions): Calibration['factors'] {
  return Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, fitFactor(samples, key, options)])) as Calibration['factors'];
}

/** The distance of a value from its expected range. */
function error(value: number, target: { low: number; high: number }): number {
  return value < target.low ? target.low - value : value > target.high ? value - target.high : 0;
}

function predict(levels: Levels, factor: FactorCalibration, key: ListingFactorKey): number {
  return valueOf(levels, factor, key);
}

export type FactorMae = Record<ListingFactorKey, number> & { overall: number };

function summarise(pairs: readonly { sample: Sample; factors: Calibration['factors'] }[]): FactorMae {
  const out = { overall: 0 } as FactorMae;
  let total = 0;
  let count = 0;
  for (const key of LISTING_FACTOR_KEYS) {
    let sum = 0;
    let n = 0;
    for (const { sample, factors } of pairs) {
      const target = sample.targets[key];
      if (target === undefined) continue;
      sum += error(predict(sample.levels, factors[key], key), target);
      n += 1;
    }
    out[key] = n === 0 ? 0 : round(sum / n);
    total += sum;
    count += n;
  }
  out.overall = count === 0 ? 0 : round(total / count);
  return out;
}

/** Mean absolute error per factor of a calibration on samples (distance outside each expected range). */
export function maeOf(samples: readonly Sample[], factors: Calibration['factors']): FactorMae {
  return summarise(samples.map((sample) => ({ sample, factors })));
}

/**
 * Deterministic folds: the reference samples dealt round-robin in id order into `k` folds (k at
 * least the number of reference samples gives leave-one-out). Other samples are never held out.
 */
export function foldsOf(samples: readonly Sample[], k: number): string[][] {
  const ids = samples.filter((sample) => sample.reference).map((sample) => sample.id).sort();
  const count = Math.max(1, Math.min(k, ids.length));
  const folds: string[][] = Array.from({ length: count }, () => []);
  ids.forEach((id, index) => folds[index % count]!.push(id));
  return folds.filter((fold) => fold.length > 0);
}

/**
 * Cross-validated error: each fold is predicted by a calibration fitted without it (on every other
 * sample), and the errors of the held-out predictions are averaged.
 */
export function crossValidate(samples: readonly Sample[], folds: readonly string[][], options: FitOptions): FactorMae {
  const pairs: { sample: Sample; factors: Calibration['factors'] }[] = [];
  for (const fold of folds) {
    const out = new Set(fold);
    const factors = fitCalibration(samples.filter((sample) => !out.has(sample.id)), options);
    for (const sample of samples) if (out.has(sample.id)) pairs.push({ sample, factors });
  }
  return summarise(pairs);
}
