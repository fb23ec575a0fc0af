/** `threatdraft eval` and `threatdraft eval promote`: wiring of cases, assessor, cache, baseline and reports. */
import { toModelAnswer } from '../assess/model-schema.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Env } from '../../schemas/config.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { assessListingWithUsage } from '../assess/assess-with-usage.js';
import { createAssessor } from '../assess/create-assessor.js';
import { findPackageRoot } from '../assess/prompts.js';
import { humanOutput, writeJsonLine, type Io } from './io.js';
import { styledTable, writeParts, type Part, type Style } from './style.js';
import { ConfigError, InputError, ThreatdraftError, formatIssues } from '../errors.js';
import type { Store } from '../store/store.js';
import { baselineSchema, directionArrow, FLOORS, floorText, GATED_METRICS, type Baseline, type GatedMetric } from '../../evals/runner/baseline.js';
import type { EvalCase, Expected } from '../../evals/runner/case-schema.js';
import { GENERATOR_MODEL } from '../fake-openai/generator.js';
import { rulesCrossValidation } from '../../evals/calibration/cross-validation.js';
import { loadCases, recordingFile } from '../../evals/runner/load.js';
import { renderHtml, renderMarkdown } from '../../evals/runner/report.js';
import { baselineFromRun, listingForCase, runEval, type CaseOutcome, type EvalRun } from '../../evals/runner/run.js';

export interface EvalCommandOptions {
  cases?: string | undefined;
  assessor: string;
  baseline?: string | undefined;
  updateBaseline: boolean;
  report?: string | undefined;
  record: boolean;
  cache: boolean;
  json: boolean;
}

export function defaultCasesDir(): string {
  return join(findPackageRoot(), 'evals', 'cases');
}

export function defaultBaselineFile(assessor: string): string {
  return join(findPackageRoot(), 'evals', 'baselines', `${assessor}.json`);
}

async function readBaseline(file: string): Promise<Baseline | null> {
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new InputError('E_JSON', `Malformed JSON in baseline ${file}: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const parsed = baselineSchema.safeParse(raw);
  if (!parsed.success) throw new InputError('E_BASELINE', `Invalid baseline ${file}: ${formatIssues(parsed.error.issues)}`, { file });
  return parsed.data;
}

/** What a replay found in the cases' recordings. */
export interface Recordings {
  /** The recording file read (per prompt version). */
  file: string;
  /** Cases without a recording: not measured (errored with E_NO_RECORDING). */
  missing: string[];
  /** How many recorded answers each model gave. */
  models: Record<string, number>;
}

/**
 * Recorded answers replayed through the project's fake OpenAI server, keyed by listing id. A case
 * without a recording is not an error of the whole run: it is left unmeasured (and named), so the
 * run is incomplete and cannot pass. A recording that exists but is malformed is bad input.
 * @throws InputError for a recording without `{ model, assessment }`.
 */
async function startReplay(cases: readonly EvalCase[], promptVersion: number) {
  const answers = new Map<string, Record<string, unknown>>();
  const recordings: Recordings = { file: recordingFile(promptVersion), missing: [], models: {} };
  let model: string | null = null;
  for (const evalCase of cases) {
    const recorded = evalCase.modelResponse as { model?: unknown; assessment?: unknown } | null;
    if (recorded === null) {
      recordings.missing.push(evalCase.id);
      continue;
    }
    if (typeof recorded.assessment !== 'object' || recorded.assessment === null) {
      throw new InputError(
        'E_EVAL_CASE',
        `Eval case ${evalCase.id} has a malformed recording (${recordings.file} needs { model, assessment }); record it again with --record against a real endpoint`,
        { dir: evalCase.dir },
      );
    }
    const name = typeof recorded.model === 'string' ? recorded.model : 'unknown';
    recordings.models[name] = (recordings.models[name] ?? 0) + 1;
    model ??= typeof recorded.model === 'string' ? recorded.model : null;
    answers.set(listingForCase(evalCase).id, recorded.assessment as Record<string, unknown>);
  }
  const { startFakeOpenAI } = await import('../fake-openai/server.js');
  const server = await startFakeOpenAI({
    responder: (request) => {
      const answer = request.listing === null ? undefined : answers.get(request.listing.id);
      return answer === undefined ? { refusal: 'no recorded answer for this listing' } : { content: answer };
    },
  });
  return { server, model: model ?? 'replay', recordings };
}

/**
 * Lines that say what a replay measured: cases left out for want of a recording, and answers that
 * come from the project's fake generator rather than a model. Empty when neither applies.
 */
export function recordingNotes(recordings: Recordings | null, cases: number): string[] {
  if (recordings === null) return [];
  const notes: string[] = [];
  const { missing } = recordings;
  if (missing.length > 0) {
    const named = missing.length <= 5 ? missing.join(', ') : `${missing.slice(0, 5).join(', ')} and ${missing.length - 5} more`;
    notes.push(
      `Recordings missing: ${missing.length} of ${cases} cases have no ${recordings.file} (${named}), so they were not measured and the run cannot pass; record them with --record against a real endpoint.`,
    );
  }
  const generated = recordings.models[GENERATOR_MODEL] ?? 0;
  if (generated > 0) {
    notes.push(
      `Recordings from no real model: ${generated} of ${cases} answers were made by ${GENERATOR_MODEL}, the project's stand-in, so these figures test the pipeline, not a model; record a real model with --record.`,
    );
  }
  return notes;
}

