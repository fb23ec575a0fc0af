/**
 * Eval reports: Markdown, and a self-contained HTML page with inline SVG charts and a per-case
 * drill-down filtered by category and outcome with CSS alone (no scripts).
 */
import { LAYER_NUMBERS, LISTING_FACTORS, LISTING_FACTOR_KEYS, MAESTRO_LAYERS } from '../../schemas/factors.js';
import { directionArrow, FLOORS, floorText, GATED_METRICS, summariseOverall, THRESHOLDS, type Baseline, type GatedMetric } from './baseline.js';
import type { EvalCase, FactorExpectation } from './case-schema.js';
import { listingForCase } from './listing.js';
import type { CaseResult, EvalRun } from './run.js';

/** What a report shows beside the run: the cases (for the drill-down) and notes on the recordings. */
export interface ReportContext {
  /** The cases the run measured, for the per-case drill-down (listing, expected, got, diff). */
  cases?: readonly EvalCase[];
  /** Lines to show prominently (recordings missing, or from no real model). */
  notes?: readonly string[];
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

const fmt = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : String(Math.round(value * 1000) / 1000));

/** Threat keywords found and expected per layer, summed over the cases (layers with none expected left out). */
function keywordsPerLayer(run: EvalRun): { layer: number; found: number; expected: number; recall: number | null }[] {
  return LAYER_NUMBERS.map((layer) => {
    const counts = run.results.map((result) => result.metrics.keywordsByLayer[String(layer)] ?? { found: 0, expected: 0 });
    const found = counts.reduce((sum, entry) => sum + entry.found, 0);
    const expected = counts.reduce((sum, entry) => sum + entry.expected, 0);
    return { layer, found, expected, recall: run.metrics.keywordRecallByLayer[String(layer)] ?? null };
  }).filter((entry) => entry.expected > 0);
}

/** The note for gated metrics an older baseline does not hold. */
function missingNote(run: EvalRun): string | null {
  const missing = run.comparison?.missing ?? [];
  return missing.length === 0 ? null : `The baseline has no ${missing.join(', ')} (written before they were gated): not compared; refresh it with --update-baseline.`;
}

/** Tokens, cached share, cost and time of a run, in one line. */
function spentLine(run: EvalRun): string {
  const share = run.cachedShare === null ? 'none' : `${Math.round(run.cachedShare * 1000) / 10}%`;
  return `${run.usage.tokensIn} tokens in (cached share ${share}), ${run.usage.tokensOut} out, $${run.usage.costUsd.toFixed(4)}, ${(run.wallMs / 1000).toFixed(1)} s`;
}

/**
 * The rules calibration's figures per factor: reference in-sample, reference cross-validated and
 * holdout MAE (rows of cells), or null when the run has none (the model assessor).
 */
function calibrationRows(run: EvalRun): string[][] | null {
  const cv = run.crossValidation;
  if (cv === null) return null;
  const cell = (mae: Record<string, number> | null, key: string) => (mae === null ? '—' : fmt(mae[key]));
  return [...LISTING_FACTOR_KEYS.map((key) => [LISTING_FACTORS[key], key] as const), ['overall', 'overall'] as const].map(([label, key]) => [
    label,
    cell(cv.inSample, key),
    cell(cv.crossValidated, key),
    cell(cv.holdout, key),
  ]);
}

function calibrationNote(run: EvalRun): string {
  const cv = run.crossValidation!;
  return `Reference cases: ${cv.folds} held out one at a time (leave-one-out), each predicted by a table refitted without it (penalty ${cv.lambda}); holdout: ${cv.holdoutCases} hand-written cases never fitted on. A cross-validated figure far above the in-sample one means the table learnt the cases, not the principles.`;
}

function worstCases(run: EvalRun, count = 10) {
  return [...run.results]
    .filter((result) => result.metrics.factorMae !== null)
    .sort((a, b) => (b.metrics.factorMae ?? 0) - (a.metrics.factorMae ?? 0) || a.id.localeCompare(b.id))
    .slice(0, count);
}


