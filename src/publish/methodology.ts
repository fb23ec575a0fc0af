/**
 * The methodology page (pure): the AIVSS formula and version with a worked example, the factor
 * rubric, how certainty and the score range are decided, the threat catalogue with its OWASP ASI
 * and T taxonomies (anchors `#ASI01`, `#T6`, `#threat-<id>` that reports link to), the cross-layer
 * chains, what assessed the published reports, how reviewers approve, and the disclaimer. The
 * review UI shows the same body at `/methodology`.
 */
import { ASI, ASI_SOURCE_URL, CATALOGUE_THREATS, CHAIN_RULES, MAESTRO_SOURCE_URL, MITIGATION_BY_ID, T_SOURCE_URL, T_TAXONOMY, TAXONOMIES, THREAT_BY_ID } from '../../schemas/catalogue/index.js';
import { LISTING_FACTORS, MAESTRO_LAYERS, type ListingFactorKey } from '../../schemas/factors.js';
import { computeAivss } from '../aivss/index.js';
import { MIN_PINNED_FACTORS, PLAUSIBLE_SPREAD } from '../assess/uncertainty.js';
import { h, join, type HtmlEscapedString } from './html.js';
import { formulaText, page } from './render-html.js';

/** What assessed the published reports, as their provenance records it. */
export interface MethodFacts {
  assessors: Set<string>;
  models: Set<string>;
  prompts: Set<string>;
}

/** Each factor: what it measures and what sits at 0, 0.5 and 1 (the rubric assessors and reviewers use). */
export const FACTOR_RUBRIC: Readonly<Record<ListingFactorKey, { measures: string; anchors: [string, string, string] }>> = {
  autonomyOfAction: { measures: 'how far it acts without a person approving each step', anchors: ['a person triggers and approves every step', 'runs tasks alone; a person approves consequential actions', 'acts in the world (sends, buys, deploys) without approval'] },
  goalDrivenPlanning: { measures: 'how far it sets and revises its own plan', anchors: ['single-shot answers', 'fixed or shallow multi-step tasks', 'sets and revises its own sub-goals over long horizons'] },
  selfModification: { measures: 'whether it changes its own code, prompts, tools or weights', anchors: ['fixed code, prompts and tools', 'adjusts its prompts, skills or configuration from feedback', 'rewrites its code, weights or tool set at run time'] },
  dynamicToolUse: { measures: 'which tools it can choose and call', anchors: ['no tools', 'a fixed, narrow set of tools or read-only APIs', 'chooses among many tools at run time, code, shell or browser included'] },
  persistentMemory: { measures: 'what it keeps between sessions and acts on', anchors: ['stateless between sessions', 'per-user history or a bounded knowledge store', 'long-term memory it writes itself and later acts on'] },
  contextualAwareness: { measures: 'how much of its environment it reads', anchors: ['the prompt alone', 'documents, files or retrieval results it is given', 'senses and reacts to its live environment'] },
  dynamicIdentity: { measures: 'which identities and credentials it acts with', anchors: ['one fixed identity, no credentials', 'delegated user or service credentials', 'creates, switches or manages identities and credentials itself'] },
  multiAgentInteractions: { measures: 'how it works with other agents', anchors: ['a single agent', 'a fixed set of sub-agents or a simple pipeline', 'negotiates or delegates with other, possibly third-party, agents at run time'] },
  nonDeterminism: { measures: 'how far model output decides what happens', anchors: ['deterministic for the same input', 'an LLM writes text only', 'LLM decisions choose actions, tools and plans'] },
  opacityAndReflexivity: { measures: 'how far its decisions can be inspected', anchors: ['open, logged and explained', 'partly documented, some logs or traces', 'closed, no logs, no explanation'] },
};

/** The worked example: a tool-using agent reached over the network, public proofs of concept, no stated controls. */
export const WORKED_EXAMPLE = {
  cvss: 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:L/SC:L/SI:L/SA:N',
  factors: { autonomyOfAction: 0.6, goalDrivenPlanning: 0.5, selfModification: 0, dynamicToolUse: 0.8, persistentMemory: 0.4, contextualAwareness: 0.6, dynamicIdentity: 0.5, multiAgentInteractions: 0.1, nonDeterminism: 0.7, opacityAndReflexivity: 0.5 },
  thm: 'poc',
  mf: 'none',
} as const;

const list = (values: Iterable<string>): string => [...values].sort().join('; ') || '—';

