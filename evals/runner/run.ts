/**
 * Runs an assessor over the eval cases, reusing cached results for cases whose inputs (extracted
 * listing, assessor version, rules version, model, prompt, recording) are unchanged, and measures the result against expectations
 * and the stored baseline.
 */
import { createHash } from 'node:crypto';
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Assessment } from '../../schemas/assessment.js';
import type { Checks, Provenance } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import type { Score } from '../../schemas/score.js';
import { RULES_VERSION } from '../../src/assess/rules/assess.js';
import { listingForCase } from './listing.js';
import type { CacheRepo } from '../../src/store/store.js';
import type { CrossValidation } from '../calibration/cross-validation.js';
import { compareWithBaseline, floorBreaches, summariseCase, summariseOverall, type Baseline, type CaseSummary, type Change, type Comparison } from './baseline.js';
import type { EvalCase } from './case-schema.js';
import { caseMetrics, overallMetrics, type CaseMetrics, type OverallMetrics, type Prediction } from './metrics.js';

/** The part of a draft the evals measure. */
export interface CaseOutcome {
  assessment: Assessment;
  score: Score;
  checks: Checks;
  provenance: Provenance;
}

export interface EvalIdentity {
  assessor: 'rules' | 'openai';
  assessorVersion: string;
  model: string | null;
  promptId: string | null;
  promptHash: string | null;
}

export interface CaseResult {
  id: string;
  origin: string;
  reused: boolean;
  metrics: CaseMetrics;
  summary: CaseSummary;
  prediction: Prediction;
  score: number;
  severity: string;
}

/** A case whose assessment failed: reported with its reason, left out of the metrics. */
export interface CaseError {
  case: string;
  reason: string;
  code: string | null;
}

/** Tokens and cost spent in this run (failed calls included, reused results not). */
export interface EvalUsage {
  tokensIn: number;
  tokensOut: number;
  /** Of tokensIn, those the provider served from its prompt cache. */
  tokensCached: number;
  costUsd: number;
}

export interface EvalRun extends EvalIdentity {
  /** Cases with a result (assessed or reused); errored ones are not counted. */
  cases: number;
  assessed: number;
  reused: number;
  errored: number;
  errors: CaseError[];
  usage: EvalUsage;
  /** Share of input tokens served from the prompt cache (null when no tokens were spent). */
  cachedShare: number | null;
  wallMs: number;
  metrics: OverallMetrics;
  results: CaseResult[];
  comparison: Comparison | null;
  /** How the rules calibration generalises on these cases (rules assessor only). */
  crossValidation: CrossValidation | null;
  /** Absolute floors the run breaks: they fail the gate whatever the baseline says. */
  floorBreaches: Change[];
  /** Regressions against the baseline and floor breaches: any fails the gate. */
  regressions: Change[];
  /** The gate passed: every case was measured, nothing regressed and no figure is below its floor. */
  passed: boolean;
}

const CACHE_NAMESPACE = 'eval-results';

export { listingForCase };

/**
 * What a cached result depends on: the extracted listing (so a change in extraction counts, not
 * only one in the HTML), the assessor and its version, model, prompt and recording, and the rules
 * version, which covers the checks and scoring code every assessor's result goes through and the
 * hints the model assessor is given.
 */
function cacheKey(listing: Listing, evalCase: EvalCase, identity: EvalIdentity, live: boolean): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        createHash('sha256').update(JSON.stringify(listing)).digest('hex'),
        identity.assessor,
        identity.assessorVersion,
        RULES_VERSION,
        identity.model,
        identity.promptHash,
        // A replayed recording is an input of the model assessor's result; a live endpoint's answer is not.
        identity.assessor === 'openai' ? (live ? 'live' : evalCase.responseHash) : null,
      ]),
    )
    .digest('hex');
}

function predictionOf(outcome: CaseOutcome): Prediction {
  const factors = Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => [key, outcome.assessment.factors[key].value]),
  ) as Record<ListingFactorKey, number>;
  const layerText: Record<string, string> = {};
  for (const layer of outcome.assessment.layers) layerText[String(layer.layer)] = `${[...layer.threats.map((threat) => threat.name), ...layer.otherThreats].join('; ')}. ${layer.text}`;
  return {
    factors,
    score: outcome.score.score,
    severity: outcome.score.severity,
    uncertainLayers: LAYER_NUMBERS.filter((layer) => outcome.assessment.layers[layer - 1]?.certain !== true),
    layerText,
    groundingRate: outcome.checks.groundingRate,
    summary: outcome.assessment.summary,
    mitigation: outcome.assessment.mitigation.value,
  };
}

export interface RunEvalOptions {
  cases: readonly EvalCase[];
  identity: EvalIdentity;
  assess: (listing: Listing, evalCase: EvalCase) => Promise<CaseOutcome>;
  cache: CacheRepo;
  baseline: { file: string; value: Baseline } | null;
  /** Called after a case is assessed (not when reused): record mode stores the answer here. */
  onAssessed?: (evalCase: EvalCase, outcome: CaseOutcome) => Promise<void>;
  /** Assess every case even when a cached result exists. */
  noCache?: boolean;
  /** Cross-validates the assessor's calibration on the cases (the rules assessor's). */
  crossValidate?: (cases: readonly EvalCase[]) => CrossValidation;
  /** Answers come from a live endpoint (`--record`), not a recording: results are keyed without one, so an interrupted run resumes. */
  live?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Clock for `wallMs`. @default performance.now */
  clockMs?: () => number;
}