/** The gate's verdict in words. */
function gateText(run: EvalRun): string {
  if (run.regressions.length > 0) return `FAILED (${[...new Set(run.regressions.map((change) => change.metric))].join(', ')})`;
  return run.errored > 0 ? `incomplete, not a pass (${run.errored} case${run.errored === 1 ? '' : 's'} not measured)` : 'passed';
}

/** A gated metric's standing: below its floor, regressed against the baseline, ok, or not measured. */
function metricStatus(run: EvalRun, metric: GatedMetric): 'below floor' | 'regressed' | 'ok' | 'not measured' {
  if (run.floorBreaches.some((breach) => breach.metric === metric)) return 'below floor';
  if (run.comparison?.regressions.some((change) => change.metric === metric) === true) return 'regressed';
  return summariseOverall(run.metrics)[metric] === null ? 'not measured' : 'ok';
}

/** One row per gated metric: which way is better, its floor, the baseline, the run, and its standing. */
function metricRows(run: EvalRun, baseline: Baseline | null): string[][] {
  const current = summariseOverall(run.metrics);
  return GATED_METRICS.map((metric) => [
    metric,
    `${directionArrow(metric)} ${THRESHOLDS[metric].better}`,
    floorText(FLOORS[run.assessor][metric]),
    fmt(baseline?.metrics[metric]),
    fmt(current[metric]),
    metricStatus(run, metric),
  ]);
}

/** The category a case is filed under in the drill-down: its agent kind, or "unspecified". */
function categoryOf(evalCase: EvalCase | undefined): string {
  return evalCase?.expected.kind ?? 'unspecified';
}

function expectationText(expectation: FactorExpectation, tolerance: number): string {
  if (typeof expectation === 'number') return `${expectation} ± ${tolerance}`;
  if ('value' in expectation) return `${expectation.value} ± ${expectation.tolerance ?? tolerance}`;
  return `${expectation.min}–${expectation.max}`;
}

/** What a case got wrong, for the outcome filter: band missed, factors outside tolerance, facts contradicted. */
function caseOutcomes(result: CaseResult): string[] {
  const m = result.metrics;
  return [
    ...(m.band === false ? ['band'] : []),
    ...(m.factorsCompared > m.factorsWithin ? ['tolerance'] : []),
    ...(m.contradictions.length > 0 ? ['facts'] : []),
  ];
}

const OUTCOME_FILTERS = [
  ['all', 'All'],
  ['band', 'Band missed'],
  ['tolerance', 'Factors outside tolerance'],
  ['facts', 'Contradicts a fact'],
] as const;

