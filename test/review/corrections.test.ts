/**
 * Vendor corrections end to end over the review app: the public form (no sign-in; CSRF token,
 * honeypot, minimum fill time, body cap, per-address rate limit, escaping), the corrections queue,
 * accepting as a new revision (audit-logged, "Corrected on DATE" once published) and declining
 * with a reply the vendor sees on their private status page.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'cheerio';
import { beforeEach, describe, expect, it } from 'vitest';
import { createReviewApp } from '../../src/review/app.js';
import { RateLimiter } from '../../src/review/rate-limit.js';
import { publishSite } from '../../src/publish/publish.js';
import { setup, signIn, bearer, type Fixture } from './setup.js';

let fixture: Fixture;
let app: ReturnType<typeof createReviewApp>;
let nowMs: number;

beforeEach(async () => {
  fixture = await setup();
  // acme-ops-agent.r1 is published: only published reports take corrections.
  const draft = (await fixture.store.drafts.get('acme-ops-agent.r1'))!;
  await fixture.store.drafts.save(
    { ...draft, status: 'published', reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: '2025-02-01T00:00:00.000Z' }, { reviewer: 'p', action: 'publish', comment: null, at: '2025-02-02T00:00:00.000Z' }] },
    1,
  );
  nowMs = Date.UTC(2025, 2, 1, 12, 0, 0);
  app = createReviewApp({ service: fixture.service, now: () => nowMs, correctionRateLimit: new RateLimiter({ max: 3, windowMs: 60_000, now: () => nowMs }) });
});

const cookiesFrom = (response: Response): string => response.headers.getSetCookie().map((cookie) => cookie.split(';')[0] ?? '').join('; ');

/** Opens the public form and returns what a browser would send back with it. */
async function openForm(agent = 'acme-ops-agent') {
  const response = await app.request(`/corrections/new?agent=${agent}`);
  const $ = load(await response.text());
  return {
    status: response.status,
    cookie: cookiesFrom(response),
    fields: { _csrf: $('input[name="_csrf"]').attr('value') ?? '', issued: $('input[name="issued"]').attr('value') ?? '', agent: $('input[name="agent"]').attr('value') ?? '' },
    $,
  };
}

async function submit(form: Awaited<ReturnType<typeof openForm>>, values: Record<string, string>, headers: Record<string, string> = {}) {
  return app.request('/corrections', {
    method: 'POST',
    headers: { Cookie: form.cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ ...form.fields, name: 'Acme Corp', email: '', message: 'The agent keeps no memory between sessions; see our docs.', ...values }).toString(),
  });
}

async function fileCorrection(values: Record<string, string> = {}) {
  const form = await openForm();
  nowMs += 5_000;
  const response = await submit(form, values);
  expect(response.status).toBe(303);
  const location = response.headers.get('location') ?? '';
  const [, id = '', key = ''] = /^\/corrections\/status\/(c-[a-f0-9]{24})\?key=([^&]+)&filed=1$/.exec(location) ?? [];
  return { id, key: decodeURIComponent(key), location };
}

