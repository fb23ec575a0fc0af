/** Pages of the review UI. Every listing and model string is interpolated through `h` (escaped). */
import type { Draft } from '../../schemas/draft.js';
import { DRAFT_STATUSES } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber } from '../../schemas/factors.js';
import { SEVERITIES } from '../../schemas/score.js';
import { textAt } from '../assess/text-paths.js';
import { formatScore, pinnedFactors } from '../assess/uncertainty.js';
import { h, join, safeHttpUrl, type HtmlEscapedString } from '../publish/html.js';
import { toPublishedAgent } from '../publish/model.js';
import { FAVICON, reportArticle } from '../publish/render-html.js';
import type { AuditEntry } from '../store/store.js';
import { highlightEvidence } from './highlight.js';
import { bulkRefusal, type QueueCounts, type QueueItem, type QueueQuery } from './queue.js';
import { peakSeverity, type DraftView } from './service.js';

/** Report links inside the review UI: taxonomy chips open the review server's methodology page. */
export const REVIEW_LINKS = { methodology: '/methodology' } as const;

/** Who is looking, for the navigation bar and the forms. */
export interface Viewer {
  reviewer: string;
  csrf: string;
  /** The BullMQ dashboard is mounted at /admin/queues (the navigation links to it). */
  queues?: boolean | undefined;
}

export function layout(title: string, viewer: Viewer | null, body: HtmlEscapedString, scripts: readonly string[] = []): string {
  return `<!doctype html>\n${h`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">${viewer === null ? '' : h`<meta name="csrf-token" content="${viewer.csrf}">`}
<title>${title} · threatdraft review</title><link rel="icon" href="${FAVICON}"><link rel="stylesheet" href="/static/report.css"><link rel="stylesheet" href="/static/app.css">
${join(scripts.map((src) => h`<script src="${src}" defer></script>`))}</head><body>
<a class="skip" href="#main">Skip to the content</a>
<header class="top"><nav aria-label="Review"><a href="/">Queue</a><a href="/publish">Publish</a><a href="/corrections">Corrections</a><a href="/audit">Audit log</a><a href="/methodology">Methodology</a>${
    viewer?.queues === true ? h`<a href="/admin/queues">Job queues</a>` : ''
  }</nav>${
    viewer === null
      ? ''
      : h`<span class="who">Signed in as <strong>${viewer.reviewer}</strong></span><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form>`
  }</header><main class="wide" id="main">${body}</main></body></html>`.toString()}\n`;
}

/** The sign-in page; `csrf` is the pre-session token also set as a cookie. */
export function loginPage(csrf: string, error: string | null): string {
  return layout(
    'Sign in',
    null,
    h`<h1>Sign in</h1>${error === null ? '' : h`<p class="alert" role="alert">${error}</p>`}
<form method="post" action="/login"><input type="hidden" name="_csrf" value="${csrf}">
<label>Personal token <input type="password" name="token" autocomplete="off" required></label> <button type="submit">Sign in</button></form>
<p class="muted">Tokens come from <code>threatdraft reviewers add NAME</code>.</p>`,
  );
}

export function option(value: string, current: string | undefined, label = value): HtmlEscapedString {
  return h`<option value="${value}"${value === (current ?? '') ? h` selected` : ''}>${label}</option>`;
}