function workedExample(): HtmlEscapedString {
  const score = computeAivss({ formula: 'v0.8', cvss: WORKED_EXAMPLE.cvss, factors: { ...WORKED_EXAMPLE.factors }, thm: WORKED_EXAMPLE.thm, mf: WORKED_EXAMPLE.mf });
  return h`<p>Worked example: a tool-using agent reached over the network, with public proofs of concept for its class and no stated controls.</p>
<table class="worked"><tbody>
<tr><th>CVSS v4.0 base vector</th><td><code>${WORKED_EXAMPLE.cvss}</code></td><td class="num">C = ${score.cvssBase.toFixed(1)}</td></tr>
<tr><th>Factors</th><td>${Object.entries(WORKED_EXAMPLE.factors).map(([key, value]) => `${LISTING_FACTORS[key as ListingFactorKey]} ${value.toFixed(2)}`).join(', ')}</td><td class="num">ΣF = ${String(score.factorSum)}</td></tr>
<tr><th>AARS</th><td>(10 − ${score.cvssBase.toFixed(1)}) × (${String(score.factorSum)} / 10) × ${String(score.thm)} (poc)</td><td class="num">${String(score.aars)}</td></tr>
<tr><th>AIVSS</th><td>roundHalfUp((${score.cvssBase.toFixed(1)} + ${String(score.aars)}) × ${String(score.mf)} (no mitigation), 1)</td><td class="num" data-worked-score>${score.score.toFixed(1)} ${score.severity}</td></tr>
</tbody></table>`;
}