/** Where `--report` wrote the two reports. */
export interface ReportFiles {
  html: string;
  markdown: string;
}

/** The gate's verdict in one line: failed (regressions or floors), incomplete, or passed. */
export function gateLine(run: Pick<EvalRun, 'regressions' | 'errored'>): { text: string; style: Style } {
  if (run.regressions.length > 0) return { text: `Gate: FAILED on ${[...new Set(run.regressions.map((change) => change.metric))].join(', ')}`, style: 'bad' };
  if (run.errored > 0) {
    return { text: `Gate: incomplete, not a pass: ${run.errored} case${run.errored === 1 ? ' was' : 's were'} not measured`, style: 'warn' };
  }
  return { text: 'Gate: passed', style: 'ok' };
}

function printRun(run: EvalRun, io: Io, json: boolean, extras: { baseline: Baseline | null; baselineUpdated: boolean; recordings: Recordings | null; report: ReportFiles | null }): void {
  const notes = recordingNotes(extras.recordings, run.cases + run.errored);
  const summary = {
    cases: run.cases,
    assessed: run.assessed,
    reused: run.reused,
    errored: run.errored,
    errors: run.errors.map((error) => ({ case: error.case, reason: error.reason })),
    tokens: { in: run.usage.tokensIn, out: run.usage.tokensOut, cached: run.usage.tokensCached },
    cachedShare: run.cachedShare,
    costUsd: run.usage.costUsd,
    wallMs: run.wallMs,
    assessor: run.assessor,
    assessorVersion: run.assessorVersion,
    model: run.model,
    promptId: run.promptId,
    promptHash: run.promptHash,
    metrics: {
      factorMae: run.metrics.factorMae,
      withinTolerance: run.metrics.withinTolerance,
      bandAccuracy: run.metrics.bandAccuracy,
      scoreMae: run.metrics.scoreMae,
      layerCertaintyAccuracy: run.metrics.layerCertaintyAccuracy,
      uncertainPrecision: run.metrics.uncertainPrecision,
      uncertainRecall: run.metrics.uncertainRecall,
      keywordRecall: run.metrics.keywordRecall,
      keywordRecallByLayer: run.metrics.keywordRecallByLayer,
      groundingRate: run.metrics.groundingRate,
      injectionRobustness: run.metrics.injectionRobustness,
      contradictions: run.metrics.contradictions,
      summaryBandAgreement: run.metrics.summaryBandAgreement,
      paraphraseSumSpread: run.metrics.paraphraseSumSpread,
      paraphraseMaxFactorGap: run.metrics.paraphraseMaxFactorGap,
      paraphraseBandAgreement: run.metrics.paraphraseBandAgreement,
      paraphrasePairs: run.metrics.paraphrasePairs,
      referenceFactorMae: run.metrics.referenceFactorMae,
      referenceLayerAgreement: run.metrics.referenceLayerAgreement,
      perFactorMae: run.metrics.perFactorMae,
    },
    crossValidation: run.crossValidation,
    floors: FLOORS[run.assessor],
    floorBreaches: run.floorBreaches,
    improved: run.comparison?.improved ?? [],
    regressed: run.comparison?.regressed ?? [],
    regressions: run.regressions,
    baseline: run.comparison === null ? 'none' : 'compared',
    // After --update-baseline the stored baseline holds every gated metric again.
    baselineMissing: extras.baselineUpdated ? [] : (run.comparison?.missing ?? []),
    caseSet: run.comparison?.caseSet ?? null,
    recordings: extras.recordings,
    report: extras.report,
    passed: run.passed,
  };
  if (!humanOutput(io, json)) {
    for (const result of run.results) {
      writeJsonLine(io, {
        case: result.id,
        reused: result.reused,
        score: result.score,
        severity: result.severity,
        metrics: result.summary,
        keywordRecallByLayer: Object.fromEntries(
          Object.entries(result.metrics.keywordsByLayer).map(([layer, counts]) => [layer, Math.round((counts.found / counts.expected) * 10_000) / 10_000]),
        ),
      });
    }
    for (const error of run.errors) writeJsonLine(io, { case: error.case, error: { code: error.code, reason: error.reason } });
    writeJsonLine(io, summary);
    if (summary.baselineMissing.length > 0) {
      io.stderr.write(`threatdraft eval: the baseline has no ${summary.baselineMissing.join(', ')}: not compared; refresh it with --update-baseline\n`);
    }
    for (const note of notes) io.stderr.write(`threatdraft eval: ${note}\n`);
    if (extras.report !== null) io.stderr.write(`threatdraft eval: report written to ${extras.report.html} (and ${extras.report.markdown})\n`);
    return;
  }
  const fmt = (value: number | null | undefined) => (value === null || value === undefined ? '—' : String(value));
  const floors = FLOORS[run.assessor];
  const breached = new Set(run.floorBreaches.map((breach) => breach.metric));
  const regressedOverall = new Set(run.comparison?.regressions.map((change) => change.metric) ?? []);
  const baselineFigure = (metric: GatedMetric): string => fmt(extras.baseline?.metrics[metric]);
  const rows: Part[][] = [
    ['metric', 'better', 'value', 'floor', 'baseline'],
    ...GATED_METRICS.map((metric): Part[] => [
      metric,
      directionArrow(metric),
      { text: fmt(run.metrics[metric]), style: breached.has(metric) || regressedOverall.has(metric) ? 'bad' : null },
      floorText(floors[metric]),
      baselineFigure(metric),
    ]),
    ['paraphrasePairs', '', fmt(run.metrics.paraphrasePairs), '—', '—'],
    ...(['referenceFactorMae', 'referenceLayerAgreement'] as const).map((metric): Part[] => [
      metric,
      metric === 'referenceFactorMae' ? '↓' : '↑',
      { text: fmt(run.metrics[metric]), style: breached.has(metric) ? 'bad' : null },
      floorText(floors[metric]),
      '—',
    ]),
    ...Object.entries(run.metrics.keywordRecallByLayer).map(([layer, value]): Part[] => [`keywordRecall L${layer}`, '↑', fmt(value), '—', '—']),
    ...(run.crossValidation === null
      ? []
      : [
          ['reference factor MAE, in-sample', '↓', fmt(run.crossValidation.inSample?.overall), '—', '—'],
          [`reference factor MAE, cross-validated (${run.crossValidation.folds} folds)`, '↓', fmt(run.crossValidation.crossValidated?.overall), floorText(floors.crossValidatedMae), '—'],
          [`holdout factor MAE (${run.crossValidation.holdoutCases} cases)`, '↓', fmt(run.crossValidation.holdout?.overall), '—', '—'],
        ]),
  ];
  writeParts(io, [
    ...styledTable(rows),
    `\n\n${run.cases} cases: ${run.assessed} assessed, ${run.reused} reused from cache${run.errored > 0 ? `, ${run.errored} errored` : ''}.\n` +
      `Spent: ${run.usage.tokensIn} tokens in (${run.cachedShare === null ? 'none' : `${Math.round(run.cachedShare * 100)}%`} from the prompt cache), ${run.usage.tokensOut} out, $${run.usage.costUsd.toFixed(4)}, ${(run.wallMs / 1000).toFixed(1)} s.\n`,
  ]);
  for (const note of notes) writeParts(io, [{ text: note, style: 'warn' }, '\n']);
  for (const error of run.errors) io.stdout.write(`  errored ${error.case}: ${error.reason}\n`);
  for (const breach of run.floorBreaches) {
    writeParts(io, [{ text: `  beyond its floor: ${breach.metric} is ${breach.current}, it must be ${breach.bound === 'min' ? 'at least' : 'at most'} ${breach.baseline}`, style: 'bad' }, '\n']);
  }
  if (run.comparison !== null) {
    const { added, removed } = run.comparison.caseSet;
    const shared = run.cases - added.length;
    if (added.length > 0 || removed.length > 0) {
      io.stdout.write(
        `The case set differs from the baseline (${added.length} new, ${removed.length} missing): compared on the ${shared} shared case${shared === 1 ? '' : 's'}.\n`,
      );
    }
    if (summary.baselineMissing.length > 0) {
      io.stdout.write(
        `The baseline has no ${summary.baselineMissing.join(', ')} (written before ${summary.baselineMissing.length === 1 ? 'it was' : 'they were'} gated): not compared; refresh it with --update-baseline.\n`,
      );
    }
    if (shared === 0) io.stdout.write('No case in common with the baseline: nothing was compared.\n');
    else io.stdout.write(`Against the baseline: ${run.comparison.improved.length} improved, ${run.comparison.regressed.length} regressed.\n`);
    for (const change of run.comparison.regressed) {
      io.stdout.write(`  regressed ${change.scope} ${change.metric}: ${change.baseline} -> ${change.current}\n`);
    }
  } else io.stdout.write('No baseline for this assessor yet (write one with --update-baseline).\n');
  const gate = gateLine(run);
  writeParts(io, [gate, '\n']);
  if (run.errored > 0) io.stdout.write(`Incomplete: ${run.errored} case${run.errored === 1 ? '' : 's'} errored; rerun to resume with them.\n`);
  if (extras.report !== null) io.stdout.write(`Report: ${extras.report.html} (and ${extras.report.markdown})\n`);
}