/** The queue: filters, counts, bulk approval of Low drafts, and one row per draft. */
export function queuePage(viewer: Viewer, query: QueueQuery, result: { items: QueueItem[]; counts: QueueCounts; sources: string[] }, notice: Notice | null = null): string {
  const { counts } = result;
  const eligible = result.items.filter((item) => bulkRefusal(item) === null);
  const rows = result.items.map((item) => {
    const refusal = bulkRefusal(item);
    const label = `Select ${item.title} for bulk approval`;
    return h`<tr data-id="${item.id}"${item.insufficientEvidence ? h` data-insufficient` : ''}>
<td class="pick">${refusal === null ? h`<input type="checkbox" name="draft" value="${item.id}@${String(item.version)}" form="bulk-form" aria-label="${label}">` : ''}</td>
<td class="agent"><a href="/drafts/${item.id}">${item.title}</a>${item.insufficientEvidence ? h` <span class="tag-insufficient">insufficient evidence</span>` : ''}${
      item.changedSincePublished ? h` <span class="changed">changed since published</span>` : ''
    }<br><span class="muted id">${item.id}</span></td>
<td data-label="Status">${item.status}</td><td class="num" data-label="Score">${item.score.toFixed(1)} <span class="muted">(${item.range.low.toFixed(1)}–${item.range.high.toFixed(1)})</span></td><td data-label="Band"><span class="band band-${item.severity}">${item.severity}</span>${
      item.peakSeverity === item.severity ? '' : h` <span class="muted">(was ${item.peakSeverity})</span>`
    }</td>
<td data-label="Source">${item.source}</td><td class="num" data-label="Warnings">${String(item.warnings)}</td><td data-label="Approvals">${item.approvals.join(', ')}</td><td class="num" data-label="Updated">${item.updatedAt.slice(0, 16).replace('T', ' ')}</td></tr>`;
  });
  const noticeBlock = notice === null ? '' : notice.kind === 'ok' ? h`<p class="ok" role="status" id="notice">${notice.message}</p>` : h`<p class="alert" role="alert" id="notice">${notice.message}</p>`;
  return layout(
    'Queue',
    viewer,
    h`<h1>Review queue</h1>${noticeBlock}
<p class="counts"><span>${String(counts.total)} drafts</span>${join(
      DRAFT_STATUSES.map((status) => h`<span>${status}: <strong>${String(counts.status[status])}</strong></span>`),
    )}<span>with warnings: <strong>${String(counts.withWarnings)}</strong></span><span>insufficient evidence: <strong>${String(counts.insufficientEvidence)}</strong></span><span>changed since published: <strong>${String(counts.changedSincePublished)}</strong></span></p>
<form method="get" action="/" class="filters-form" aria-label="Filter the queue">
<label>Status <select name="status">${option('', query.status, 'any')}${join(DRAFT_STATUSES.map((s) => option(s, query.status)))}</select></label>
<label>Severity <select name="severity">${option('', query.severity, 'any')}${join(SEVERITIES.map((s) => option(s, query.severity, `${s} (${counts.severity[s]})`)))}</select></label>
<label>Source <select name="source">${option('', query.source, 'any')}${join(result.sources.map((s) => option(s, query.source)))}</select></label>
<label>Changed since published <select name="changed">${option('', query.changed, 'any')}${option('yes', query.changed, `yes (${counts.changedSincePublished})`)}${option('no', query.changed)}</select></label>
<label>Warnings <select name="warnings">${option('', query.warnings, 'any')}${option('yes', query.warnings)}${option('no', query.warnings)}</select></label>
<label>Evidence <select name="evidence">${option('', query.evidence, 'any')}${option('insufficient', query.evidence, `insufficient (${counts.insufficientEvidence})`)}${option('sufficient', query.evidence)}</select></label>
<label>Sort <select name="sort">${option('severity', query.sort, 'severity')}${option('date', query.sort, 'date')}</select></label>
<button type="submit">Apply</button></form>
<form method="post" action="/drafts/bulk-approve" id="bulk-form" class="bulk" aria-label="Approve Low drafts in bulk">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<p><strong>Bulk approval</strong> of the ${String(eligible.length)} Low draft${eligible.length === 1 ? '' : 's'} shown that may be approved from here: awaiting review, never above Low at any revision, no warning, no stale text, no pending approval, enough evidence. Tick them in the first column${
      eligible.length > 0 ? h` (<label class="inline"><input type="checkbox" id="select-eligible"> all ${String(eligible.length)}</label>)` : ''
    }.</p>
<label>Comment (optional) <input type="text" name="comment" id="bulk-comment"></label> <button type="submit" id="bulk-approve"${eligible.length === 0 ? h` disabled` : ''}>Approve selected</button></form>
<table class="queue"><caption class="visually-hidden">Drafts, ${query.sort === 'date' ? 'most recently updated' : 'highest score'} first</caption><thead><tr><th><span class="visually-hidden">Select</span></th><th>Agent</th><th>Status</th><th>Score</th><th>Band</th><th>Source</th><th>Warnings</th><th>Approvals</th><th>Updated</th></tr></thead>
<tbody>${join(rows)}</tbody></table>${result.items.length === 0 ? h`<p class="muted">No drafts match.</p>` : ''}`,
    ['/static/review.js'],
  );
}

