/** Eval reports: Markdown, and a self-contained HTML page with inline SVG charts (no scripts). */
import { LAYER_NUMBERS, LISTING_FACTORS, LISTING_FACTOR_KEYS, MAESTRO_LAYERS } from '../../schemas/factors.js';
import { GATED_METRICS, summariseOverall, type Baseline } from './baseline.js';
import type { EvalRun } from './run.js';

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

export function renderMarkdown(run: EvalRun, baseline: Baseline | null): string {
  const current = summariseOverall(run.metrics);
  const lines = [
    `# Eval: ${run.assessor} assessor`,
    '',
    `- assessor version: ${run.assessorVersion}; model: ${run.model ?? '—'}; prompt: ${run.promptId ?? '—'} ${run.promptHash ? `(${run.promptHash.slice(0, 12)})` : ''}`,
    `- cases: ${run.cases} (${run.assessed} assessed, ${run.reused} reused from cache)${run.errored > 0 ? `; ${run.errored} errored` : ''}`,
    `- spent: ${spentLine(run)}`,
    `- gate: ${run.passed ? 'passed' : `FAILED (${run.regressions.map((change) => change.metric).join(', ')})`}${run.errored > 0 ? '; incomplete' : ''}`,
    ...(run.errors.length === 0 ? [] : ['', '## Errored cases (not measured)', '', '| case | reason |', '|---|---|', ...run.errors.map((error) => `| ${error.case} | ${error.reason.replace(/\|/g, '\\|')} |`)]),
    '',
    '## Metrics',
    '',
    '| metric | baseline | current |',
    '|---|---|---|',
    ...GATED_METRICS.map((metric) => `| ${metric} | ${fmt(baseline?.metrics[metric])} | ${fmt(current[metric])} |`),
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

export function renderHtml(run: EvalRun, baseline: Baseline | null): string {
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
  const current = summariseOverall(run.metrics);
  const note = missingNote(run);
  const keywordRows = keywordsPerLayer(run)
    .map((entry) => `<tr><td>L${entry.layer} ${escapeHtml(MAESTRO_LAYERS[entry.layer as keyof typeof MAESTRO_LAYERS])}</td><td>${entry.found} of ${entry.expected}</td><td>${fmt(entry.recall)}</td></tr>`)
    .join('');
  const metricsRows = GATED_METRICS.map(
    (metric) => `<tr><td>${metric}</td><td>${fmt(baseline?.metrics[metric])}</td><td>${fmt(current[metric])}</td></tr>`,
  ).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>threatdraft eval: ${escapeHtml(run.assessor)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:980px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}svg text{font:12px system-ui,sans-serif}svg .title{font-weight:600}.dot{fill:#3b6ea8;opacity:.75}.gate-ok{color:#2e8b57}.gate-fail{color:#c0392b}figure{margin:16px 0}svg .none{fill:#777}.note{color:#8a5a00}</style>
</head><body>
<h1>Eval: ${escapeHtml(run.assessor)} assessor</h1>
<p>Assessor version ${escapeHtml(run.assessorVersion)}; model ${escapeHtml(run.model ?? '—')}; prompt ${escapeHtml(run.promptId ?? '—')} ${escapeHtml(run.promptHash?.slice(0, 12) ?? '')}.
${run.cases} cases: ${run.assessed} assessed, ${run.reused} reused${run.errored > 0 ? `, <strong class="gate-fail">${run.errored} errored</strong>` : ''}.
Spent: <span class="spent">${escapeHtml(spentLine(run))}</span>.
Gate: <strong class="${run.passed ? 'gate-ok' : 'gate-fail'}">${run.passed ? 'passed' : `failed (${escapeHtml(run.regressions.map((change) => change.metric).join(', '))})`}</strong></p>
<table><thead><tr><th>metric</th><th>baseline</th><th>current</th></tr></thead><tbody>${metricsRows}</tbody></table>
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
</body></html>
`;
}
