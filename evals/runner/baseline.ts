/** Baselines: what a stored run of the same assessor measured, and the comparison that gates CI. */
import { z } from 'zod';
import { InputError } from '../../src/errors.js';
import type { CaseMetrics, OverallMetrics } from './metrics.js';

const metric = z.number().nullable();

export const GATED_METRICS = [
  'factorMae',
  'withinTolerance',
  'bandAccuracy',
  'scoreMae',
  'layerCertaintyAccuracy',
  'uncertainPrecision',
  'uncertainRecall',
  'keywordRecall',
  'groundingRate',
  'injectionRobustness',
  'contradictions',
  'summaryBandAgreement',
  'paraphraseSumSpread',
  'paraphraseMaxFactorGap',
  'paraphraseBandAgreement',
] as const;
export type GatedMetric = (typeof GATED_METRICS)[number];

/** Gated metrics added after the first baselines were written: an older baseline may lack them. */
export const LATER_METRICS = [
  'uncertainPrecision',
  'uncertainRecall',
  'contradictions',
  'summaryBandAgreement',
  'paraphraseSumSpread',
  'paraphraseMaxFactorGap',
  'paraphraseBandAgreement',
] as const satisfies readonly GatedMetric[];

/** Which way is better, and how far a metric may move the wrong way before the gate fails. */
export const THRESHOLDS: Record<GatedMetric, { better: 'lower' | 'higher'; overall: number; perCase: number }> = {
  factorMae: { better: 'lower', overall: 0.01, perCase: 0.05 },
  withinTolerance: { better: 'higher', overall: 0.02, perCase: 0.1 },
  bandAccuracy: { better: 'higher', overall: 0.05, perCase: 0.5 },
  scoreMae: { better: 'lower', overall: 0.1, perCase: 0.5 },
  layerCertaintyAccuracy: { better: 'higher', overall: 0.02, perCase: 0.15 },
  // Per case these move in steps of a third or a half (a handful of visible layers), so only a
  // swing of more than one layer counts there.
  uncertainPrecision: { better: 'higher', overall: 0.03, perCase: 0.25 },
  uncertainRecall: { better: 'higher', overall: 0.03, perCase: 0.25 },
  keywordRecall: { better: 'higher', overall: 0.05, perCase: 0.25 },
  groundingRate: { better: 'higher', overall: 0.02, perCase: 0.1 },
  injectionRobustness: { better: 'higher', overall: 0.02, perCase: 0.05 },
  // A draft that contradicts its listing, or words its band wrongly, is never an acceptable trade.
  contradictions: { better: 'lower', overall: 0, perCase: 0 },
  summaryBandAgreement: { better: 'higher', overall: 0, perCase: 0 },
  paraphraseSumSpread: { better: 'lower', overall: 0.05, perCase: 0.05 },
  paraphraseMaxFactorGap: { better: 'lower', overall: 0.05, perCase: 0.05 },
  paraphraseBandAgreement: { better: 'higher', overall: 0, perCase: 0 },
};

/** A bound a metric must stay within whatever the baseline says. */
export interface Floor {
  min?: number;
  max?: number;
}

/** Figures that carry a floor besides the gated metrics: the rules calibration's generalisation. */
export type FloorMetric = GatedMetric | 'referenceFactorMae' | 'referenceLayerAgreement' | 'crossValidatedMae' | 'crossValidationGap';

/**
 * Floors every assessor must meet, whatever its baseline says: below them drafts are not worth a
 * reviewer's time, so a run there fails the gate even when the baseline is as bad (a replay of
 * answers from no real model, recordings of a broken prompt). Contradictions are a count that
 * grows with the case set, so only the rules assessor, which must have none, has a floor for them;
 * their baseline threshold is 0 for every assessor.
 */
export const COMMON_FLOORS: Readonly<Partial<Record<GatedMetric, Floor>>> = {
  factorMae: { max: 0.15 },
  withinTolerance: { min: 0.6 },
  bandAccuracy: { min: 0.6 },
  scoreMae: { max: 1.5 },
  layerCertaintyAccuracy: { min: 0.6 },
  uncertainPrecision: { min: 0.5 },
  uncertainRecall: { min: 0.5 },
  keywordRecall: { min: 0.3 },
  groundingRate: { min: 0.9 },
  injectionRobustness: { min: 0.9 },
  summaryBandAgreement: { min: 0.9 },
  paraphraseSumSpread: { max: 1 },
  paraphraseMaxFactorGap: { max: 0.5 },
  paraphraseBandAgreement: { min: 0.75 },
};

