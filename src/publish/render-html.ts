/** HTML for the static site and the review preview (pure): the report article, an agent page, the index. */
import type { PublishedAgent, PublishedIndex } from '../../schemas/published.js';
import { SEVERITIES } from '../../schemas/score.js';
import { THREAT_BY_ID } from '../../schemas/catalogue/index.js';
import { stripUncertainPrefix } from '../assess/checks.js';
import { INSUFFICIENT_SENTENCE } from '../assess/uncertainty.js';
import { classifyAddress, ipLiteralOfHost } from '../crawl/ssrf.js';
import { day, h, join, safeHttpUrl, type HtmlEscapedString } from './html.js';
import { radarSvg } from './radar.js';

/** Where a report's links go: the methodology page (and its taxonomy anchors). */
export interface ReportLinks {
  /** The methodology page; `#ASI01`, `#T6` and `#threat-<id>` anchors describe each id. */
  methodology: string;
}

const CERTAINTY_WORDS: Readonly<Record<PublishedAgent['factors'][number]['certainty'], string>> = {
  field: 'grounded field',
  stated: 'stated in prose',
  inferred: 'inferred from kind',
  unknown: 'unknown',
};

/** A favicon drawn inline (a shield), so no page asks for /favicon.ico. */
export const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M8 1 2 3.5V8c0 3.3 2.6 6.2 6 7 3.4-.8 6-3.7 6-7V3.5z' fill='%230a5bd3'/%3E%3C/svg%3E";

/** The score as people read it: "6.8 (5.9–7.6)". */
export function scoreText(score: PublishedAgent['score']): string {
  return `${score.value.toFixed(1)} (${score.range.low.toFixed(1)}–${score.range.high.toFixed(1)})`;
}

/** ASI and T ids as chips linking to their descriptions. */
export function taxonomyChips(ids: readonly string[], links: ReportLinks): HtmlEscapedString {
  return join(ids.map((id) => h`<a class="chip chip-${id.startsWith('ASI') ? 'asi' : 't'}" href="${links.methodology}#${id}" title="${id}">${id}</a>`));
}

function threatItem(threat: PublishedAgent['layers'][number]['threats'][number], links: ReportLinks): HtmlEscapedString {
  return h`<li data-threat="${threat.id}"><a href="${links.methodology}#threat-${threat.id}">${threat.name}</a> ${taxonomyChips([...threat.asi, ...threat.t], links)}</li>`;
}

/** Every mitigation the report's threats point to, once, with the threats it addresses. */
function mitigationsBlock(agent: PublishedAgent): HtmlEscapedString {
  const by = new Map<string, { text: string; threats: string[] }>();
  for (const layer of agent.layers) {
    for (const threat of layer.threats) {
      for (const mitigation of threat.mitigations) {
        const entry = by.get(mitigation.id) ?? { text: mitigation.text, threats: [] };
        if (!entry.threats.includes(threat.name)) entry.threats.push(threat.name);
        by.set(mitigation.id, entry);
      }
    }
  }
  if (by.size === 0) return h``;
  const items = [...by.entries()].map(([id, { text, threats }]) => h`<li data-mitigation="${id}">${text} <span class="muted">(${threats.join(', ')})</span></li>`);
  return h`<h2>What to do about it</h2><ul class="mitigations">${join(items)}</ul>`;
}

function chainsBlock(agent: PublishedAgent): HtmlEscapedString {
  if (agent.chains.length === 0) return h``;
  const name = (id: string): string => THREAT_BY_ID.get(id)?.name ?? id;
  const items = agent.chains.map(
    (chain) =>
      h`<li>L${chain.from.layer} ${name(chain.from.id)} → L${chain.to.layer} ${name(chain.to.id)}: <span class="muted">${chain.how}</span></li>`,
  );
  return h`<h2>Cross-layer chains</h2><p class="muted">A threat on one layer that enables one on another, where this report names both.</p><ul class="chains">${join(items)}</ul>`;
}

