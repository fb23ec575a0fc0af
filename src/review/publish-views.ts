/** The publish page: what publishing now would change on the site, and the button that does it. */
import { h, join } from '../publish/html.js';
import type { PublishPlan } from '../publish/plan.js';
import { layout, type Notice, type Viewer } from './views.js';

const band = (severity: string): ReturnType<typeof h> => h`<span class="band band-${severity}">${severity}</span>`;

/** The preview of a publication (new and updated agent pages, refusals) and the publish form. */
export function publishPage(viewer: Viewer, plan: PublishPlan, siteDir: string | null, notice: Notice | null): string {
  const rows = plan.changes.map(
    (change) => h`<tr data-listing="${change.listingId}"><td>${change.title}<br><span class="muted">${change.after.id}</span></td><td>${change.kind === 'new' ? 'new page' : 'update'}${change.corrected ? ' (vendor correction)' : ''}</td>
<td>${change.before === null ? h`<span class="muted">—</span>` : h`${change.before.score.toFixed(1)} ${band(change.before.severity)} <span class="muted">r${String(change.before.revision)}</span>`}</td>
<td>${change.after.score.toFixed(1)} ${band(change.after.severity)} <span class="muted">r${String(change.after.revision)}</span></td>
<td>${change.kind === 'new' ? h`<span class="muted">first version</span>` : change.changes.length === 0 ? h`<span class="muted">no field changed</span>` : change.changes.join(', ')}</td></tr>`,
  );
  const refused = plan.refused.map(
    (item) => h`<li data-refused="${item.id}"><a href="/drafts/${item.id}#stale-text">${item.title}</a> (${item.id}): stale text at ${item.staleText.join(', ')}</li>`,
  );
  const noticeBlock = notice === null ? '' : notice.kind === 'ok' ? h`<p class="ok" role="status" id="notice">${notice.message}</p>` : h`<p class="alert" role="alert" id="notice">${notice.message}</p>`;
  return layout(
    'Publish',
    viewer,
    h`<h1>Publish</h1>${noticeBlock}
<p>Publishing writes every approved draft to the static site: its agent page, JSON, Markdown and Open Threat Model, the index and the CSV. The site has <strong id="agents-now">${String(plan.agentsNow)}</strong> agent${plan.agentsNow === 1 ? '' : 's'} now and will have <strong id="agents-after">${String(plan.agentsAfter)}</strong>.</p>
<h2>What will change on the site</h2>
${
  rows.length === 0
    ? h`<p class="muted" id="no-changes">Nothing approved waits for publication.</p>`
    : h`<table class="plan" id="plan"><thead><tr><th scope="col">Agent</th><th scope="col">Change</th><th scope="col">Published now</th><th scope="col">After</th><th scope="col">What changed</th></tr></thead><tbody>${join(rows)}</tbody></table>`
}
${refused.length === 0 ? '' : h`<h2>Held back</h2><p>Approved, but text in them no longer matches their values; publish refuses them until the text is regenerated or kept as written.</p><ul class="refused">${join(refused)}</ul>`}
${
  siteDir === null
    ? h`<p class="muted">This server has no site folder: start it with <code>threatdraft review --site DIR</code> to publish from here, or run <code>threatdraft publish --out DIR</code>.</p>`
    : h`<form method="post" action="/publish" id="publish-form"><input type="hidden" name="_csrf" value="${viewer.csrf}"><p>Site folder: <code>${siteDir}</code> (replaced as a whole).</p><button type="submit" id="publish"${rows.length === 0 ? h` disabled` : ''}>Publish ${String(rows.length)} change${rows.length === 1 ? '' : 's'}</button></form>`
}`,
  );
}