/** Form values of a draft, keyed as the edit form names its fields. */
export function formValues(draft: Draft): Record<string, string> {
  const values: Record<string, string> = { summary: draft.assessment.summary };
  for (const key of LISTING_FACTOR_KEYS) {
    values[`factors.${key}.value`] = draft.assessment.factors[key].value.toFixed(2);
    values[`factors.${key}.rationale`] = draft.assessment.factors[key].rationale;
  }
  values['cvss.vector'] = draft.assessment.cvss.vector;
  values['cvss.rationale'] = draft.assessment.cvss.rationale;
  values['exploitMaturity.value'] = draft.assessment.exploitMaturity.value;
  values['exploitMaturity.rationale'] = draft.assessment.exploitMaturity.rationale;
  values['mitigation.value'] = draft.assessment.mitigation.value;
  values['mitigation.rationale'] = draft.assessment.mitigation.rationale;
  for (const layer of draft.assessment.layers) {
    values[`layers.${layer.layer}.certain`] = String(layer.certain);
    values[`layers.${layer.layer}.threats`] = layer.threats.map((threat) => threat.id).join(', ');
    values[`layers.${layer.layer}.otherThreats`] = layer.otherThreats.join(', ');
    values[`layers.${layer.layer}.text`] = layer.text;
  }
  return values;
}

/** A message to show at the top of the draft page. */
export interface Notice {
  kind: 'ok' | 'error';
  message: string;
  field?: string | undefined;
}

/** The live score: the draft's score, updated by /static/preview.js as the edit form changes; errors beside it. */
function scorePreview(draft: DraftView['draft']): HtmlEscapedString {
  return h`<span class="preview-score">Score <output id="preview-score" for="edit-form" data-score="${String(draft.score.score)}" aria-live="polite">${draft.score.score.toFixed(1)} ${draft.score.severity}</output></span>
<span id="preview-error" class="preview-error" role="alert"></span>`;
}

/** The edit form; `action` is where it posts (a draft's edit, or a correction's acceptance with `extra` fields). */
export function editForm(
  view: Pick<DraftView, 'draft'>,
  viewer: Viewer,
  values: Readonly<Record<string, string>>,
  options: { action?: string; submit?: string; extra?: HtmlEscapedString; preview?: boolean } = {},
): HtmlEscapedString {
  const { draft } = view;
  const v = (name: string): string => values[name] ?? '';
  const select = (name: string, choices: readonly string[]): HtmlEscapedString =>
    h`<select name="${name}">${join(choices.map((choice) => option(choice, v(name))))}</select>`;
  const factors = LISTING_FACTOR_KEYS.map(
    (key) => h`<tr><th scope="row"><label for="f-${key}">${LISTING_FACTORS[key]}</label></th>
<td><input class="value" id="f-${key}" type="number" min="0" max="1" step="0.05" name="factors.${key}.value" value="${v(`factors.${key}.value`)}"></td>
<td><textarea id="r-${key}" name="factors.${key}.rationale" rows="3" aria-label="${LISTING_FACTORS[key]}: rationale">${v(`factors.${key}.rationale`)}</textarea>${
      draft.assessment.factors[key].evidence.length > 0
        ? h`<div class="muted evidence">Evidence: ${join(draft.assessment.factors[key].evidence.map((quote) => h`<q>${quote}</q> `))}</div>`
        : ''
    }</td></tr>`,
  );
  const layers = draft.assessment.layers.map(
    (layer) => h`<fieldset class="layer-edit"><legend>L${layer.layer} ${MAESTRO_LAYERS[layer.layer as LayerNumber]}</legend>
<div class="row"><label>Certain from the listing ${select(`layers.${layer.layer}.certain`, ['true', 'false'])}</label>
<label class="grow">Threats (<a href="/methodology#catalogue">catalogue</a> ids, comma separated) <input type="text" name="layers.${layer.layer}.threats" value="${v(`layers.${layer.layer}.threats`)}"></label></div>
<label>Other threats (free text the catalogue lacks; map one by naming its catalogue id above) <input type="text" name="layers.${layer.layer}.otherThreats" value="${v(`layers.${layer.layer}.otherThreats`)}"></label>
<label>Text <textarea name="layers.${layer.layer}.text" rows="4">${v(`layers.${layer.layer}.text`)}</textarea></label></fieldset>`,
  );
  return h`<form method="post" action="${options.action ?? `/drafts/${draft.id}/edit`}" id="edit-form" class="editor" data-preview="/api/drafts/${draft.id}/preview">
<input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${values['version'] ?? String(draft.version)}">
${options.preview === false ? '' : h`<p class="preview">${scorePreview(draft)}</p>`}
<label>Summary <textarea name="summary" rows="5">${v('summary')}</textarea></label>
<table class="factors-edit"><caption>Factors: value 0–1 in steps of 0.05, and why</caption><thead><tr><th scope="col">Factor</th><th scope="col">Value</th><th scope="col">Rationale</th></tr></thead><tbody>${join(factors)}</tbody></table>
<fieldset><legend>Exploit path</legend>
<label>CVSS v4.0 vector <input type="text" name="cvss.vector" value="${v('cvss.vector')}"></label>
<label>CVSS rationale <textarea name="cvss.rationale" rows="3">${v('cvss.rationale')}</textarea></label>
<div class="row"><label>Exploit maturity ${select('exploitMaturity.value', ['attacked', 'poc', 'unreported'])}</label>
<label>Mitigation ${select('mitigation.value', ['none', 'partial', 'strong'])}</label></div>
<label>Maturity rationale <textarea name="exploitMaturity.rationale" rows="3">${v('exploitMaturity.rationale')}</textarea></label>
<label>Mitigation rationale <textarea name="mitigation.rationale" rows="3">${v('mitigation.rationale')}</textarea></label></fieldset>
${join(layers)}
${options.extra ?? h`<label>Comment on the edit (optional) <input type="text" name="comment" value="${v('comment')}"></label>`}
<button type="submit" id="save">${options.submit ?? 'Save changes'}</button></form>`;
}