/** The formula of a score in words, with its parts named. */
export function formulaText(formula: PublishedAgent['score']['formula']): string {
  switch (formula) {
    case 'v0.5':
      return 'AIVSS = round(((C + AARS) / 2) × ThM, 1), AARS = ΣF (OWASP AIVSS v0.5, legacy)';
    case 'v0.8-floor':
      return 'AIVSS = max(C, min(10, roundHalfUp(C + AARS × MF, 1))), AARS = (10 − C) × (ΣF / 10) × ThM (v0.8 with the proposed floor)';
    default:
      return 'AIVSS = roundHalfUp((C + AARS) × MF, 1), AARS = (10 − C) × (ΣF / 10) × ThM (canonical OWASP AIVSS v0.8)';
  }
}

const NOT_CERTAIN = 'Not certain from the listing —';

/**
 * The listing's address as a link readers can follow: an http(s) URL on a public host. A listing
 * crawled from loopback or a private network (the bundled demo, an intranet directory) has no
 * address a reader of the published site can reach, so it is shown as text and said to be private.
 */
export function listingLink(url: string): HtmlEscapedString {
  const link = safeHttpUrl(url);
  if (link === null) return h`<span class="listing-url">${url}</span>`;
  const host = new URL(link).hostname;
  const literal = ipLiteralOfHost(host);
  const local = host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');
  if (local || (literal !== undefined && classifyAddress(literal) !== 'public')) {
    return h`<span class="listing-url">${link}</span> <span class="muted">(crawled from a private address, not reachable from this site)</span>`;
  }
  return h`<a class="listing-url" href="${link}" rel="nofollow noopener noreferrer">${link}</a>`;
}

/** Whether reviewers approved this revision (published and superseded ones were, approved ones are waiting for publication). */
function approved(agent: PublishedAgent): boolean {
  return agent.status === 'approved' || agent.status === 'published' || agent.status === 'superseded';
}

function scoreParts(agent: PublishedAgent): HtmlEscapedString {
  const s = agent.score;
  return h`<table class="score-parts"><tbody>
<tr><th>CVSS v4.0 base (C)</th><td class="num">${s.cvssBase.toFixed(1)}</td><td>${s.cvssVector ?? ''}</td></tr>
<tr><th>Factor sum (ΣF)</th><td class="num">${String(s.factorSum)}</td><td>ten agentic factors, each 0–1</td></tr>
<tr><th>AARS</th><td class="num">${String(s.aars)}</td><td>agentic AI risk score</td></tr>
<tr><th>Threat multiplier (ThM)</th><td class="num">${String(s.thm)}</td><td>exploit maturity: ${agent.exploitMaturity.value}</td></tr>
<tr><th>Mitigation factor (MF)</th><td class="num">${s.mf === null ? '—' : String(s.mf)}</td><td>mitigation: ${agent.mitigation.value}</td></tr>
</tbody></table>
<p class="formula muted">${formulaText(s.formula)}</p>`;
}

/**
 * The report itself, as the seed report lays it out: summary, score with its range, factors with
 * how firmly the listing pins each, radar, seven layers with catalogue threats and their ASI and T
 * chips, cross-layer chains, mitigations, footer with the methodology and corrections links.
 */
