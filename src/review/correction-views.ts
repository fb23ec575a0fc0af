/**
 * Pages of vendor corrections: the public form and status page (no sign-in, no navigation), and the
 * reviewers' corrections queue and correction page. Every vendor string goes through `h` (escaped).
 */
import { CORRECTION_LIMITS, CORRECTION_STATUSES, type Correction, type CorrectionStatus } from '../../schemas/correction.js';
import { h, join, type HtmlEscapedString } from '../publish/html.js';
import { methodologyBody } from '../publish/methodology.js';
import { FAVICON } from '../publish/render-html.js';
import type { CorrectionView } from './corrections.js';
import { editForm, formValues, layout, option, type Notice, type Viewer } from './views.js';

/** A page for the public: the report stylesheets, no navigation, no scripts. */
function publicPage(title: string, body: HtmlEscapedString): string {
  return `<!doctype html>\n${h`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>${title}</title><link rel="icon" href="${FAVICON}"><link rel="stylesheet" href="/static/report.css"><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="public" id="main">${body}</main></body></html>`.toString()}\n`;
}

/** What the public form shows back after a failed submission. */
export interface CorrectionFormState {
  agent: string;
  title: string;
  csrf: string;
  /** A signed issue time: submissions faster than a person can type are refused. */
  issued: string;
  values: { name: string; email: string; message: string };
  error: { message: string; field?: string | undefined } | null;
}

/** The public correction form for one published report. */
export function correctionFormPage(state: CorrectionFormState): string {
  const { values } = state;
  return publicPage(
    `Request a correction: ${state.title}`,
    h`<h1>Request a correction</h1>
<p>Are you the vendor of <strong>${state.title}</strong>? Tell us what the published threat model gets wrong about your agent. Factual corrections are free; a reviewer reads every request and replies.</p>
${state.error === null ? '' : h`<p class="alert" role="alert" id="error"${state.error.field === undefined ? '' : h` data-field="${state.error.field}"`}>${state.error.message}</p>`}
<form method="post" action="/corrections" id="correction-form">
<input type="hidden" name="_csrf" value="${state.csrf}"><input type="hidden" name="issued" value="${state.issued}"><input type="hidden" name="agent" value="${state.agent}">
<label>Your name and organisation <input type="text" name="name" maxlength="${String(CORRECTION_LIMITS.name)}" required value="${values.name}"></label>
<label>Email for our reply (optional, never published) <input type="email" name="email" maxlength="${String(CORRECTION_LIMITS.email)}" value="${values.email}"></label>
<label>What is wrong, and what is right (cite your documentation) <textarea name="message" minlength="${String(CORRECTION_LIMITS.minMessage)}" maxlength="${String(CORRECTION_LIMITS.message)}" required>${values.message}</textarea></label>
<div class="hp" aria-hidden="true"><label>Leave this field empty <input type="text" name="website" tabindex="-1" autocomplete="off"></label></div>
<button type="submit">Send the request</button></form>`,
  );
}

/** The submitter's private status page (they reach it with the key they were given). */
export function correctionStatusPage(correction: Correction, title: string, justFiled: boolean): string {
  const decision = correction.decision;
  return publicPage(
    `Correction ${correction.id}`,
    h`<h1>Your correction request</h1>
${justFiled ? h`<p class="ok" role="status">Received. Keep this page’s address to follow your request; it is the only way to see the reply.</p>` : ''}
<p>Report: <strong>${title}</strong> · reference <code id="correction-id">${correction.id}</code> · sent ${correction.createdAt.slice(0, 10)}</p>
<p>Status: <strong id="correction-status">${correction.status}</strong>${decision === null ? '' : h` (${decision.at.slice(0, 10)})`}</p>
${decision?.reply ? h`<p>Reply from the reviewers:</p><blockquote id="correction-reply">${decision.reply}</blockquote>` : ''}
${correction.status === 'accepted' ? h`<p>The corrected report is published after review, marked “Corrected on” the date of acceptance.</p>` : ''}`,
  );
}

/** A plain public error page (unknown agent, expired form, rate limit). */
export function publicErrorPage(status: number, message: string): string {
  return publicPage(`Error ${status}`, h`<h1>Error ${String(status)}</h1><p class="alert" role="alert">${message}</p>`);
}