describe('the public corrections form', () => {
  it('is offered for published reports only, without sign-in', async () => {
    const form = await openForm();
    expect(form.status).toBe(200);
    expect(form.$('h1').text()).toBe('Request a correction');
    expect(form.$('input[name="website"]').closest('.hp').attr('aria-hidden')).toBe('true');
    expect(form.cookie).toMatch(/^td_correction=/);
    expect((await openForm('calm-notes')).status).toBe(404);
    expect((await openForm('no-such-agent')).status).toBe(404);
    expect((await openForm('..%2Fetc')).status).toBe(404);
  });

  it('files a request tied to the published revision, audit-logs it without its text, and shows the vendor a private status page', async () => {
    const { id, key, location } = await fileCorrection({ email: 'security@acme.example' });
    const stored = (await fixture.store.corrections.get(id))!;
    expect(stored).toMatchObject({ listingId: 'acme-ops-agent', draftId: 'acme-ops-agent.r1', status: 'open', name: 'Acme Corp', email: 'security@acme.example', decision: null });
    expect(JSON.stringify(stored)).not.toContain(key);
    const audit = await fixture.store.audit.list({ subject: `correction:${id}` });
    expect(audit).toEqual([expect.objectContaining({ actor: 'vendor', action: 'correction-submit', detail: { listingId: 'acme-ops-agent', draftId: 'acme-ops-agent.r1', via: 'public-form' } })]);
    expect(JSON.stringify(audit)).not.toContain('memory between sessions');
    expect(JSON.stringify(audit)).not.toContain('security@acme.example');
    const status = load(await (await app.request(location)).text());
    expect([status('#correction-status').text(), status('#correction-id').text()]).toEqual(['open', id]);
    expect((await app.request(`/corrections/status/${id}?key=wrong-key-wrong-key`)).status).toBe(404);
  });

  it('refuses a request without the form’s CSRF token, or with another, and stores nothing', async () => {
    const form = await openForm();
    nowMs += 5_000;
    expect((await submit({ ...form, cookie: '' }, {})).status).toBe(403);
    expect((await submit({ ...form, fields: { ...form.fields, _csrf: 'forged-token-forged-token-forged-token' } }, {})).status).toBe(403);
    expect(await fixture.store.corrections.list()).toEqual([]);
  });

  it('refuses what bots do: a filled hidden field, or a form sent back at once', async () => {
    const form = await openForm();
    nowMs += 5_000;
    expect((await submit(form, { website: 'http://spam.example' })).status).toBe(400);
    const fast = await openForm();
    nowMs += 500;
    const response = await submit(fast, {});
    expect(response.status).toBe(400);
    // The vendor's text is kept in the form, escaped.
    expect(load(await response.text())('textarea[name="message"]').text()).toBe('The agent keeps no memory between sessions; see our docs.');
    expect((await submit({ ...form, fields: { ...form.fields, issued: `${nowMs - 60_000}.forged` } }, {})).status).toBe(400);
    expect(await fixture.store.corrections.list()).toEqual([]);
  });

  it('names a bad field and keeps what was typed', async () => {
    const form = await openForm();
    nowMs += 5_000;
    const response = await submit(form, { message: 'short', email: 'not an email' });
    expect(response.status).toBe(400);
    const $ = load(await response.text());
    expect($('#error').attr('data-field')).toBe('email');
    expect($('input[name="email"]').attr('value')).toBe('not an email');
  });

  it('caps the body size and rate-limits each address', async () => {
    const form = await openForm();
    nowMs += 5_000;
    expect((await submit(form, { message: 'x'.repeat(20_000) })).status).toBe(413);
    for (let i = 0; i < 3; i++) await fileCorrection();
    const last = await openForm();
    nowMs += 5_000;
    const limited = await submit(last, {});
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await fixture.store.corrections.list()).toHaveLength(3);
  });
});