export function reportArticle(agent: PublishedAgent, links: ReportLinks = { methodology: 'methodology.html' }): HtmlEscapedString {
  const factors = agent.factors.map(
    (factor) => h`<tr data-factor="${factor.key}"><td class="factor-name"><strong>${factor.name}</strong></td><td class="num factor-value" data-label="Value">${factor.value.toFixed(2)}</td><td class="num factor-range" data-label="Plausible">${factor.range.low.toFixed(2)}–${factor.range.high.toFixed(2)}</td><td class="certainty certainty-${factor.certainty}" data-label="Pinned by">${CERTAINTY_WORDS[factor.certainty]}</td><td>${factor.rationale}</td></tr>`,
  );
  const layers = agent.layers.map(
    (layer) => h`<section class="layer${layer.certain ? ' certain' : ''}" data-layer="${layer.layer}"><h3>L${layer.layer} ${layer.name}</h3>
<p>${layer.certain ? '' : h`<span class="uncertain-tag">${NOT_CERTAIN}</span> `}${layer.certain ? layer.text : stripUncertainPrefix(layer.text)}</p>${
      layer.threats.length > 0 ? h`<ul class="threats">${join(layer.threats.map((threat) => threatItem(threat, links)))}</ul>` : ''
    }${layer.otherThreats.length > 0 ? h`<p class="threats other-threats">Also named, outside the catalogue: ${layer.otherThreats.join(', ')}</p>` : ''}</section>`,
  );
  const banner = agent.insufficientEvidence
    ? h`<p class="banner insufficient" role="note" data-insufficient>${INSUFFICIENT_SENTENCE} Treat the score range, not the point, as the finding.</p>`
    : '';
  const corrected =
    agent.correction === null ? '' : h`<p class="banner corrected" data-corrected>Corrected on ${day(agent.correction.correctedAt)} after a factual correction from the vendor.</p>`;
  const t = agent.taxonomies;
  const reviewers = agent.review.reviewers.length > 0 ? agent.review.reviewers.join(', ') : '—';
  return h`<article class="report">
<h1>${agent.title} — agentic threat model</h1>
<p class="muted">${agent.category === null ? '' : h`${agent.category} · `}Listing: ${listingLink(agent.url)}</p>
${banner}${corrected}<p class="summary">${agent.summary}</p>
<h2>OWASP AIVSS score rationale</h2>
<p><span class="score-big" data-score>${agent.score.value.toFixed(1)}</span><span class="score-range" data-range title="the score with every factor at its plausible low and high">(${agent.score.range.low.toFixed(1)}–${agent.score.range.high.toFixed(1)})</span> <span class="band band-${agent.score.severity}" data-severity>${agent.score.severity}</span></p>
${scoreParts(agent)}
<table class="factors"><thead><tr><th>Factor</th><th>Value</th><th>Plausible</th><th>How the listing pins it</th><th>Rationale</th></tr></thead><tbody>${join(factors)}</tbody></table>
${radarSvg(agent.factors)}
<p>Scored with the ${agent.score.formula === 'v0.8' ? 'canonical ' : ''}OWASP AIVSS formula (${agent.score.formula}); agentic risk factors estimated from the agent’s described capabilities. CVSS vector: ${agent.cvss.vector} — ${agent.cvss.rationale} Exploit maturity (${agent.exploitMaturity.value}): ${agent.exploitMaturity.rationale} Mitigation (${agent.mitigation.value}): ${agent.mitigation.rationale}</p>
<h2>MAESTRO 7-layer threat model</h2>
<p>Per-layer threats for this agent. Layers tagged “not certain from listing” are general, caveated commentary where the public description didn’t pin that layer.</p>
${join(layers)}
${chainsBlock(agent)}
${mitigationsBlock(agent)}
<footer class="report">
<p>MAESTRO — the 7-layer agentic threat-modeling framework (Cloud Security Alliance / Ken Huang).</p>
<p class="taxonomies">Taxonomies: AIVSS ${t.aivss}; ${t.maestro}; ${t.asi} (ASI01–ASI10); ${t.t} (T1–T17); ${t.catalogue}.</p>
<p data-method>Method: drafted by the ${agent.provenance.assessor} assessor (version ${agent.provenance.assessorVersion}) from the public listing, scored with OWASP AIVSS ${agent.score.formula}, ${
    approved(agent) ? 'checked and approved by human reviewers' : h`<strong>not yet approved: a draft for review, not a published report</strong>`
  } — an estimate for guidance, not a penetration test, audit, or certification.</p>
<p>Provenance: model ${agent.provenance.model ?? '— (rules)'}; prompt ${agent.provenance.promptId ?? '—'}${agent.provenance.promptHash === null ? '' : h` (${agent.provenance.promptHash.slice(0, 12)})`}; listing ${agent.provenance.listingContentHash.slice(0, 12)}; assessed ${day(agent.provenance.assessedAt)}; ${
    approved(agent) ? h`reviewed by ${reviewers}${agent.review.approvedAt === null ? '' : h` on ${day(agent.review.approvedAt)}`}; published ${day(agent.review.publishedAt)}` : 'not reviewed yet'
  }; revision ${agent.revision}; threatdraft ${agent.provenance.threatdraftVersion}.</p>
<p class="report-links"><a href="${links.methodology}" data-methodology>See the scoring methodology</a>. <a href="${agent.correctionsUrl}" rel="nofollow" data-corrections>Are you the vendor? Request a correction</a> — factual corrections are free.</p>
</footer>
</article>`;
}