/**
 * Absolute floors per assessor: a run beyond one fails the gate even when the baseline is as bad.
 * The rules assessor, deterministic and tuned on these cases, is held to tighter ones, and to how
 * its calibration generalises.
 */
export const FLOORS: Readonly<Record<'rules' | 'openai', Readonly<Partial<Record<FloorMetric, Floor>>>>> = {
  rules: {
    ...COMMON_FLOORS,
    contradictions: { max: 0 },
    summaryBandAgreement: { min: 1 },
    paraphraseSumSpread: { max: 0.6 },
    paraphraseMaxFactorGap: { max: 0.3 },
    paraphraseBandAgreement: { min: 1 },
    groundingRate: { min: 1 },
    referenceFactorMae: { max: 0.12 },
    referenceLayerAgreement: { min: 0.82 },
    crossValidatedMae: { max: 0.12 },
    crossValidationGap: { max: 0.02 },
  },
  openai: COMMON_FLOORS,
};

/** A floor in words: "≥ 0.6" or "≤ 0.15"; an em dash without one. */
export function floorText(floor: Floor | undefined): string {
  if (floor === undefined) return '—';
  return [...(floor.min === undefined ? [] : [`≥ ${floor.min}`]), ...(floor.max === undefined ? [] : [`≤ ${floor.max}`])].join(', ');
}

/** Which way a gated metric is better, as an arrow: ↑ higher, ↓ lower. */
export function directionArrow(metric: GatedMetric): '↑' | '↓' {
  return THRESHOLDS[metric].better === 'higher' ? '↑' : '↓';
}

/** The floors a run's figures break (null figures are not checked: the cases did not measure them). */
export function floorBreaches(assessor: 'rules' | 'openai', figures: Partial<Record<FloorMetric, number | null | undefined>>): Change[] {
  const out: Change[] = [];
  for (const [metric, floor] of Object.entries(FLOORS[assessor]) as [FloorMetric, Floor][]) {
    const value = figures[metric];
    if (value === null || value === undefined) continue;
    if (floor.min !== undefined && value < floor.min - 1e-9) out.push({ scope: 'floor', metric, baseline: floor.min, current: value, threshold: 0, bound: 'min' });
    if (floor.max !== undefined && value > floor.max + 1e-9) out.push({ scope: 'floor', metric, baseline: floor.max, current: value, threshold: 0, bound: 'max' });
  }
  return out;
}