/** The exit code of a run: 1 on a regression or a floor breach, else 3 when cases errored (incomplete), else 0. */
export function evalExitCode(run: Pick<EvalRun, 'regressions' | 'errored'>): 0 | 1 | 3 {
  if (run.regressions.length > 0) return 1;
  return run.errored > 0 ? 3 : 0;
}

/** Runs the eval; resolves to the exit code: 0 passed, 1 regression, 3 incomplete because cases errored. */
export async function runEvalCommand(options: EvalCommandOptions, context: { io: Io; env: Readonly<Env>; store: Store }): Promise<number> {
  if (options.assessor !== 'rules' && options.assessor !== 'openai') {
    throw new InputError('E_USAGE', `Invalid \`--assessor\`: expected rules or openai, got "${options.assessor}"`);
  }
  if (options.record && options.assessor !== 'openai') {
    throw new InputError('E_USAGE', '`--record` stores model answers: use it with --assessor openai');
  }
  const promptVersion = context.env.THREATDRAFT_PROMPT_VERSION;
  const cases = await loadCases(resolve(options.cases ?? defaultCasesDir()), { promptVersion });
  const baselineFile = resolve(options.baseline ?? defaultBaselineFile(options.assessor));
  if (options.baseline !== undefined && !existsSync(baselineFile) && !options.updateBaseline) {
    throw new InputError('E_BASELINE', `Baseline file ${baselineFile} does not exist`, { file: baselineFile });
  }
  const baseline = await readBaseline(baselineFile);
  if (baseline !== null && baseline.assessor !== options.assessor) {
    throw new InputError(
      'E_BASELINE',
      `Baseline ${baselineFile} is from the ${baseline.assessor} assessor, not ${options.assessor}: compare like with like (--baseline)`,
      { file: baselineFile },
    );
  }

  const replay = options.assessor === 'openai' && !options.record ? await startReplay(cases, promptVersion) : null;
  try {
    if (options.record && context.env.OPENAI_BASE_URL === undefined && context.env.OPENAI_API_KEY === undefined) {
      throw new ConfigError('E_CONFIG', '`--record` needs a real endpoint: set OPENAI_BASE_URL and/or OPENAI_API_KEY');
    }
    const { createLogger } = await import('../log.js');
    const { assessor, identity } = await createAssessor(options.assessor, {
      env: context.env,
      cache: null,
      logger: createLogger(context.env.LOG_LEVEL),
      ...(replay === null
        ? {}
        : {
            // A replay costs nothing, whatever model the recording names.
            openai: {
              baseUrl: replay.server.baseUrl,
              apiKey: 'replay',
              model: replay.model,
              profile: 'openai',
              maxAttempts: 1,
              prices: { [replay.model]: { inputPerMTokUsd: 0, outputPerMTokUsd: 0 } },
            },
          }),
    });
    const run = await runEval({
      cases,
      identity: { assessor: options.assessor, assessorVersion: assessor.version, ...identity },
      cache: context.store.cache,
      baseline: baseline === null ? null : { file: baselineFile, value: baseline },
      noCache: !options.cache,
      live: options.record,
      ...(options.assessor === 'rules' ? { crossValidate: (all: readonly EvalCase[]) => rulesCrossValidation(all) } : {}),
      assess: async (listing, evalCase): Promise<CaseOutcome> => {
        if (replay?.recordings.missing.includes(evalCase.id) === true) {
          throw new ThreatdraftError('E_NO_RECORDING', `No recorded answer (${replay.recordings.file}): record one with --record against a real endpoint`, { case: evalCase.id });
        }
        const result = await assessListingWithUsage(listing, { assessor, now: () => new Date() });
        return { assessment: result.assessment, score: result.score, checks: result.checks, provenance: result.provenance };
      },
      ...(options.record
        ? {
            onAssessed: async (evalCase: EvalCase, outcome: CaseOutcome) => {
              // The answer as the model gave it (catalogue ids, no pipeline additions), so a replay sends the same.
              const recorded = { model: identity.model, promptId: identity.promptId, promptHash: identity.promptHash, assessment: toModelAnswer(outcome.assessment) };
              await writeFile(join(evalCase.dir, recordingFile(promptVersion)), `${JSON.stringify(recorded, null, 2)}\n`);
            },
          }
        : {}),
    });
    let report: ReportFiles | null = null;
    if (options.report !== undefined) {
      const dir = resolve(options.report);
      await mkdir(dir, { recursive: true });
      report = { html: join(dir, 'eval-report.html'), markdown: join(dir, 'eval-report.md') };
      const notes = recordingNotes(replay?.recordings ?? null, cases.length);
      await writeFile(report.markdown, renderMarkdown(run, baseline, { cases, notes }));
      await writeFile(report.html, renderHtml(run, baseline, { cases, notes }));
    }
    // A baseline from an incomplete run would silently drop the errored cases.
    const updateBaseline = options.updateBaseline && run.errored === 0;
    if (updateBaseline) {
      await mkdir(resolve(baselineFile, '..'), { recursive: true });
      await writeFile(baselineFile, `${JSON.stringify(baselineFromRun(run), null, 2)}\n`);
    } else if (options.updateBaseline) {
      context.io.stderr.write(`threatdraft eval: ${run.errored} case${run.errored === 1 ? '' : 's'} errored, so the baseline was not updated; rerun to resume, then update it\n`);
    }
    printRun(run, context.io, options.json, { baseline, baselineUpdated: updateBaseline, recordings: replay?.recordings ?? null, report });
    return evalExitCode(run);
  } finally {
    await replay?.server.close();
  }
}