/**
 * The sticky decision bar: the live score, approvals and the two-person rule, one comment for the
 * three decisions (approve, request changes, reject), and next/previous draft in the queue.
 */
function decisionBar(view: DraftView, viewer: Viewer, neighbours: Neighbours): HtmlEscapedString {
  const { draft } = view;
  const open = draft.status === 'draft' || draft.status === 'changes-requested';
  const decidable = open || draft.status === 'approved';
  const action = (name: string, label: string, key: string): HtmlEscapedString =>
    h`<button type="submit" class="decide ${name}" formaction="/drafts/${draft.id}/${name}" data-key="${key}" aria-keyshortcuts="${key}">${label}</button>`;
  return h`<section class="decision-bar" id="decision" aria-label="Decision">
<div class="bar-facts">${scorePreview(draft)}
<span>Approvals <strong id="approvals">${String(view.approvals.length)} of ${String(view.requiredApprovals)}</strong>${view.approvals.length > 0 ? h` (${view.approvals.join(', ')})` : ''}${
    view.requiredApprovals > 1 ? h` — the two-person rule applies to ${peakSeverity(draft)} drafts${loweredNote(draft)}` : ''
  }</span></div>
${twoPersonNote(view)}
${
  decidable
    ? h`<form method="post" action="/drafts/${draft.id}/approve" id="decision-form" class="decision-form">
<input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${String(draft.version)}">
<label for="decision-comment" class="visually-hidden">Comment on your decision</label><input type="text" name="comment" id="decision-comment" placeholder="Comment (required to request changes or reject)">
${open ? action('approve', 'Approve', 'a') : ''}${action('request-changes', 'Request changes', 'c')}${action('reject', 'Reject', 'x')}</form>`
    : h`<p class="muted">This draft is ${draft.status}: nothing to decide.</p>`
}
<nav class="pager" aria-label="Drafts awaiting review">${
    neighbours.previous === null ? h`<span class="muted">First in the queue</span>` : h`<a href="/drafts/${neighbours.previous}" rel="prev" id="prev-draft" aria-keyshortcuts="k">← Previous</a>`
  } ${neighbours.next === null ? h`<span class="muted">Last in the queue</span>` : h`<a href="/drafts/${neighbours.next}" rel="next" id="next-draft" aria-keyshortcuts="j">Next →</a>`} <span class="muted keys">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>a</kbd> approve, <kbd>c</kbd> request changes, <kbd>x</kbd> reject</span></nav>
</section>`;
}

/**
 * Texts written against values that have since changed, or that name another band: each listed
 * with one-click regenerate (from the current values) and confirm (keep as written); publish
 * refuses the draft until none is left.
 */