const numberIn = (context: unknown, key: string): number => {
  const value = context !== null && typeof context === 'object' ? (context as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
};

/** The reason and code of a failed case, and what its failed calls spent (errors carry it in their context). */
function describeFailure(thrown: unknown): { reason: string; code: string | null; spent: EvalUsage } {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const rawCode = (error as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : null;
  const context = (error as { context?: unknown }).context;
  return {
    reason: error.message,
    code,
    spent: { tokensIn: numberIn(context, 'tokensIn'), tokensOut: numberIn(context, 'tokensOut'), tokensCached: numberIn(context, 'tokensCached'), costUsd: numberIn(context, 'costUsd') },
  };
}

function addUsage(total: EvalUsage, more: EvalUsage): void {
  total.tokensIn += more.tokensIn;
  total.tokensOut += more.tokensOut;
  total.tokensCached += more.tokensCached;
  total.costUsd = Math.round((total.costUsd + more.costUsd) * 1e9) / 1e9;
}

/**
 * Runs the eval; `passed` is false when an overall metric regressed beyond its threshold, a figure
 * is below its floor, or a case could not be measured. A case
 * whose assessment fails is reported in `errors` and the run goes on; results are cached per case
 * as they come, so a rerun resumes with the cases that are missing.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalRun> {
  const { cases, identity, cache } = options;
  const clock = options.clockMs ?? (() => performance.now());
  const started = clock();
  const results: CaseResult[] = [];
  const measured: EvalCase[] = [];
  const errors: CaseError[] = [];
  const usage: EvalUsage = { tokensIn: 0, tokensOut: 0, tokensCached: 0, costUsd: 0 };
  let assessed = 0;
  let reused = 0;
  for (const evalCase of cases) {
    const listing = listingForCase(evalCase);
    const key = cacheKey(listing, evalCase, identity, options.live === true);
    let outcome = options.noCache === true ? null : await cache.get<CaseOutcome>(CACHE_NAMESPACE, key);
    const wasReused = outcome !== null;
    if (outcome === null) {
      try {
        outcome = await options.assess(listing, evalCase);
      } catch (thrown) {
        const failure = describeFailure(thrown);
        errors.push({ case: evalCase.id, reason: failure.reason, code: failure.code });
        addUsage(usage, failure.spent);
        options.onProgress?.(results.length + errors.length, cases.length);
        continue;
      }
      const { tokensIn, tokensOut, tokensCached = 0, costUsd } = outcome.provenance;
      addUsage(usage, { tokensIn, tokensOut, tokensCached, costUsd });
      await cache.set(CACHE_NAMESPACE, key, outcome);
      await options.onAssessed?.(evalCase, outcome);
      assessed += 1;
    } else reused += 1;
    measured.push(evalCase);
    const prediction = predictionOf(outcome);
    const metrics = caseMetrics(evalCase.expected, prediction);
    results.push({
      id: evalCase.id,
      origin: evalCase.expected.origin,
      reused: wasReused,
      metrics,
      summary: summariseCase(metrics),
      prediction,
      score: outcome.score.score,
      severity: outcome.score.severity,
    });
    options.onProgress?.(results.length + errors.length, cases.length);
  }
  const metrics = overallMetrics(
    results.map((result, index) => ({
      id: result.id,
      expected: measured[index]!.expected,
      metrics: result.metrics,
      score: result.score,
      factors: result.prediction.factors,
      severity: result.severity,
    })),
  );
  const comparison =
    options.baseline === null
      ? null
      : compareWithBaseline(
          options.baseline.value,
          {
            assessor: identity.assessor,
            overall: summariseOverall(metrics),
            cases: Object.fromEntries(results.map((result) => [result.id, result.summary])),
          },
          options.baseline.file,
        );
  const crossValidation = options.crossValidate?.(cases) ?? null;
  const cv = crossValidation?.crossValidated?.overall ?? null;
  const inSample = crossValidation?.inSample?.overall ?? null;
  const breaches = floorBreaches(identity.assessor, {
    ...summariseOverall(metrics),
    referenceFactorMae: metrics.referenceFactorMae,
    referenceLayerAgreement: metrics.referenceLayerAgreement,
    crossValidatedMae: cv,
    crossValidationGap: cv === null || inSample === null ? null : Math.round((cv - inSample) * 10_000) / 10_000,
  });
  const regressions = [...(comparison?.regressions ?? []), ...breaches];
  return {
    ...identity,
    cases: results.length,
    assessed,
    reused,
    errored: errors.length,
    errors,
    usage,
    cachedShare: usage.tokensIn === 0 ? null : Math.round((usage.tokensCached / usage.tokensIn) * 10_000) / 10_000,
    wallMs: Math.round(clock() - started),
    metrics,
    results,
    comparison,
    crossValidation,
    floorBreaches: breaches,
    regressions,
    passed: regressions.length === 0 && errors.length === 0,
  };
}

/** The baseline a run would store. */
export function baselineFromRun(run: EvalRun): Baseline {
  return {
    assessor: run.assessor,
    assessorVersion: run.assessorVersion,
    model: run.model,
    promptId: run.promptId,
    promptHash: run.promptHash,
    metrics: summariseOverall(run.metrics),
    cases: Object.fromEntries(run.results.map((result) => [result.id, result.summary])),
  };
}