/** Turns an approved draft into a golden case: the listing as HTML and its values as expectations. */
export async function promoteDraft(
  draftId: string,
  options: { cases?: string | undefined },
  context: { io: Io; store: Store },
): Promise<{ id: string; dir: string }> {
  const draft = await context.store.drafts.get(draftId);
  if (draft === null) throw new InputError('E_NOT_FOUND', `No draft ${draftId}`, { draft: draftId });
  if (draft.status !== 'approved' && draft.status !== 'published') {
    throw new InputError('E_NOT_APPROVED', `Draft ${draftId} is ${draft.status}: only approved or published drafts can be promoted`, { draft: draftId });
  }
  const listing = await context.store.listings.get(draft.listingId);
  if (listing === null) throw new InputError('E_NOT_FOUND', `Listing ${draft.listingId} of draft ${draftId} is not in the store`, { draft: draftId });
  const id = `promoted-${listing.id}`.replace(/[^a-z0-9-]/g, '-').slice(0, 80);
  const dir = join(resolve(options.cases ?? defaultCasesDir()), id);
  const uncertain = draft.assessment.layers.filter((layer) => !layer.certain).map((layer) => layer.layer);
  const expected: Expected = {
    id,
    title: listing.title,
    origin: 'promoted',
    rationale: `Promoted from draft ${draft.id}, approved by ${[...new Set(draft.reviews.filter((review) => review.action === 'approve').map((review) => review.reviewer))].join(', ') || 'a reviewer'}: the reviewed values are the expectation.`,
    url: listing.url,
    tolerance: 0.1,
    factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, draft.assessment.factors[key].value])),
    score: { band: draft.score.severity, value: draft.score.score, tolerance: 0.5 },
    uncertainLayers: uncertain,
    layersVisible: [1, 2, 3, 4, 5, 6, 7],
    keywords: Object.fromEntries(draft.assessment.layers.filter((layer) => layer.certain && layer.threats.length > 0).map((layer) => [String(layer.layer), layer.threats.slice(0, 3).map((threat) => threat.name)])),
    facts: [],
    tags: ['promoted'],
  };
  await mkdir(dir, { recursive: true });
  // A listing from a structured document keeps the document, so the case reads it as the crawl did.
  const document = listing.document;
  if (document === undefined) await writeFile(join(dir, 'listing.html'), pageOf(listing));
  else if (document.type === 'a2a-agent-card') await writeFile(join(dir, 'agent-card.json'), `${JSON.stringify(document.data, null, 2)}\n`);
  else await writeFile(join(dir, 'registry-entry.json'), `${JSON.stringify({ server: document.data, ...(document.meta === undefined ? {} : { _meta: document.meta }) }, null, 2)}\n`);
  await writeFile(join(dir, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
  await context.store.audit.append({ at: new Date().toISOString(), actor: 'cli', action: 'eval-promote', subject: draft.id, detail: { case: id } });
  return { id, dir };
}

/** A plain HTML page holding a listing's title, summary and text (what `eval promote` writes for a page listing). */
function pageOf(listing: Listing): string {
  const escape = (text: string) => text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(listing.title)}</title>
<meta name="description" content="${escape(listing.summary)}"></head>
<body><main><h1>${escape(listing.title)}</h1>
${listing.text
  .split(/\n{2,}/)
  .map((paragraph) => `<p>${escape(paragraph)}</p>`)
  .join('\n')}
</main></body></html>
`;
}