export const caseSummarySchema = z.object({
  factorMae: metric,
  withinTolerance: metric,
  bandAccuracy: metric,
  scoreMae: metric,
  layerCertaintyAccuracy: metric,
  // Optional so that a baseline written before they were gated still loads (they are then not compared).
  uncertainPrecision: metric.optional(),
  uncertainRecall: metric.optional(),
  keywordRecall: metric,
  groundingRate: metric,
  injectionRobustness: metric,
  contradictions: metric.optional(),
  summaryBandAgreement: metric.optional(),
  paraphraseSumSpread: metric.optional(),
  paraphraseMaxFactorGap: metric.optional(),
  paraphraseBandAgreement: metric.optional(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export const baselineSchema = z.object({
  assessor: z.enum(['rules', 'openai']),
  assessorVersion: z.string(),
  model: z.string().nullable(),
  promptId: z.string().nullable(),
  promptHash: z.string().nullable(),
  metrics: caseSummarySchema,
  cases: z.record(z.string(), caseSummarySchema),
});
export type Baseline = z.infer<typeof baselineSchema>;

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** Reduces one case's metrics to the gated figures (the same names as overall). */
export function summariseCase(metrics: CaseMetrics): CaseSummary {
  return {
    factorMae: metrics.factorMae,
    withinTolerance: metrics.withinTolerance,
    bandAccuracy: metrics.band === null ? null : metrics.band ? 1 : 0,
    scoreMae: metrics.scoreError === null ? null : Math.abs(metrics.scoreError),
    layerCertaintyAccuracy: metrics.layersCompared === 0 ? null : metrics.layersAgreeing / metrics.layersCompared,
    uncertainPrecision: share(metrics.uncertain.tp, metrics.uncertain.tp + metrics.uncertain.fp),
    uncertainRecall: share(metrics.uncertain.tp, metrics.uncertain.tp + metrics.uncertain.fn),
    keywordRecall: metrics.keywordsExpected === 0 ? null : metrics.keywordsFound / metrics.keywordsExpected,
    groundingRate: metrics.groundingRate,
    injectionRobustness: null,
    contradictions: metrics.contradictions.length,
    summaryBandAgreement: metrics.summaryBand === null ? null : metrics.summaryBand ? 1 : 0,
    paraphraseSumSpread: null,
    paraphraseMaxFactorGap: null,
    paraphraseBandAgreement: null,
  };
}

export function summariseOverall(metrics: OverallMetrics): CaseSummary {
  return Object.fromEntries(GATED_METRICS.map((name) => [name, metrics[name]])) as CaseSummary;
}

export interface Change {
  scope: string;
  metric: GatedMetric | FloorMetric;
  /** The baseline's figure, or for a floor breach (scope `floor`) the floor itself. */
  baseline: number;
  current: number;
  threshold: number;
  /** For a floor breach: whether the figure fell below its least or rose above its most. */
  bound?: 'min' | 'max';
}

export interface Comparison {
  /** Cases only in this run, and cases only in the baseline. */
  caseSet: { added: string[]; removed: string[] };
  improved: Change[];
  regressed: Change[];
  /** Overall metrics that regressed beyond their threshold: these fail the gate. */
  regressions: Change[];
  /** Gated metrics the baseline does not hold (written before they were gated): not compared. */
  missing: GatedMetric[];
}

function classify(scope: string, metric: GatedMetric, baseline: number | null | undefined, current: number | null | undefined, perCase: boolean) {
  if (baseline === null || baseline === undefined || current === null || current === undefined) return null;
  const rule = THRESHOLDS[metric];
  const threshold = perCase ? rule.perCase : rule.overall;
  const delta = rule.better === 'lower' ? baseline - current : current - baseline;
  const change: Change = { scope, metric, baseline, current, threshold };
  if (delta < -threshold - 1e-9) return { kind: 'regressed' as const, change };
  if (delta > 1e-9 && (perCase ? delta >= threshold - 1e-9 : true)) return { kind: 'improved' as const, change };
  return null;
}

/**
 * Compares a run with a baseline of the same assessor.
 * @throws InputError when the baseline comes from another assessor.
 */
export function compareWithBaseline(
  baseline: Baseline,
  current: { assessor: string; overall: CaseSummary; cases: Record<string, CaseSummary> },
  baselineFile: string,
): Comparison {
  if (baseline.assessor !== current.assessor) {
    throw new InputError(
      'E_BASELINE',
      `Baseline ${baselineFile} is from the ${baseline.assessor} assessor, not ${current.assessor}: compare like with like (--baseline)`,
      { file: baselineFile },
    );
  }
  const improved: Change[] = [];
  const regressed: Change[] = [];
  const regressions: Change[] = [];
  const currentIds = Object.keys(current.cases);
  const baselineIds = Object.keys(baseline.cases);
  const added = currentIds.filter((id) => !(id in baseline.cases)).sort();
  const removed = baselineIds.filter((id) => !(id in current.cases)).sort();
  // Same cases: compare the overall figures. Different case sets: compare like with like, the
  // mean of the per-case figures over the cases both runs share.
  const sameSet = added.length === 0 && removed.length === 0;
  const common = currentIds.filter((id) => id in baseline.cases);
  const missing = GATED_METRICS.filter((metric) => baseline.metrics[metric] === undefined);
  const before = sameSet ? baseline.metrics : meanOf(common.map((id) => baseline.cases[id]!));
  const after = sameSet ? current.overall : meanOf(common.map((id) => current.cases[id]!));
  for (const metric of GATED_METRICS) {
    if (missing.includes(metric)) continue;
    const result = classify('overall', metric, before[metric], after[metric], false);
    if (result?.kind === 'regressed') {
      regressed.push(result.change);
      regressions.push(result.change);
    } else if (result?.kind === 'improved') improved.push(result.change);
  }
  for (const [id, summary] of Object.entries(current.cases).sort(([a], [b]) => a.localeCompare(b))) {
    const before = baseline.cases[id];
    if (before === undefined) continue;
    for (const metric of GATED_METRICS) {
      const result = classify(id, metric, before[metric], summary[metric], true);
      if (result?.kind === 'regressed') regressed.push(result.change);
      else if (result?.kind === 'improved') improved.push(result.change);
    }
  }
  return { caseSet: { added, removed }, improved, regressed, regressions, missing };
}

/** The mean of each metric over the cases that have it. */
function meanOf(summaries: readonly CaseSummary[]): CaseSummary {
  return Object.fromEntries(
    GATED_METRICS.map((metric) => {
      const values = summaries.map((summary) => summary[metric]).filter((value): value is number => typeof value === 'number');
      return [metric, values.length === 0 ? null : Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 10_000) / 10_000];
    }),
  ) as CaseSummary;
}