export function page(title: string, root: string, body: HtmlEscapedString): string {
  return `<!doctype html>\n${h`<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title><link rel="icon" href="${FAVICON}"><link rel="stylesheet" href="${root}style.css"></head>
<body><header class="site"><a href="${root}index.html">Agent threat models</a> <a class="nav" href="${root}methodology.html">Methodology</a></header><main>${body}</main></body></html>`.toString()}\n`;
}

function changeWords(changes: readonly string[]): string {
  if (changes.length === 0) return 'first published version';
  return changes.length <= 6 ? `changed ${changes.join(', ')}` : `changed ${changes.slice(0, 6).join(', ')} and ${changes.length - 6} more`;
}

/** One agent's page; `root` is the relative path back to the site root. */
export function agentPage(agent: PublishedAgent, root: string): string {
  const versions =
    agent.previous.length === 0
      ? ''
      : h`<nav class="versions"><h2>Earlier versions</h2><ul>${join(
          agent.previous.map(
            (previous) =>
              h`<li data-revision="${String(previous.revision)}"><a href="${root}${previous.paths.html}">Revision ${previous.revision}</a> — published ${day(previous.publishedAt)}, ${previous.score.toFixed(1)} <span class="band band-${previous.severity}">${previous.severity}</span>${previous.corrected ? ' (a vendor correction)' : ''}: ${changeWords(previous.changes)}</li>`,
          ),
        )}</ul>${agent.changes.length > 0 ? h`<p class="muted">This revision ${changeWords(agent.changes)}.</p>` : ''}</nav>`;
  const notice =
    agent.status === 'superseded' ? h`<p class="notice">This is an earlier revision; <a href="${root}agents/${agent.id}/index.html">see the current report</a>.</p>` : '';
  const formats = h`<p class="muted">Also as <a href="${root}${agent.paths.json}">JSON</a>, <a href="${root}${agent.paths.markdown}">Markdown</a> and <a href="${root}${agent.paths.otm}">Open Threat Model</a> (for threat-modelling tools).</p>`;
  return page(`${agent.title} — agentic threat model`, root, h`${notice}${reportArticle(agent, { methodology: `${root}methodology.html` })}${formats}${versions}`);
}

/** The index: every current report with category, score, band and date, and a CSS-only band filter. */
export function indexPage(index: PublishedIndex): string {
  const present = SEVERITIES.filter((severity) => index.agents.some((agent) => agent.severity === severity)).reverse();
  const radios = [h`<input type="radio" name="band" id="band-all" class="band-radio" checked>`].concat(
    present.map((severity) => h`<input type="radio" name="band" id="band-${severity}" class="band-radio">`),
  );
  const labels = [h`<label for="band-all">All (${index.agents.length})</label>`].concat(
    present.map((severity) => h`<label for="band-${severity}">${severity} (${index.agents.filter((a) => a.severity === severity).length})</label>`),
  );
  const rows = index.agents.map(
    (agent) => h`<tr class="band-row-${agent.severity}"><td><a href="${agent.paths.html}">${agent.title}</a>${agent.insufficientEvidence ? h` <span class="tag-insufficient" title="the listing pins too few factors">insufficient evidence</span>` : ''}</td><td data-label="Category">${agent.category ?? '—'}</td><td class="num" data-label="Score">${agent.score.toFixed(1)} <span class="muted">(${agent.range.low.toFixed(1)}–${agent.range.high.toFixed(1)})</span></td><td data-label="Band"><span class="band band-${agent.severity}">${agent.severity}</span></td><td data-label="OWASP ASI">${join(agent.asi.map((id) => h`<a class="chip chip-asi" href="methodology.html#${id}">${id}</a>`))}</td><td class="num" data-label="Published">${day(agent.publishedAt)}</td></tr>`,
  );
  return page(
    'Agent threat models',
    '',
    h`<h1>Agent threat models</h1><p class="muted">${index.agents.length} reviewed reports, highest score first; each score with its plausible range. How they are made: <a href="methodology.html">the methodology</a>. Data: <a href="agents.json">agents.json</a> (<a href="schema/agents.schema.json">schema</a>), <a href="agents.csv">agents.csv</a>.</p>
${join(radios)}<div class="filters" role="group" aria-label="Filter by band">${join(labels)}</div>
<table class="agents"><thead><tr><th>Agent</th><th>Category</th><th>Score</th><th>Band</th><th>OWASP ASI</th><th>Published</th></tr></thead><tbody>${join(rows)}</tbody></table>`,
  );
}