function staleTextBlock(view: DraftView, viewer: Viewer): HtmlEscapedString {
  const { draft } = view;
  if (draft.staleText.length === 0) return h``;
  const editable = draft.status === 'draft' || draft.status === 'changes-requested';
  const form = (action: 'regenerate' | 'confirm-text', label: string, path: string | null): HtmlEscapedString =>
    h`<form method="post" action="/drafts/${draft.id}/${action}" class="inline ${action}"><input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${String(draft.version)}">${
      path === null ? '' : h`<input type="hidden" name="paths" value="${path}">`
    }<button type="submit">${label}</button></form>`;
  const rows = draft.staleText.map(
    (path) =>
      h`<li><code>${path}</code>${draft.reviewerText.includes(path) ? h` <span class="muted">(written by a reviewer)</span>` : ''} <q>${(textAt(draft.assessment, path) ?? '').slice(0, 160)}</q> ${
        editable ? form('regenerate', 'Regenerate', path) : ''
      }${form('confirm-text', 'Keep as written', path)}</li>`,
  );
  return h`<section class="stale" id="stale-text"><h2>Text that no longer matches the values</h2>
<p>These texts were written for earlier values, or describe another band than this draft's ${draft.score.severity}. Publishing is refused until each is regenerated from the current values or a reviewer keeps it as written.</p>
<ul>${join(rows)}</ul>${editable ? form('regenerate', 'Regenerate all', null) : ''}${form('confirm-text', 'Keep all as written', null)}</section>`;
}

/** Says whether the two-person rule is in force for this decision, and where it comes from. */
function twoPersonNote(view: DraftView): HtmlEscapedString {
  const { twoPerson, draft } = view;
  if (!twoPerson.inForce) {
    return view.requiredApprovals > 1
      ? h`<p class="two-person" id="two-person">Two-person rule: off now, but this draft holds an approval given under it, so a second, distinct reviewer must approve.</p>`
      : h`<p class="two-person muted" id="two-person">Two-person rule: off.</p>`;
  }
  const policy = twoPerson.policy?.twoPerson === true ? twoPerson.policy : null;
  const why = join(
    [
      ...(policy === null ? [] : [h`the store's policy (set by ${policy.setBy} at ${policy.at})`]),
      ...(twoPerson.flag ? [h`this server's <code>--two-person</code>`] : []),
    ].map((part, index) => (index === 0 ? part : h` and ${part}`)),
  );
  const peak = peakSeverity(draft);
  const severe = peak === 'High' || peak === 'Critical';
  return h`<p class="two-person" id="two-person"><strong>Two-person rule in force</strong> (${why}): drafts that were High or Critical at any revision need two distinct approvers${
    severe ? loweredNote(draft) : h`; this ${draft.score.severity} draft needs one`
  }.</p>`;
}

/** Explains why a draft scored lower now still needs what its peak severity needs. */
function loweredNote(draft: DraftView['draft']): HtmlEscapedString | string {
  const peak = peakSeverity(draft);
  return peak === draft.score.severity ? '' : h` (this draft was ${peak} before an edit lowered it to ${draft.score.severity})`;
}

/** A value of an audit entry's detail in words: lists joined, nested objects as compact JSON. */
function detailValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The audit trail as a readable timeline: when, who, what, on what, and each detail as a term and value. */
function auditTimeline(entries: readonly AuditEntry[], options: { subjects?: boolean } = {}): HtmlEscapedString {
  if (entries.length === 0) return h`<p class="muted">No entries yet.</p>`;
  return h`<ol class="timeline">${join(
    entries.map(
      (entry) =>
        h`<li data-action="${entry.action}"><div class="when"><time datetime="${entry.at}">${entry.at.slice(0, 10)} ${entry.at.slice(11, 19)}</time></div><div class="what"><strong>${entry.actor}</strong> <span class="action">${entry.action}</span>${
          options.subjects === false ? '' : h` <span class="subject">${entry.subject}</span>`
        }${
          entry.detail === undefined || Object.keys(entry.detail).length === 0
            ? ''
            : h`<dl class="detail">${join(Object.entries(entry.detail).map(([key, value]) => h`<div><dt>${key}</dt><dd>${detailValue(value)}</dd></div>`))}</dl>`
        }</div></li>`,
    ),
  )}</ol>`;
}

