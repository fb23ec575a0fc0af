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
] as const;
export type GatedMetric = (typeof GATED_METRICS)[number];

/** Gated metrics added after the first baselines were written: an older baseline may lack them. */
export const LATER_METRICS = ['uncertainPrecision', 'uncertainRecall'] as const satisfies readonly GatedMetric[];

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
};

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
  };
}

export function summariseOverall(metrics: OverallMetrics): CaseSummary {
  return Object.fromEntries(GATED_METRICS.map((name) => [name, metrics[name]])) as CaseSummary;
}

export interface Change {
  scope: string;
  metric: GatedMetric;
  baseline: number;
  current: number;
  threshold: number;
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