/** The methodology as a fragment (the site wraps it in its page; the review UI in its layout). */
export function methodologyBody(facts: MethodFacts | null): HtmlEscapedString {
  const factorRows = (Object.keys(FACTOR_RUBRIC) as ListingFactorKey[]).map((key) => {
    const { measures, anchors } = FACTOR_RUBRIC[key];
    return h`<tr id="factor-${key}"><th>${LISTING_FACTORS[key]}</th><td>${measures}</td><td>${anchors[0]}</td><td>${anchors[1]}</td><td>${anchors[2]}</td></tr>`;
  });
  const certainty = (Object.keys(PLAUSIBLE_SPREAD) as (keyof typeof PLAUSIBLE_SPREAD)[]).map(
    (key) =>
      h`<tr><th>${key}</th><td>${
        { field: 'a labelled field of the listing states it (“Tools: None”, “Memory: 30 days”)', stated: 'a sentence of the listing states it, not hedged', inferred: 'only the kind of product, or a hedged statement (“can be configured to”), puts it there', unknown: 'nothing in the listing bears on it' }[key]
      }</td><td class="num">± ${PLAUSIBLE_SPREAD[key].toFixed(2)}</td></tr>`,
  );
  const asi = ASI.map((entry) => h`<tr id="${entry.id}"><th>${entry.id}</th><td>${entry.name}</td><td>${entry.description}</td></tr>`);
  const t = T_TAXONOMY.map((entry) => h`<tr id="${entry.id}"><th>${entry.id}</th><td>${entry.name}</td><td>${entry.description}</td></tr>`);
  const threats = CATALOGUE_THREATS.map(
    (threat) =>
      h`<tr id="threat-${threat.id}"><td><strong>${threat.name}</strong><br><code>${threat.id}</code></td><td>${threat.layers.map((layer) => `L${layer}`).join(', ')}</td><td>${join(
        [...threat.asi, ...threat.t].map((id) => h`<a class="chip chip-${id.startsWith('ASI') ? 'asi' : 't'}" href="#${id}">${id}</a>`),
      )}</td><td>${threat.description}</td><td>${threat.mitigations.map((id) => MITIGATION_BY_ID.get(id)?.text ?? id).join(' ')}</td></tr>`,
  );
  const chains = CHAIN_RULES.map((rule) => {
    const name = (id: string): string => THREAT_BY_ID.get(id)?.name ?? id;
    return h`<li><a href="#threat-${rule.from}">${name(rule.from)}</a> → <a href="#threat-${rule.to}">${name(rule.to)}</a>: ${rule.how}</li>`;
  });
  const layers = (Object.entries(MAESTRO_LAYERS) as [string, string][]).map(([n, name]) => h`<li>L${n} ${name}</li>`);
  return h`<article class="methodology">
<h1>Scoring methodology</h1>
<p>Every report on this site is a draft threat model of one AI agent, written from its public listing alone and approved by human reviewers before publication. This page says how the score is computed, how sure it is, which public taxonomies its threats follow, and what it is not.</p>
<h2 id="aivss">The AIVSS score</h2>
<p>The score follows the OWASP AI Vulnerability Scoring System (AIVSS) <strong>${TAXONOMIES.aivss}</strong>, the official release: ${formulaText('v0.8')}. C is the CVSS v4.0 base score of the most plausible exploit path for the agent; ΣF the sum of the ten agentic factors, each from 0 to 1 on a step of 0.05; ThM the threat multiplier from exploit maturity (attacked 1.00, proof of concept 0.97, unreported 0.50); MF the mitigation factor from the controls the listing states (none 1.00, partial 0.83, strong 0.67). Arithmetic is exact and rounds half up; bands: None 0.0, Low 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.</p>
${workedExample()}
<h2 id="factors">The ten agentic factors</h2>
<table class="rubric"><thead><tr><th>Factor</th><th>Measures</th><th>0</th><th>0.5</th><th>1</th></tr></thead><tbody>${join(factorRows)}</tbody></table>
<h2 id="certainty">How certainty is decided</h2>
<p>Every factor value is an estimate. Each carries how firmly the listing pins it, and that decides how far it may plausibly be off:</p>
<table class="certainty-table"><thead><tr><th>Certainty</th><th>When</th><th>Plausible range</th></tr></thead><tbody>${join(certainty)}</tbody></table>
<p>The score is shown as a point and a range, such as 6.8 (5.9–7.6): the range is the AIVSS score recomputed with every factor at its plausible low and then at its plausible high, the CVSS vector, maturity and mitigation unchanged. A listing that pins fewer than ${MIN_PINNED_FACTORS} of the ten factors by a field or a stated sentence is drafted with <strong>insufficient evidence</strong>: its summary says so and its page carries a banner, because most of its score rests on what such products usually do rather than on what the listing says. A MAESTRO layer is “certain” only when a statement of the listing (quoted as evidence, and found in the listing by an automatic check) pins it; otherwise its paragraph starts “Not certain from the listing”.</p>
<h2 id="catalogue">Threats and the OWASP taxonomies</h2>
<p>Threats come from threatdraft’s versioned threat catalogue (<strong>${TAXONOMIES.catalogue}</strong>). Each threat sits on one or more layers of <a href="${MAESTRO_SOURCE_URL}" rel="noopener noreferrer">${TAXONOMIES.maestro}</a> and maps to the <a href="${ASI_SOURCE_URL}" rel="noopener noreferrer">${TAXONOMIES.asi}</a> (ASI01–ASI10) and to the <a href="${T_SOURCE_URL}" rel="noopener noreferrer">${TAXONOMIES.t}</a> (T1–T17), with mitigations. Every report names the versions it used, so a later ASI list or layer set is a new version, never an edit of an earlier report. Descriptions here are short summaries in our words; the OWASP documents are the reference.</p>
<p>MAESTRO layers: </p><ol class="maestro">${join(layers)}</ol>
<h3>OWASP Top 10 for Agentic Applications (2026)</h3>
<table class="taxonomy asi"><tbody>${join(asi)}</tbody></table>
<h3>OWASP Agentic AI Threats and Mitigations (T1–T17)</h3>
<table class="taxonomy t"><tbody>${join(t)}</tbody></table>
<h3>The catalogue</h3>
<table class="catalogue"><thead><tr><th>Threat</th><th>Layers</th><th>ASI / T</th><th>What it is</th><th>Mitigations</th></tr></thead><tbody>${join(threats)}</tbody></table>
<h3 id="chains">Cross-layer chains</h3>
<p>As in MAESTRO’s cross-layer analysis, a report lists a chain where it names both ends on different layers:</p><ul>${join(chains)}</ul>
<h2 id="assessors">What drafted these reports</h2>
${
  facts === null
    ? h`<p>Each draft records its assessor, model and prompt in its provenance.</p>`
    : h`<p>Assessors: ${list(facts.assessors)}. Models: ${list(facts.models)}. Prompts: ${list(facts.prompts)}.</p>`
}
<p>The <strong>rules</strong> assessor is deterministic and offline: it reads the listing’s fields and sentences (negation and hedges scoped to their clause), places the product’s kind, and moves each factor from the kind’s prior by the capabilities stated, with weights fitted on labelled listings and checked by cross-validation. The <strong>model</strong> assessor asks an OpenAI-compatible model for the same structure, with the catalogue ids as the only threat names it may use (plus a short free-text “other” a reviewer maps). Every evidence quote of either is checked against the listing; layers without a grounded quote are marked not certain, and instruction-like text in a listing is treated as data and flagged.</p>
<h2 id="review">How reviewers approve</h2>
<p>No report is published until a named reviewer approves it; High and Critical reports can require two distinct reviewers. Reviewers edit values, texts, threats and certainty, and the score is recomputed by the same module; text written for other values is regenerated or confirmed before publication. Every action is recorded in an audit log. Vendors can ask for factual corrections from any report page; a reviewer accepts one as a new revision, marked “Corrected on” its date, or declines it with a reply.</p>
<h2 id="disclaimer">Disclaimer</h2>
<p>These scores are drafted from public information (the agent’s own listing, docs and repository) using the canonical OWASP AIVSS formula and the MAESTRO framework — an estimate for guidance, not a penetration test, audit, or certification.</p>
</article>`;
}

/** `methodology.html` of the published site. */
export function methodologyPage(facts: MethodFacts): string {
  return page('Scoring methodology', '', methodologyBody(facts));
}