/** Where next/previous lead from a draft, in the queue of drafts awaiting review. */
export interface Neighbours {
  previous: string | null;
  next: string | null;
}

/**
 * The draft page, built for reviewing: the sticky decision bar; the report as it will be published
 * beside the listing with its evidence highlighted; then the editor, warnings, changes since
 * published, provenance and the audit trail.
 */
export function draftPage(
  view: DraftView,
  viewer: Viewer,
  notice: Notice | null,
  values: Readonly<Record<string, string>> | null,
  neighbours: Neighbours = { previous: null, next: null },
): string {
  const { draft, listing } = view;
  const quotes = [
    ...LISTING_FACTOR_KEYS.flatMap((key) => draft.assessment.factors[key].evidence),
    ...draft.assessment.layers.flatMap((layer) => layer.evidence),
  ];
  const listingUrl = listing === null ? null : safeHttpUrl(listing.url);
  const listingBlock =
    listing === null
      ? h`<p class="muted">The listing is not in the store.</p>`
      : h`<p class="listing-meta">${listingUrl === null ? h`<span class="url">${listing.url}</span>` : h`<a class="url" href="${listingUrl}" rel="nofollow noopener noreferrer">${listing.url}</a>`} · source ${listing.sourceId} · fetched ${listing.fetchedAt.slice(0, 10)}</p>
<pre class="listing" tabindex="0" role="region" aria-label="Listing text, evidence highlighted">${join(highlightEvidence(listing.text, quotes).map((segment) => (segment.mark ? h`<mark>${segment.text}</mark>` : h`${segment.text}`)))}</pre>`;
  const warnings = draft.checks.warnings.map((warning) => h`<li><strong>${warning.code}</strong>${warning.where === null ? '' : h` (${warning.where})`}: ${warning.message}</li>`);
  const ungrounded = draft.checks.grounding.filter((g) => !g.grounded).map((g) => h`<li>${g.where}: <q>${g.quote}</q></li>`);
  const p = draft.provenance;
  const provenance: Array<[string, string]> = [
    ['Assessor', `${p.assessor} ${p.assessorVersion}`],
    ['Model', p.model ?? '—'],
    ['Prompt', `${p.promptId ?? '—'} ${p.promptHash ?? ''}`],
    ['Listing hash', p.listingContentHash],
    ['Tokens in / out', `${p.tokensIn} / ${p.tokensOut}`],
    ['Cost (USD)', p.costUsd.toFixed(4)],
    ['Cached', p.cached ? 'yes' : 'no'],
    ['Assessed', `${p.startedAt} – ${p.finishedAt}`],
    ['threatdraft', p.threatdraftVersion],
  ];
  const diff =
    view.published === null
      ? h`<p class="muted">No earlier published revision.</p>`
      : view.diff.length === 0
        ? h`<p class="muted">Same as published revision ${String(view.published.revision)}.</p>`
        : h`<p>Against published revision ${String(view.published.revision)}:</p><table class="diff"><thead><tr><th scope="col">Field</th><th scope="col">Published</th><th scope="col">This draft</th></tr></thead><tbody>${join(
            view.diff.map((entry) => h`<tr><td>${entry.label}</td><td><del>${entry.before}</del></td><td><ins>${entry.after}</ins></td></tr>`),
          )}</tbody></table>`;
  const listingDiff = listingChangesBlock(view);
  const noticeBlock =
    notice === null
      ? ''
      : notice.kind === 'ok'
        ? h`<p class="ok" role="status">${notice.message}</p>`
        : h`<p class="alert" role="alert" id="error"${notice.field === undefined ? '' : h` data-field="${notice.field}"`}>${notice.message}</p>`;
  const title = listing?.title ?? draft.listingId;
  return layout(
    title,
    viewer,
    h`<div class="draft-head"><h1>${title}</h1><p class="muted">Draft <span id="draft-id">${draft.id}</span> · status <strong id="status">${draft.status}</strong> · version <span id="version">${String(draft.version)}</span> · updated ${draft.updatedAt.slice(0, 16).replace('T', ' ')}</p></div>
${noticeBlock}
${draft.assessment.insufficientEvidence ? h`<p class="banner insufficient" id="insufficient" role="note">Insufficient evidence: the listing pins only ${String(pinnedFactors(draft.assessment))} of the ten factors; the score ${formatScore(draft.score)} rests mostly on what such products usually do.</p>` : ''}
${draft.correction === undefined ? '' : h`<p class="banner corrected" id="correction-note">This revision applies vendor correction <a href="/corrections/${draft.correction.id}">${draft.correction.id}</a>, accepted by ${draft.correction.acceptedBy} on ${draft.correction.acceptedAt.slice(0, 10)}.</p>`}
${staleTextBlock(view, viewer)}
${decisionBar(view, viewer, neighbours)}
<div class="review-grid">
<section class="report-pane" aria-labelledby="report-heading"><h2 id="report-heading">The report as it will be published</h2>${reportArticle(toPublishedAgent(draft, listing), REVIEW_LINKS)}</section>
<section class="listing-pane" aria-labelledby="listing-heading"><h2 id="listing-heading">The listing</h2>${listingBlock}</section>
</div>
<section class="edit-pane" aria-labelledby="edit-heading"><h2 id="edit-heading">Edit</h2>${editForm(view, viewer, values ?? formValues(draft), { preview: false })}</section>
<div class="facts-grid">
<section aria-labelledby="warnings-heading"><h2 id="warnings-heading">Warnings</h2>${warnings.length === 0 ? h`<p class="muted">None.</p>` : h`<ul class="warnings">${join(warnings)}</ul>`}
${ungrounded.length === 0 ? '' : h`<h3>Ungrounded evidence</h3><ul>${join(ungrounded)}</ul>`}</section>
<section aria-labelledby="provenance-heading"><h2 id="provenance-heading">Provenance</h2><table class="provenance"><tbody>${join(provenance.map(([k, val]) => h`<tr><th scope="row">${k}</th><td>${val}</td></tr>`))}</tbody></table></section>
</div>
<section aria-labelledby="changes-heading"><h2 id="changes-heading">Changes since published</h2><div class="grid"><section id="listing-changes" aria-labelledby="listing-changes-heading"><h3 id="listing-changes-heading">The listing</h3>${listingDiff}</section>
<section id="assessment-changes" aria-labelledby="assessment-changes-heading"><h3 id="assessment-changes-heading">The assessment</h3>${diff}</section></div></section>
<section aria-labelledby="audit-heading"><h2 id="audit-heading">Audit trail</h2>${auditTimeline(view.audit, { subjects: false })}</section>`,
    ['/static/preview.js', '/static/review.js'],
  );
}