/** The drill-down of one case: its listing, what was expected, what the assessor got, and the differences. */
function caseDetails(result: CaseResult, evalCase: EvalCase | undefined): string {
  const m = result.metrics;
  const expected = evalCase?.expected;
  const listing = evalCase === undefined ? null : listingForCase(evalCase);
  const factorRows = LISTING_FACTOR_KEYS.map((key) => {
    const expectation = expected?.factors[key];
    const error = m.factorErrors[key];
    const tolerance = expectation === undefined || typeof expectation === 'number' || !('value' in expectation) ? (expected?.tolerance ?? 0) : (expectation.tolerance ?? expected?.tolerance ?? 0);
    const within = error === undefined ? null : Math.abs(error) <= (typeof expectation === 'object' && 'min' in expectation ? 0 : tolerance) + 1e-9;
    return `<tr class="${within === false ? 'off' : ''}"><td>${escapeHtml(LISTING_FACTORS[key])}</td><td>${expectation === undefined ? '—' : escapeHtml(expectationText(expectation, expected?.tolerance ?? 0))}</td><td>${result.prediction.factors[key].toFixed(2)}</td><td>${error === undefined ? '—' : `${error > 0 ? '+' : ''}${error}`}</td><td>${within === null ? '—' : within ? 'within' : '<strong>outside</strong>'}</td></tr>`;
  }).join('');
  const expectedUncertain = expected?.uncertainLayers;
  const keywordRows = Object.entries(expected?.keywords ?? {})
    .map(([layer, words]) => {
      const counts = m.keywordsByLayer[layer];
      return `<li>L${escapeHtml(layer)}: ${counts === undefined ? '—' : `${counts.found} of ${counts.expected} found`} (${escapeHtml(words.join(', '))})</li>`;
    })
    .join('');
  const contradictions = m.contradictions.map((item) => `<li>${escapeHtml(item.fact.because)}: the draft ${escapeHtml(item.got)}</li>`).join('');
  const excerpt = listing === null ? '' : listing.text.length > 1500 ? `${listing.text.slice(0, 1500)}…` : listing.text;
  return `<details class="case" id="case-${escapeHtml(result.id)}" data-category="${escapeHtml(categoryOf(evalCase))}" data-outcome="${caseOutcomes(result).join(' ')}">
<summary><span class="case-id">${escapeHtml(result.id)}</span> <span class="tag">${escapeHtml(categoryOf(evalCase))}</span> <span class="muted">${escapeHtml(result.origin)}</span> · factor MAE ${fmt(m.factorMae)} · band ${m.band === null ? '—' : m.band ? 'ok' : '<strong>missed</strong>'}${m.contradictions.length > 0 ? ` · <strong>${m.contradictions.length} contradicted</strong>` : ''}</summary>
<div class="case-body">
<section><h3>Listing</h3>${listing === null ? '<p class="muted">Not in this report.</p>' : `<p><strong>${escapeHtml(listing.title)}</strong> · ${escapeHtml(listing.url)}</p><pre class="listing">${escapeHtml(excerpt)}</pre>`}</section>
<section><h3>Expected and got</h3>
<table class="case-factors"><thead><tr><th>factor</th><th>expected</th><th>got</th><th>diff</th><th></th></tr></thead><tbody>${factorRows}</tbody></table>
<p>Band: expected ${escapeHtml(expected?.score?.band ?? '—')}, got ${escapeHtml(`${result.score} ${result.severity}`)}${m.band === false ? ' — <strong>missed</strong>' : ''}.${expected?.score?.value === undefined ? '' : ` Score: expected ${expected.score.value} ± ${expected.score.tolerance}, got ${result.score}.`}</p>
<p>Layers not certain: expected ${expectedUncertain === undefined ? '—' : escapeHtml(expectedUncertain.join(', ') || 'none')}, got ${escapeHtml(result.prediction.uncertainLayers.join(', ') || 'none')} (${m.layersAgreeing} of ${m.layersCompared} agree).</p>
${keywordRows === '' ? '' : `<p>Threat keywords:</p><ul>${keywordRows}</ul>`}
${contradictions === '' ? '' : `<p>Contradicted facts:</p><ul class="contradictions">${contradictions}</ul>`}
${expected === undefined ? '' : `<p class="muted">Why these values: ${escapeHtml(expected.rationale)}</p>`}</section>
</div></details>`;
}

/**
 * The per-case drill-down: every case as a collapsible entry, filtered by category (agent kind) and
 * outcome with radio buttons and CSS sibling selectors, so it needs no script.
 */
