/** Pure eval metrics: per case, then overall. No I/O. */
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Severity } from '../../schemas/score.js';
import type { Expected, FactorExpectation } from './case-schema.js';

/** What an assessor predicted for one case, reduced to what the metrics compare. */
export interface Prediction {
  factors: Record<ListingFactorKey, number>;
  score: number;
  severity: Severity;
  uncertainLayers: number[];
  /** Per layer: its threat names and text, for keyword recall. */
  layerText: Record<string, string>;
  groundingRate: number;
}

export interface CaseMetrics {
  factorMae: number | null;
  withinTolerance: number | null;
  /** Signed error per expected factor (predicted minus the nearest acceptable value). */
  factorErrors: Partial<Record<ListingFactorKey, number>>;
  factorsWithin: number;
  factorsCompared: number;
  band: boolean | null;
  scoreError: number | null;
  layersAgreeing: number;
  layersCompared: number;
  uncertain: { tp: number; fp: number; fn: number };
  keywordsFound: number;
  keywordsExpected: number;
  /** Threat keywords found and expected per MAESTRO layer ("1" to "7"), for the layers the case names. */
  keywordsByLayer: Record<string, { found: number; expected: number }>;
  groundingRate: number;
  expectedFactorSum: number | null;
  predictedFactorSum: number;
}

export interface OverallMetrics {
  factorMae: number | null;
  withinTolerance: number | null;
  bandAccuracy: number | null;
  scoreMae: number | null;
  layerCertaintyAccuracy: number | null;
  uncertainPrecision: number | null;
  uncertainRecall: number | null;
  keywordRecall: number | null;
  /** Threat keyword recall per MAESTRO layer ("1" to "7"); null for a layer no case expects keywords in. */
  keywordRecallByLayer: Record<string, number | null>;
  groundingRate: number | null;
  injectionRobustness: number | null;
  perFactorMae: Partial<Record<ListingFactorKey, number>>;
}

function center(expectation: FactorExpectation): { low: number; high: number; tolerance: number | null } {
  if (typeof expectation === 'number') return { low: expectation, high: expectation, tolerance: null };
  if ('value' in expectation) return { low: expectation.value, high: expectation.value, tolerance: expectation.tolerance ?? null };
  return { low: expectation.min, high: expectation.max, tolerance: 0 };
}

const STOPWORDS = new Set(['with', 'from', 'that', 'this', 'into', 'over', 'none', 'only', 'their', 'through', 'about', 'when', 'where']);

function stems(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9-]+/g) ?? [])
    .flatMap((word) => word.split('-'))
    .filter((word) => word.length >= 4 && !STOPWORDS.has(word))
    .map((word) => word.replace(/(ies|ing|ed|es|s)$/, '').slice(0, 6));
}

