/** Markdown for one published report (pure); listing and model text is escaped so it renders as text. */
import type { PublishedAgent } from '../../schemas/published.js';
import { stripUncertainPrefix, UNCERTAIN_PREFIX } from '../assess/checks.js';
import { day } from './html.js';
import { formulaText } from './render-html.js';

/** Escapes Markdown and inline-HTML syntax (CommonMark allows a backslash before any ASCII punctuation). */
export function md(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\\`*_{}[\]()<>#+!|&~:-]/g, (char) => `\\${char}`);
}

/** The report as Markdown, following the seed report's order. */
export function agentMarkdown(agent: PublishedAgent): string {
  const s = agent.score;
  const lines = [
    `# ${md(agent.title)} — agentic threat model`,
    '',
    md(agent.summary),
    '',
    '## OWASP AIVSS score rationale',
    '',
    `**AIVSS ${s.value.toFixed(1)} — ${s.severity}** (${md(formulaText(s.formula))})`,
    '',
    `| Part | Value |`,
    `| --- | --- |`,
    `| CVSS v4.0 base (C) | ${s.cvssBase.toFixed(1)} ${md(s.cvssVector ?? '')} |`,
    `| Factor sum (ΣF) | ${s.factorSum} |`,
    `| AARS | ${s.aars} |`,
    `| ThM | ${s.thm} (${agent.exploitMaturity.value}) |`,
    `| MF | ${s.mf === null ? '—' : s.mf} (${agent.mitigation.value}) |`,
    '',
    '| Factor | Value | Rationale |',
    '| --- | --- | --- |',
    ...agent.factors.map((factor) => `| ${md(factor.name)} | ${factor.value.toFixed(2)} | ${md(factor.rationale)} |`),
    '',
    '## MAESTRO 7-layer threat model',
    '',
    ...agent.layers.flatMap((layer) => [
      `### L${layer.layer} ${md(layer.name)}`,
      '',
      `${layer.certain ? '' : UNCERTAIN_PREFIX}${md(layer.certain ? layer.text : stripUncertainPrefix(layer.text))}`,
      ...(layer.threats.length > 0 ? ['', `Threats: ${layer.threats.map(md).join(', ')}`] : []),
      '',
    ]),
    '---',
    '',
    `Method: ${md(agent.provenance.assessor)} assessor, OWASP AIVSS ${s.formula}, reviewed by ${md(agent.review.reviewers.join(', ') || '—')}` +
      ` on ${day(agent.review.approvedAt)}; published ${day(agent.review.publishedAt)}; model ${md(agent.provenance.model ?? '—')};` +
      ` prompt ${md(agent.provenance.promptId ?? '—')}; revision ${agent.revision}.`,
    '',
  ];
  return lines.join('\n');
}