function drillDown(run: EvalRun, cases: readonly EvalCase[]): string {
  const byId = new Map(cases.map((evalCase) => [evalCase.id, evalCase]));
  const categories = [...new Set(run.results.map((result) => categoryOf(byId.get(result.id))))].sort();
  const slug = (value: string): string => value.replace(/[^a-z0-9-]/gi, '-');
  const count = (category: string): number => run.results.filter((result) => categoryOf(byId.get(result.id)) === category).length;
  const categoryRadios = [`<input type="radio" name="category" id="cat-all" class="filter" checked>`, ...categories.map((category) => `<input type="radio" name="category" id="cat-${slug(category)}" class="filter">`)].join('');
  const outcomeRadios = OUTCOME_FILTERS.map(([id], index) => `<input type="radio" name="outcome" id="out-${id}" class="filter"${index === 0 ? ' checked' : ''}>`).join('');
  const rules = [
    ...categories.map((category) => `#cat-${slug(category)}:checked~.cases .case:not([data-category="${category}"])`),
    ...OUTCOME_FILTERS.slice(1).map(([id]) => `#out-${id}:checked~.cases .case:not([data-outcome~="${id}"])`),
  ];
  const selected = [
    '#cat-all:checked~.filters label[for=cat-all]',
    ...categories.map((category) => `#cat-${slug(category)}:checked~.filters label[for=cat-${slug(category)}]`),
    ...OUTCOME_FILTERS.map(([id]) => `#out-${id}:checked~.filters label[for=out-${id}]`),
  ];
  const failing = (id: string): number => run.results.filter((result) => id === 'all' || caseOutcomes(result).includes(id)).length;
  const focused = selected.map((selector) => selector.replace(':checked', ':focus-visible'));
  return `<style>${rules.join(',')}{display:none}${selected.join(',')}{background:#222;color:#fff}${focused.join(',')}{outline:2px solid #0a5bd3;outline-offset:1px}</style>
${categoryRadios}${outcomeRadios}
<div class="filters" role="group" aria-label="Filter cases by category"><span>Category:</span> <label for="cat-all">all (${run.results.length})</label>${categories.map((category) => `<label for="cat-${slug(category)}">${escapeHtml(category)} (${count(category)})</label>`).join('')}</div>
<div class="filters" role="group" aria-label="Filter cases by outcome"><span>Outcome:</span> ${OUTCOME_FILTERS.map(([id, label]) => `<label for="out-${id}">${label} (${failing(id)})</label>`).join('')}</div>
<div class="cases">${run.results.map((result) => caseDetails(result, byId.get(result.id))).join('\n')}</div>`;
}

