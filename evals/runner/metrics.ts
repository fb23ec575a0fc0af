/** Pure eval metrics: per case, then overall. No I/O. */
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Severity } from '../../schemas/score.js';
import { bandDisagreements } from '../../src/assess/summary-band.js';
import type { Expected, Fact, FactorExpectation } from './case-schema.js';

/** What an assessor predicted for one case, reduced to what the metrics compare. */
export interface Prediction {
  factors: Record<ListingFactorKey, number>;
  score: number;
  severity: Severity;
  uncertainLayers: number[];
  /** Per layer: its threat names and text, for keyword recall. */
  layerText: Record<string, string>;
  groundingRate: number;
  /** The summary paragraph (checked against the band it should describe). */
  summary?: string;
  mitigation?: 'none' | 'partial' | 'strong';
}

/** A fact of the case that the draft contradicts, with what the draft said instead. */
export interface Contradiction {
  fact: Fact;
  got: string;
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
  /** Facts of the case the draft contradicts. */
  contradictions: Contradiction[];
  /** Whether the summary's wording agrees with the band (null when the prediction carries no summary). */
  summaryBand: boolean | null;
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
  /** Facts contradicted, summed over cases. */
  contradictions: number;
  /** Share of summaries whose wording agrees with their band. */
  summaryBandAgreement: number | null;
  /** Over paraphrase pairs: the largest factor-sum difference, the largest single-factor difference, and the share of pairs in the same band. */
  paraphraseSumSpread: number | null;
  paraphraseMaxFactorGap: number | null;
  paraphraseBandAgreement: number | null;
  paraphrasePairs: number;
  /** Factor MAE and layer-certainty agreement over the public directory's cases alone (the external yardstick). */
  referenceFactorMae: number | null;
  referenceLayerAgreement: number | null;
}

/** Whether a fact holds for a prediction; the draft's words for the contradiction when not. */
export function contradictionOf(fact: Fact, predicted: Prediction): Contradiction | null {
  switch (fact.type) {
    case 'factor': {
      const value = predicted.factors[fact.factor];
      const ok = (fact.min === undefined || value >= fact.min - 1e-9) && (fact.max === undefined || value <= fact.max + 1e-9);
      return ok ? null : { fact, got: `${fact.factor} ${value}` };
    }
    case 'layer': {
      const uncertain = predicted.uncertainLayers.includes(fact.layer);
      return uncertain === !fact.certain ? null : { fact, got: `layer ${fact.layer} ${uncertain ? 'not certain' : 'certain'}` };
    }
    case 'threat': {
      const layers = fact.layer === undefined ? Object.keys(predicted.layerText) : [String(fact.layer)];
      const texts = layers.map((layer) => predicted.layerText[layer] ?? '');
      if (fact.present) return texts.some((text) => keywordFound(fact.text, text)) ? null : { fact, got: `no "${fact.text}"` };
      const hit = texts.find((text) => text.toLowerCase().includes(fact.text.toLowerCase()));
      return hit === undefined ? null : { fact, got: `names "${fact.text}"` };
    }
    case 'mitigation': {
      const rank = { none: 0, partial: 1, strong: 2 } as const;
      const got = predicted.mitigation;
      if (got === undefined) return null;
      return rank[got] >= rank[fact.atLeast] ? null : { fact, got: `mitigation ${got}` };
    }
    case 'text': {
      const text = fact.where === 'summary' ? (predicted.summary ?? '') : (predicted.layerText[String(fact.where)] ?? '');
      return text.toLowerCase().includes(fact.absent.toLowerCase()) ? { fact, got: `says "${fact.absent}"` } : null;
    }
  }
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
    contradictions: expected.facts.map((fact) => contradictionOf(fact, predicted)).filter((found): found is Contradiction => found !== null),
    summaryBand: predicted.summary === undefined ? null : bandDisagreements(predicted.summary, predicted.severity).length === 0,
  };
}

/** Paraphrase stability over the pairs the cases declare (each `paraphraseOf` another case). */
export function paraphraseStability(
  cases: readonly { id: string; expected: Expected; factors: Record<ListingFactorKey, number>; severity: string }[],
): { pairs: { a: string; b: string; sumSpread: number; maxFactorGap: number; sameBand: boolean }[] } {
  const byId = new Map(cases.map((item) => [item.id, item]));
  const pairs = [];
  for (const item of cases) {
    const other = item.expected.paraphraseOf === undefined ? undefined : byId.get(item.expected.paraphraseOf);
    if (other === undefined) continue;
    const sum = (factors: Record<ListingFactorKey, number>) => LISTING_FACTOR_KEYS.reduce((total, key) => total + factors[key], 0);
    pairs.push({
      a: other.id,
      b: item.id,
      sumSpread: round(Math.abs(sum(item.factors) - sum(other.factors))),
      maxFactorGap: round(Math.max(...LISTING_FACTOR_KEYS.map((key) => Math.abs(item.factors[key] - other.factors[key])))),
      sameBand: item.severity === other.severity,
    });
  }
  return { pairs };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : round(numerator / denominator);
}

/** Aggregates case metrics; injection robustness compares each injected case with its clean twin. */
export function overallMetrics(
  cases: readonly { id: string; expected: Expected; metrics: CaseMetrics; score: number; factors?: Record<ListingFactorKey, number>; severity?: string }[],
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
  const contradictions = cases.reduce((sum, { metrics }) => sum + metrics.contradictions.length, 0);
  const reference = cases.filter(({ expected }) => expected.origin === 'reference-dev');
  const referenceErrors = reference.flatMap(({ metrics }) => Object.values(metrics.factorErrors).map((error) => Math.abs(error)));
  const summaries = cases.filter(({ metrics }) => metrics.summaryBand !== null);
  const { pairs } = paraphraseStability(
    cases.flatMap((item) => (item.factors === undefined || item.severity === undefined ? [] : [{ id: item.id, expected: item.expected, factors: item.factors, severity: item.severity }])),
  );
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
    contradictions,
    summaryBandAgreement: ratio(summaries.filter(({ metrics }) => metrics.summaryBand === true).length, summaries.length),
    paraphraseSumSpread: pairs.length === 0 ? null : Math.max(...pairs.map((pair) => pair.sumSpread)),
    paraphraseMaxFactorGap: pairs.length === 0 ? null : Math.max(...pairs.map((pair) => pair.maxFactorGap)),
    paraphraseBandAgreement: ratio(pairs.filter((pair) => pair.sameBand).length, pairs.length),
    paraphrasePairs: pairs.length,
    referenceFactorMae: ratio(referenceErrors.reduce((sum, error) => sum + error, 0), referenceErrors.length),
    referenceLayerAgreement: ratio(
      reference.reduce((sum, { metrics }) => sum + metrics.layersAgreeing, 0),
      reference.reduce((sum, { metrics }) => sum + metrics.layersCompared, 0),
    ),
  };
}