describe('the corrections queue', () => {
  it('shows requests to signed-in reviewers only, every vendor string escaped', async () => {
    const { id } = await fileCorrection({ name: '<img src=x onerror=alert(1)>', message: '<script>alert("x")</script> memory is off' });
    expect((await app.request('/corrections')).status).toBe(303);
    expect((await app.request('/api/corrections')).status).toBe(401);
    const session = await signIn(app, fixture.tokens.alice);
    const queue = await (await app.request('/corrections', { headers: { Cookie: session.cookie } })).text();
    expect(queue).not.toContain('<script>alert');
    expect(queue).not.toContain('<img src=x');
    const $ = load(queue);
    expect($(`tr[data-correction="${id}"] td`).eq(3).text()).toBe('<img src=x onerror=alert(1)>');
    const detail = load(await (await app.request(`/corrections/${id}`, { headers: { Cookie: session.cookie } })).text());
    expect(detail('#vendor-message').text()).toBe('<script>alert("x")</script> memory is off');
    expect(detail('script[src="/static/preview.js"]').length).toBe(1);
    expect(detail('script:not([src])').length).toBe(0);
    const api = (await (await app.request('/api/corrections?status=open', { headers: bearer(fixture.tokens.bob) })).json()) as { corrections: { id: string }[] };
    expect(api.corrections.map((item) => item.id)).toEqual([id]);
  });

  it('accepts with the change as a new revision that says so once published; the decision is audit-logged', async () => {
    const { id, key } = await fileCorrection();
    const session = await signIn(app, fixture.tokens.alice);
    const page = load(await (await app.request(`/corrections/${id}`, { headers: { Cookie: session.cookie } })).text());
    const form: Record<string, string> = {};
    page('#edit-form input[name], #edit-form textarea[name], #edit-form select[name]').each((_, element) => {
      const name = page(element).attr('name')!;
      form[name] = element.tagName === 'textarea' ? page(element).text() : element.tagName === 'select' ? (page(element).find('option[selected]').attr('value') ?? '') : (page(element).attr('value') ?? '');
    });
    form['factors.persistentMemory.value'] = '0.00';
    form['reply'] = 'Confirmed in your documentation; memory set to none.';
    const response = await app.request(`/corrections/${id}/accept`, {
      method: 'POST',
      headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect([response.status, response.headers.get('location')]).toEqual([303, '/drafts/acme-ops-agent.r2?done=correction']);
    const r2 = (await fixture.store.drafts.get('acme-ops-agent.r2'))!;
    expect(r2).toMatchObject({ status: 'draft', correction: { id, acceptedBy: 'alice' } });
    expect(r2.assessment.factors.persistentMemory.value).toBe(0);
    // The summary states the score, so it follows the new value (a model's would be marked stale instead).
    expect(r2.staleText.includes('summary') || r2.assessment.summary !== (await fixture.store.drafts.get('acme-ops-agent.r1'))!.assessment.summary).toBe(true);
    expect((await fixture.store.drafts.get('acme-ops-agent.r1'))!.status).toBe('published');
    expect(await fixture.store.corrections.get(id)).toMatchObject({ status: 'accepted', decision: { by: 'alice', reply: 'Confirmed in your documentation; memory set to none.', draftId: 'acme-ops-agent.r2' } });
    expect((await fixture.store.audit.list({ subject: `correction:${id}` })).map((entry) => entry.action)).toEqual(['correction-submit', 'correction-accept']);
    expect((await fixture.store.audit.list({ subject: 'acme-ops-agent.r2' }))[0]).toMatchObject({ action: 'correction', actor: 'alice', detail: expect.objectContaining({ correction: id, from: 'acme-ops-agent.r1' }) });
    const draftPage = load(await (await app.request('/drafts/acme-ops-agent.r2', { headers: { Cookie: session.cookie } })).text());
    expect(draftPage('#correction-note').text()).toContain(id);
    // A second decision is refused.
    expect((await app.request(`/api/corrections/${id}/decline`, { method: 'POST', headers: { ...bearer(fixture.tokens.bob), 'Content-Type': 'application/json' }, body: JSON.stringify({ version: 2, reply: 'no' }) })).status).toBe(409);
    // Approved and published, the page says it was corrected, and the old revision is in its history.
    await fixture.service.approve('acme-ops-agent.r2', 'bob', {}, 'api');
    const out = join(mkdtempSync(join(tmpdir(), 'td-corr-')), 'site');
    await publishSite({ store: fixture.store, outDir: out, clock: () => new Date('2025-03-02T00:00:00.000Z') });
    const published = load(readFileSync(join(out, 'agents/acme-ops-agent/index.html'), 'utf8'));
    expect(published('[data-corrected]').text()).toContain('Corrected on 2025-03-01');
    expect(published('.versions li[data-revision="1"]').text()).toContain('Revision 1');
    const status = load(await (await app.request(`/corrections/status/${id}?key=${encodeURIComponent(key)}`)).text());
    expect([status('#correction-status').text(), status('#correction-reply').text()]).toEqual(['accepted', 'Confirmed in your documentation; memory set to none.']);
  });

  it('declines only with a reply, which the vendor then sees', async () => {
    const { id, key } = await fileCorrection();
    const headers = { ...bearer(fixture.tokens.bob), 'Content-Type': 'application/json' };
    const missing = await app.request(`/api/corrections/${id}/decline`, { method: 'POST', headers, body: JSON.stringify({ version: 1, reply: ' ' }) });
    expect(missing.status).toBe(400);
    const declined = await app.request(`/api/corrections/${id}/decline`, { method: 'POST', headers, body: JSON.stringify({ version: 1, reply: 'The listing itself says memory is kept for 30 days.' }) });
    expect(declined.status).toBe(200);
    expect(await fixture.store.corrections.get(id)).toMatchObject({ status: 'declined', decision: { by: 'bob', draftId: null } });
    expect(await fixture.store.drafts.get('acme-ops-agent.r2')).toBeNull();
    expect((await fixture.store.audit.list({ subject: `correction:${id}` })).map((entry) => [entry.action, entry.actor])).toEqual([['correction-submit', 'vendor'], ['correction-decline', 'bob']]);
    const status = load(await (await app.request(`/corrections/status/${id}?key=${encodeURIComponent(key)}`)).text());
    expect(status('#correction-reply').text()).toBe('The listing itself says memory is kept for 30 days.');
  });

  it('refuses a decision on a version the reviewer did not see', async () => {
    const { id } = await fileCorrection();
    const response = await app.request(`/api/corrections/${id}/accept`, {
      method: 'POST',
      headers: { ...bearer(fixture.tokens.bob), 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: 7, patch: { factors: { persistentMemory: { value: 0 } } } }),
    });
    expect(response.status).toBe(409);
    expect(await fixture.store.drafts.get('acme-ops-agent.r2')).toBeNull();
  });
});