export function renderMarkdown(run: EvalRun, baseline: Baseline | null, context: ReportContext = {}): string {
  const lines = [
    `# Eval: ${run.assessor} assessor`,
    '',
    `- assessor version: ${run.assessorVersion}; model: ${run.model ?? '—'}; prompt: ${run.promptId ?? '—'} ${run.promptHash ? `(${run.promptHash.slice(0, 12)})` : ''}`,
    `- cases: ${run.cases} (${run.assessed} assessed, ${run.reused} reused from cache)${run.errored > 0 ? `; ${run.errored} errored` : ''}`,
    `- spent: ${spentLine(run)}`,
    `- gate: ${gateText(run)}`,
    ...(context.notes ?? []).map((note) => `- **${note}**`),
    ...(run.errors.length === 0 ? [] : ['', '## Errored cases (not measured)', '', '| case | reason |', '|---|---|', ...run.errors.map((error) => `| ${error.case} | ${error.reason.replace(/\|/g, '\\|')} |`)]),
    '',
    '## Metrics',
    '',
    'A figure beyond its floor fails the gate whatever the baseline says; against the baseline, a move the wrong way beyond its threshold fails it.',
    '',
    '| metric | better | floor | baseline | current | status |',
    '|---|---|---|---|---|---|',
    ...metricRows(run, baseline).map((cells) => `| ${cells.join(' | ')} |`),
    ...(missingNote(run) === null ? [] : ['', missingNote(run) ?? '']),
    '',
    '## Threat keyword recall per layer',
    '',
    '| layer | keywords found | recall |',
    '|---|---|---|',
    ...keywordsPerLayer(run).map((entry) => `| L${entry.layer} ${MAESTRO_LAYERS[entry.layer as keyof typeof MAESTRO_LAYERS]} | ${entry.found} of ${entry.expected} | ${fmt(entry.recall)} |`),
    '',
    '## Per-factor MAE',
    '',
    '| factor | MAE |',
    '|---|---|',
    ...LISTING_FACTOR_KEYS.map((key) => `| ${LISTING_FACTORS[key]} | ${fmt(run.metrics.perFactorMae[key])} |`),
    '',
    ...(calibrationRows(run) === null
      ? []
      : [
          '## Rules calibration',
          '',
          calibrationNote(run),
          '',
          '| factor | reference in-sample | reference cross-validated | holdout |',
          '|---|---|---|---|',
          ...calibrationRows(run)!.map((cells) => `| ${cells.join(' | ')} |`),
          '',
        ]),
    '## Changes against the baseline',
    '',
  ];
  if (run.comparison === null) lines.push('No baseline to compare with.');
  else {
    const row = (change: { scope: string; metric: string; baseline: number; current: number }) =>
      `| ${change.scope} | ${change.metric} | ${fmt(change.baseline)} | ${fmt(change.current)} |`;
    lines.push(`Improved (${run.comparison.improved.length}):`, '', '| case | metric | baseline | current |', '|---|---|---|---|', ...run.comparison.improved.map(row), '');
    lines.push(`Regressed (${run.comparison.regressed.length}):`, '', '| case | metric | baseline | current |', '|---|---|---|---|', ...run.comparison.regressed.map(row));
  }
  lines.push('', '## Worst cases (by factor MAE)', '', '| case | factor MAE | within tolerance | band | score |', '|---|---|---|---|---|');
  for (const result of worstCases(run)) {
    lines.push(`| ${result.id} | ${fmt(result.metrics.factorMae)} | ${fmt(result.metrics.withinTolerance)} | ${result.metrics.band === null ? '—' : result.metrics.band ? 'ok' : 'miss'} | ${result.score} ${result.severity} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** A bar; `value: null` draws no bar and prints "—" (no figure, e.g. no baseline). */
interface Bar {
  label: string;
  value: number | null;
  color?: string;
  /** Tooltip text. */
  title?: string;
}

/** A label cut to fit its column (about 6.5 px a character at 12 px); the whole one is in the table or tooltip. */
function fitLabel(label: string, labelWidth: number): string {
  const room = Math.floor((labelWidth - 10) / 6.5);
  return label.length <= room ? label : `${label.slice(0, room - 1)}…`;
}

function barChart(title: string, bars: readonly Bar[], max: number, className = 'bar-chart', labelWidth = 240): string {
  const width = 700;
  const rowHeight = 22;
  const height = bars.length * rowHeight + 40;
  const scale = (width - labelWidth - 60) / (max || 1);
  const rows = bars
    .map((bar, index) => {
      const y = 30 + index * rowHeight;
      const label = `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(fitLabel(bar.label, labelWidth))}</text>`;
      if (bar.value === null) return `${label}<text class="none" x="${labelWidth + 4}" y="${y + 14}">—</text>`;
      const barWidth = Math.max(0, bar.value * scale);
      const tip = bar.title === undefined ? '' : `<title>${escapeHtml(bar.title)}</title>`;
      return `${label}<rect class="bar" x="${labelWidth}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${rowHeight - 8}" fill="${bar.color ?? '#3b6ea8'}">${tip}</rect><text x="${(labelWidth + barWidth + 4).toFixed(1)}" y="${y + 14}">${fmt(bar.value)}</text>`;
    })
    .join('');
  return `<figure class="${className}"><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><text x="0" y="16" class="title">${escapeHtml(title)}</text>${rows}</svg></figure>`;
}

function scatter(run: EvalRun): string {
  const size = 360;
  const pad = 40;
  const points = run.results.filter((result) => result.metrics.expectedFactorSum !== null);
  const max = Math.max(2, ...points.flatMap((result) => [result.metrics.expectedFactorSum ?? 0, result.metrics.predictedFactorSum]));
  const scale = (size - 2 * pad) / max;
  const dots = points
    .map((result) => {
      const x = pad + (result.metrics.expectedFactorSum ?? 0) * scale;
      const y = size - pad - result.metrics.predictedFactorSum * scale;
      return `<circle class="dot" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4"><title>${escapeHtml(result.id)}: expected ${fmt(result.metrics.expectedFactorSum)}, predicted ${fmt(result.metrics.predictedFactorSum)}</title></circle>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="Predicted against expected factor sum" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}"><text x="0" y="16" class="title">Predicted (y) against expected (x) factor sum</text><line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${pad}" stroke="#bbb" stroke-dasharray="4 4"/><line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${size - pad}" stroke="#333"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${size - pad}" stroke="#333"/><text x="${size - pad}" y="${size - pad + 16}" text-anchor="end">${fmt(max)}</text><text x="${pad - 4}" y="${pad + 4}" text-anchor="end">${fmt(max)}</text>${dots}</svg></figure>`;
}

function comparisonChart(run: EvalRun, baseline: Baseline | null): string {
  const current = summariseOverall(run.metrics);
  const bars: Bar[] = GATED_METRICS.flatMap((metric) => [
    // No baseline, or one written before the metric was gated: no bar, not a zero.
    { label: `${metric} (baseline)`, value: baseline?.metrics[metric] ?? null, color: '#9aa5b1' },
    { label: `${metric} (current)`, value: current[metric] ?? null, color: run.regressions.some((change) => change.metric === metric) ? '#c0392b' : '#2e8b57' },
  ]);
  const max = Math.max(1, ...bars.map((bar) => bar.value ?? 0));
  return barChart(baseline === null ? 'Baseline (none yet) against current, per metric' : 'Baseline against current, per metric', bars, max, 'comparison-chart');
}

function keywordChart(run: EvalRun): string {
  const bars: Bar[] = keywordsPerLayer(run).map((entry) => ({
    label: `L${entry.layer} ${MAESTRO_LAYERS[entry.layer as keyof typeof MAESTRO_LAYERS]}`,
    value: entry.recall,
    title: `${entry.found} of ${entry.expected} keywords found`,
  }));
  return barChart('Threat keyword recall per MAESTRO layer', bars, 1, 'keyword-chart');
}

function worstChart(run: EvalRun): string {
  const worst = worstCases(run);
  const bars: Bar[] = worst.map((result) => ({
    label: result.id,
    value: result.metrics.factorMae,
    // Red when the AIVSS band is also missed.
    color: result.metrics.band === false ? '#c0392b' : '#d68910',
    title: `${result.id}: factor MAE ${fmt(result.metrics.factorMae)}, within tolerance ${fmt(result.metrics.withinTolerance)}, score ${result.score} ${result.severity}`,
  }));
  return barChart('Worst cases by factor MAE (red: band missed too)', bars, Math.max(0.25, ...worst.map((result) => result.metrics.factorMae ?? 0)), 'worst-chart', 320);
}

export function renderHtml(run: EvalRun, baseline: Baseline | null, context: ReportContext = {}): string {
  const perFactor = barChart(
    'Mean absolute error per factor',
    LISTING_FACTOR_KEYS.map((key) => ({ label: LISTING_FACTORS[key], value: run.metrics.perFactorMae[key] ?? null })),
    Math.max(0.25, ...LISTING_FACTOR_KEYS.map((key) => run.metrics.perFactorMae[key] ?? 0)),
  );
  const worst = worstCases(run)
    .map(
      (result) =>
        `<tr><td>${escapeHtml(result.id)}</td><td>${fmt(result.metrics.factorMae)}</td><td>${fmt(result.metrics.withinTolerance)}</td><td>${result.metrics.band === null ? '—' : result.metrics.band ? 'ok' : 'miss'}</td><td>${escapeHtml(`${result.score} ${result.severity}`)}</td></tr>`,
    )
    .join('');
  const note = missingNote(run);
  const keywordRows = keywordsPerLayer(run)
    .map((entry) => `<tr><td>L${entry.layer} ${escapeHtml(MAESTRO_LAYERS[entry.layer as keyof typeof MAESTRO_LAYERS])}</td><td>${entry.found} of ${entry.expected}</td><td>${fmt(entry.recall)}</td></tr>`)
    .join('');
  const metricsRows = metricRows(run, baseline)
    .map(([metric, better, floor, base, now, status]) => `<tr class="status-${(status ?? '').replace(/ /g, '-')}"><td>${metric}</td><td>${better}</td><td>${escapeHtml(floor ?? '')}</td><td>${base}</td><td>${now}</td><td>${status}</td></tr>`)
    .join('');
  const notes = (context.notes ?? []).map((line) => `<p class="note warn" role="note">${escapeHtml(line)}</p>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>threatdraft eval: ${escapeHtml(run.assessor)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:980px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}svg text{font:12px system-ui,sans-serif}svg .title{font-weight:600}.dot{fill:#3b6ea8;opacity:.75}.gate-ok{color:#2e8b57}.gate-fail{color:#c0392b}figure{margin:16px 0}svg .none{fill:#777}.note{color:#8a5a00}.warn{border:1px solid #bf8700;background:#fff8c5;padding:6px 10px;color:#3d2e00}tr.status-below-floor td,tr.status-regressed td{background:#ffebe9}.filter{position:absolute;opacity:0}.filters{display:flex;flex-wrap:wrap;gap:4px 8px;margin:6px 0;align-items:center}.filters label{border:1px solid #bbb;border-radius:12px;padding:0 8px;cursor:pointer}details.case{border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 8px}details.case summary{cursor:pointer}.case-body{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}pre.listing{white-space:pre-wrap;background:#f6f8fa;padding:8px;max-height:24rem;overflow:auto;font-size:12px}.tag{border:1px solid #999;border-radius:4px;padding:0 4px;font-size:12px}.muted{color:#555}tr.off td{background:#fff1e5}</style>
</head><body>
<h1>Eval: ${escapeHtml(run.assessor)} assessor</h1>
<p>Assessor version ${escapeHtml(run.assessorVersion)}; model ${escapeHtml(run.model ?? '—')}; prompt ${escapeHtml(run.promptId ?? '—')} ${escapeHtml(run.promptHash?.slice(0, 12) ?? '')}.
${run.cases} cases: ${run.assessed} assessed, ${run.reused} reused${run.errored > 0 ? `, <strong class="gate-fail">${run.errored} errored</strong>` : ''}.
Spent: <span class="spent">${escapeHtml(spentLine(run))}</span>.
Gate: <strong class="${run.passed ? 'gate-ok' : 'gate-fail'}">${escapeHtml(gateText(run))}</strong></p>
${notes}
<h2>Metrics</h2>
<p>↑ higher is better, ↓ lower is better. A figure beyond its floor fails the gate whatever the baseline says; against the baseline, a move the wrong way beyond its threshold fails it.</p>
<table class="metrics"><thead><tr><th>metric</th><th>better</th><th>floor</th><th>baseline</th><th>current</th><th>status</th></tr></thead><tbody>${metricsRows}</tbody></table>
${note === null ? '' : `<p class="note">${escapeHtml(note)}</p>`}
${run.errors.length === 0 ? '' : `<h2>Errored cases (not measured)</h2><table class="errors"><thead><tr><th>case</th><th>reason</th></tr></thead><tbody>${run.errors.map((error) => `<tr><td>${escapeHtml(error.case)}</td><td>${escapeHtml(error.reason)}</td></tr>`).join('')}</tbody></table>`}
${perFactor}
${scatter(run)}
${comparisonChart(run, baseline)}
${
  calibrationRows(run) === null
    ? ''
    : `<h2>Rules calibration</h2><p>${escapeHtml(calibrationNote(run))}</p><table class="calibration"><thead><tr><th>factor</th><th>reference in-sample</th><th>reference cross-validated</th><th>holdout</th></tr></thead><tbody>${calibrationRows(run)!
        .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
}
<h2>Threat keyword recall per layer</h2>
${keywordChart(run)}
<table><thead><tr><th>layer</th><th>keywords found</th><th>recall</th></tr></thead><tbody>${keywordRows}</tbody></table>
<h2>Worst cases</h2>
${worstChart(run)}
<table><thead><tr><th>case</th><th>factor MAE</th><th>within tolerance</th><th>band</th><th>score</th></tr></thead><tbody>${worst}</tbody></table>
<h2>Every case</h2>
<p>Open a case for its listing, what was expected, what the assessor got and the difference; filter by category (the agent kind the case pins) and by what went wrong.</p>
${drillDown(run, context.cases ?? [])}
</body></html>
`;
}