/** The reviewers' corrections queue. */
export function correctionsQueuePage(viewer: Viewer, status: CorrectionStatus | undefined, items: readonly Correction[], titles: ReadonlyMap<string, string>, counts: Record<CorrectionStatus, number>): string {
  const rows = items.map(
    (item) => h`<tr data-correction="${item.id}"><td><a href="/corrections/${item.id}">${item.id}</a></td><td>${titles.get(item.listingId) ?? item.listingId}<br><span class="muted">${item.draftId}</span></td>
<td>${item.status}</td><td>${item.name}</td><td>${item.message.slice(0, 140)}${item.message.length > 140 ? '…' : ''}</td><td class="num">${item.createdAt.slice(0, 16).replace('T', ' ')}</td></tr>`,
  );
  return layout(
    'Corrections',
    viewer,
    h`<h1>Vendor corrections</h1>
<p class="counts">${join(CORRECTION_STATUSES.map((s) => h`<span>${s}: <strong>${String(counts[s])}</strong></span>`))}</p>
<form method="get" action="/corrections" class="filters-form"><label>Status <select name="status">${option('', status, 'any')}${join(CORRECTION_STATUSES.map((s) => option(s, status)))}</select></label><button type="submit">Apply</button></form>
<table class="queue corrections"><thead><tr><th>Request</th><th>Report</th><th>Status</th><th>From</th><th>Message</th><th>Received</th></tr></thead><tbody>${join(rows)}</tbody></table>
${items.length === 0 ? h`<p class="muted">No corrections match.</p>` : ''}`,
  );
}

/** One correction: the request, the report it concerns, and the accept (with the change) and decline forms. */
export function correctionPage(view: CorrectionView, viewer: Viewer, title: string, notice: Notice | null, values: Readonly<Record<string, string>> | null): string {
  const { correction, current, seen, result } = view;
  const open = correction.status === 'open';
  const decision = correction.decision;
  const reply = values?.['reply'] ?? '';
  const acceptExtra = h`<input type="hidden" name="correctionVersion" value="${String(correction.version)}">
<label>Reply to the vendor (optional) <textarea name="reply">${reply}</textarea></label>`;
  const decide =
    !open || current === null
      ? ''
      : h`<section class="accept"><h2>Accept: a new revision with the change</h2>
<p class="muted">Change what the vendor shows to be wrong; the score is recomputed and texts follow the values as in any edit. The new revision of ${current.id} then needs approval and publication, and its page will say “Corrected on” today’s date.</p>
${editForm({ draft: current }, viewer, values ?? formValues(current), { action: `/corrections/${correction.id}/accept`, submit: 'Accept and create the corrected revision', extra: acceptExtra })}</section>
<section class="decline"><h2>Decline</h2><form method="post" action="/corrections/${correction.id}/decline" id="decline-form"><input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${String(correction.version)}">
<label>Reply to the vendor (required) <textarea name="reply" required></textarea></label><button type="submit">Decline with this reply</button></form></section>`;
  return layout(
    `Correction ${correction.id}`,
    viewer,
    h`<h1>Correction <span id="correction-id">${correction.id}</span></h1>
${notice === null ? '' : notice.kind === 'ok' ? h`<p class="ok" role="status">${notice.message}</p>` : h`<p class="alert" role="alert" id="error">${notice.message}</p>`}
<p>Report <strong>${title}</strong> · the vendor saw ${seen === null ? correction.draftId : h`<a href="/drafts/${seen.id}">${seen.id}</a>`}${
      current !== null && current.id !== correction.draftId ? h` · newest revision <a href="/drafts/${current.id}">${current.id}</a> (${current.status})` : ''
    } · status <strong id="correction-status">${correction.status}</strong></p>
<p>From <strong>${correction.name}</strong>${correction.email === null ? '' : h` &lt;${correction.email}&gt;`}, ${correction.createdAt}:</p>
<blockquote class="vendor-message" id="vendor-message">${correction.message}</blockquote>
${
  decision === null
    ? ''
    : h`<p>Decided by ${decision.by} at ${decision.at}${decision.reply === null ? '' : h`; reply: <q>${decision.reply}</q>`}${
        result === null ? '' : h` · corrected revision <a href="/drafts/${result.id}" id="result-draft">${result.id}</a> (${result.status})`
      }</p>`
}
${decide}`,
    ['/static/preview.js'],
  );
}

/** The methodology (taxonomies, catalogue, rubric) inside the review UI: where threat chips link. */
export function methodologyReviewPage(viewer: Viewer | null): string {
  return layout('Methodology', viewer, methodologyBody(null));
}