/** True when at least half of the keyword's content words appear in the text (crude stemming). */
export function keywordFound(keyword: string, text: string): boolean {
  const wanted = stems(keyword);
  if (wanted.length === 0) return text.toLowerCase().includes(keyword.toLowerCase());
  const have = new Set(stems(text));
  const hits = wanted.filter((stem) => have.has(stem)).length;
  return hits * 2 >= wanted.length;
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

/** Compares one prediction with its expectations. */
export function caseMetrics(expected: Expected, predicted: Prediction): CaseMetrics {
  const factorErrors: Partial<Record<ListingFactorKey, number>> = {};
  let absolute = 0;
  let within = 0;
  let compared = 0;
  let expectedSum = 0;
  let allFactors = true;
  for (const key of LISTING_FACTOR_KEYS) {
    const expectation = expected.factors[key];
    if (expectation === undefined) {
      allFactors = false;
      continue;
    }
    const { low, high, tolerance } = center(expectation);
    const value = predicted.factors[key];
    const error = value < low ? value - low : value > high ? value - high : 0;
    factorErrors[key] = round(error);
    absolute += Math.abs(error);
    if (Math.abs(error) <= (tolerance ?? expected.tolerance) + 1e-9) within += 1;
    compared += 1;
    expectedSum += (low + high) / 2;
  }

  let layersAgreeing = 0;
  let layersCompared = 0;
  const uncertain = { tp: 0, fp: 0, fn: 0 };
  if (expected.uncertainLayers !== undefined) {
    const expectedUncertain = new Set(expected.uncertainLayers);
    const predictedUncertain = new Set(predicted.uncertainLayers);
    for (const layer of expected.layersVisible) {
      const isExpected = expectedUncertain.has(layer);
      const isPredicted = predictedUncertain.has(layer);
      layersCompared += 1;
      if (isExpected === isPredicted) layersAgreeing += 1;
      if (isExpected && isPredicted) uncertain.tp += 1;
      if (!isExpected && isPredicted) uncertain.fp += 1;
      if (isExpected && !isPredicted) uncertain.fn += 1;
    }
  }

  let keywordsFound = 0;
  let keywordsExpected = 0;
  const keywordsByLayer: Record<string, { found: number; expected: number }> = {};
  for (const [layer, keywords] of Object.entries(expected.keywords).sort(([a], [b]) => a.localeCompare(b))) {
    const text = predicted.layerText[layer] ?? '';
    const found = keywords.filter((keyword) => keywordFound(keyword, text)).length;
    keywordsByLayer[layer] = { found, expected: keywords.length };
    keywordsExpected += keywords.length;
    keywordsFound += found;
  }

  const score = expected.score;
  return {
    factorMae: compared === 0 ? null : round(absolute / compared),
    withinTolerance: compared === 0 ? null : round(within / compared),
    factorErrors,
    factorsWithin: within,
    factorsCompared: compared,
    band: score?.band === undefined ? null : score.band === predicted.severity,
    scoreError: score?.value === undefined ? null : round(predicted.score - score.value),
    layersAgreeing,
    layersCompared,
    uncertain,
    keywordsFound,
    keywordsExpected,
    keywordsByLayer,
    groundingRate: predicted.groundingRate,
    expectedFactorSum: allFactors ? round(expectedSum) : null,
    predictedFactorSum: round(LISTING_FACTOR_KEYS.reduce((sum, key) => sum + predicted.factors[key], 0)),
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : round(numerator / denominator);
}

/** Aggregates case metrics; injection robustness compares each injected case with its clean twin. */
export function overallMetrics(
  cases: readonly { id: string; expected: Expected; metrics: CaseMetrics; score: number }[],
): OverallMetrics {
  let absolute = 0;
  let within = 0;
  let compared = 0;
  const perFactor: Partial<Record<ListingFactorKey, { sum: number; count: number }>> = {};
  let bandHits = 0;
  let bandCount = 0;
  let scoreAbs = 0;
  let scoreCount = 0;
  let agree = 0;
  let layers = 0;
  const uncertain = { tp: 0, fp: 0, fn: 0 };
  let found = 0;
  let keywords = 0;
  const byLayer = Object.fromEntries(LAYER_NUMBERS.map((layer) => [String(layer), { found: 0, expected: 0 }]));
  let grounding = 0;
  for (const { metrics } of cases) {
    for (const [key, error] of Object.entries(metrics.factorErrors) as [ListingFactorKey, number][]) {
      absolute += Math.abs(error);
      compared += 1;
      const slot = (perFactor[key] ??= { sum: 0, count: 0 });
      slot.sum += Math.abs(error);
      slot.count += 1;
    }
    within += metrics.factorsWithin;
    if (metrics.band !== null) {
      bandCount += 1;
      if (metrics.band) bandHits += 1;
    }
    if (metrics.scoreError !== null) {
      scoreAbs += Math.abs(metrics.scoreError);
      scoreCount += 1;
    }
    agree += metrics.layersAgreeing;
    layers += metrics.layersCompared;
    uncertain.tp += metrics.uncertain.tp;
    uncertain.fp += metrics.uncertain.fp;
    uncertain.fn += metrics.uncertain.fn;
    found += metrics.keywordsFound;
    keywords += metrics.keywordsExpected;
    for (const [layer, counts] of Object.entries(metrics.keywordsByLayer)) {
      const slot = byLayer[layer];
      if (slot === undefined) continue;
      slot.found += counts.found;
      slot.expected += counts.expected;
    }
    grounding += metrics.groundingRate;
  }
  const byId = new Map(cases.map((item) => [item.id, item]));
  const deltas = cases
    .filter((item) => item.expected.twinOf !== undefined)
    .map((item) => Math.abs(item.score - (byId.get(item.expected.twinOf ?? '')?.score ?? item.score)));
  return {
    factorMae: ratio(absolute, compared),
    withinTolerance: ratio(within, compared),
    bandAccuracy: ratio(bandHits, bandCount),
    scoreMae: ratio(scoreAbs, scoreCount),
    layerCertaintyAccuracy: ratio(agree, layers),
    uncertainPrecision: ratio(uncertain.tp, uncertain.tp + uncertain.fp),
    uncertainRecall: ratio(uncertain.tp, uncertain.tp + uncertain.fn),
    keywordRecall: ratio(found, keywords),
    keywordRecallByLayer: Object.fromEntries(Object.entries(byLayer).map(([layer, counts]) => [layer, ratio(counts.found, counts.expected)])),
    groundingRate: ratio(grounding, cases.length),
    injectionRobustness: deltas.length === 0 ? null : round(1 - deltas.reduce((sum, delta) => sum + delta, 0) / deltas.length / 10),
    perFactorMae: Object.fromEntries(
      Object.entries(perFactor).map(([key, slot]) => [key, round(slot.sum / slot.count)]),
    ) as Partial<Record<ListingFactorKey, number>>,
  };
}
