/** Markdown for one published report (pure); listing and model text is escaped so it renders as text. */
import type { PublishedAgent } from '../../schemas/published.js';
import { stripUncertainPrefix, UNCERTAIN_PREFIX } from '../assess/checks.js';
import { day } from './html.js';
import { formulaText, scoreText } from './render-html.js';

/**
 * Escapes what Markdown (CommonMark and GFM tables) would read as markup, and nothing else, so the
 * file stays readable as text: emphasis, code, links and images (their brackets), inline HTML, table
 * cells, strikethrough, entities, and a heading, list or quote marker at the start of the text.
 * Text goes on one line, so no other line start can occur.
 */
export function md(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, (char) => `\\${char}`)
    .replace(/&(?=#?\w+;)/g, '\\&')
    .replace(/^(\s*)([#+=-]|\d+[.)])(?=\s|$)/, (_, space: string, marker: string) => `${space}${marker.replace(/([#+=.)-])$/, '\\$1')}`);
}

/** The report as Markdown, following the seed report's order. */
export function agentMarkdown(agent: PublishedAgent): string {
  const s = agent.score;
  const lines = [
    `# ${md(agent.title)} — agentic threat model`,
    '',
    ...(agent.insufficientEvidence ? ['> **Insufficient evidence**: the listing pins too few factors for a confident draft.', ''] : []),
    ...(agent.correction === null ? [] : [`> Corrected on ${day(agent.correction.correctedAt)} after a factual correction from the vendor.`, '']),
    md(agent.summary),
    '',
    '## OWASP AIVSS score rationale',
    '',
    `**AIVSS ${md(scoreText(s))} — ${s.severity}** (${md(formulaText(s.formula))})`,
    '',
    `| Part | Value |`,
    `| --- | --- |`,
    `| CVSS v4.0 base (C) | ${s.cvssBase.toFixed(1)} ${md(s.cvssVector ?? '')} |`,
    `| Factor sum (ΣF) | ${s.factorSum} |`,
    `| AARS | ${s.aars} |`,
    `| ThM | ${s.thm} (${agent.exploitMaturity.value}) |`,
    `| MF | ${s.mf === null ? '—' : s.mf} (${agent.mitigation.value}) |`,
    '',
    '| Factor | Value | Plausible | Certainty | Rationale |',
    '| --- | --- | --- | --- | --- |',
    ...agent.factors.map(
      (factor) => `| ${md(factor.name)} | ${factor.value.toFixed(2)} | ${factor.range.low.toFixed(2)}–${factor.range.high.toFixed(2)} | ${factor.certainty} | ${md(factor.rationale)} |`,
    ),
    '',
    '## MAESTRO 7-layer threat model',
    '',
    ...agent.layers.flatMap((layer) => [
      `### L${layer.layer} ${md(layer.name)}`,
      '',
      `${layer.certain ? '' : UNCERTAIN_PREFIX}${md(layer.certain ? layer.text : stripUncertainPrefix(layer.text))}`,
      ...(layer.threats.length > 0 ? ['', `Threats: ${layer.threats.map((threat) => `${md(threat.name)} (${[...threat.asi, ...threat.t].join(', ')})`).join('; ')}`] : []),
      ...(layer.otherThreats.length > 0 ? ['', `Other threats: ${layer.otherThreats.map(md).join(', ')}`] : []),
      '',
    ]),
    '---',
    '',
    `Method: ${md(agent.provenance.assessor)} assessor (version ${md(agent.provenance.assessorVersion)}), OWASP AIVSS ${s.formula}, reviewed by ${md(agent.review.reviewers.join(', ') || '—')}` +
      ` on ${day(agent.review.approvedAt)}; published ${day(agent.review.publishedAt)}; model ${md(agent.provenance.model ?? '—')};` +
      ` prompt ${md(agent.provenance.promptId ?? '—')}; revision ${agent.revision}.`,
    `Taxonomies: AIVSS ${md(agent.taxonomies.aivss)}; ${md(agent.taxonomies.maestro)}; ${md(agent.taxonomies.asi)}; ${md(agent.taxonomies.t)}; ${md(agent.taxonomies.catalogue)}.`,
    '',
  ];
  return lines.join('\n');
}