/** What changed in the listing since the published revision was made from it, field by field. */
function listingChangesBlock(view: DraftView): HtmlEscapedString {
  const flags = view.listingFlags.includes('possible-rug-pull')
    ? h`<p class="alert" role="alert">Possible rug pull: this MCP server changed its packages, remotes or tools while its version stayed the same.</p>`
    : h``;
  if (view.published === null) return h`${flags}<p class="muted">No earlier revision to compare with.</p>`;
  if (!view.listingVersionsKept) return h`${flags}<p class="muted">The listing changed, but the version the published revision was made from is no longer kept.</p>`;
  if (view.listingChanges === null || view.listingChanges.length === 0) return h`${flags}<p class="muted">Same listing content as revision ${String(view.published.revision)}.</p>`;
  return h`${flags}<p>Against the listing of revision ${String(view.published.revision)}:</p><table class="diff"><thead><tr><th>Field</th><th>Change</th><th>Then</th><th>Now</th></tr></thead><tbody>${join(
    view.listingChanges.map(
      (change) => h`<tr><td>${change.path}</td><td>${change.change}</td><td>${change.before === null ? '' : h`<del>${change.before}</del>`}</td><td>${change.after === null ? '' : h`<ins>${change.after}</ins>`}</td></tr>`,
    ),
  )}</tbody></table>`;
}

/** The audit log page, newest first. */
export function auditPage(viewer: Viewer, entries: readonly AuditEntry[]): string {
  return layout('Audit log', viewer, h`<h1>Audit log</h1><p class="muted">Newest first.</p>${auditTimeline([...entries].reverse())}`);
}

/** A plain error page. */
export function errorPage(viewer: Viewer | null, status: number, message: string): string {
  return layout(`Error ${status}`, viewer, h`<h1>Error ${String(status)}</h1><p class="alert" role="alert">${message}</p><p><a href="/">Back to the queue</a></p>`);
}
