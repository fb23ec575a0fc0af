import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, hostnameOf } from '../../src/review/app.js';
import { allowedHostsFor } from '../../src/review/server.js';
import { ReviewService } from '../../src/review/service.js';
import { createAssessment } from '../factories/draft.js';
import { SessionStore } from '../../src/review/sessions.js';
import { createReviewApp } from '../../src/review/app.js';
import { bearer, setup, signIn } from './setup.js';

const form = (fields: Record<string, string>): { body: string; 'Content-Type': string } => ({
  body: new URLSearchParams(fields).toString(),
  'Content-Type': 'application/x-www-form-urlencoded',
});

describe('review auth and CSRF', () => {
  it.each([
    ['GET', '/api/drafts'],
    ['GET', '/api/drafts/acme-ops-agent.r1'],
    ['PATCH', '/api/drafts/acme-ops-agent.r1'],
    ['POST', '/api/drafts/acme-ops-agent.r1/approve'],
    ['POST', '/api/drafts/acme-ops-agent.r1/reject'],
    ['POST', '/api/drafts/acme-ops-agent.r1/request-changes'],
  ])('answers %s %s without credentials with 401', async (method, path) => {
    const { app, store } = await setup();
    const response = await app.request(path, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'GET' ? null : '{"version":1,"comment":"x"}' });
    expect(response.status).toBe(401);
    expect((await store.drafts.get('acme-ops-agent.r1'))!.version).toBe(1);
  });

  it('answers a wrong or removed reviewer token with 401', async () => {
    const { app, service, tokens, store } = await setup();
    expect((await app.request('/api/drafts', { headers: bearer('tdr_not-a-real-token-at-all') })).status).toBe(401);
    await service.removeReviewer('bob');
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: bearer(tokens.bob) });
    expect(response.status).toBe(401);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('draft');
  });

  it('refuses a session change without or with a wrong CSRF token (403) and changes nothing', async () => {
    const { app, tokens, store } = await setup();
    const { cookie } = await signIn(app, tokens.alice);
    const noToken = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: cookie } });
    expect(noToken.status).toBe(403);
    const wrong = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': 'guess' } });
    expect(wrong.status).toBe(403);
    const { 'Content-Type': type, body } = form({ comment: 'ok', version: '1' });
    const viaForm = await app.request('/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': type }, body });
    expect(viaForm.status).toBe(403);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('draft');
    expect((await store.audit.list({ subject: 'calm-notes.r1' })).length).toBe(0);
  });

  it.each([
    ['PATCH', '/api/drafts/calm-notes.r1', 'json', { version: 1, summary: 'Forged summary.' }],
    ['POST', '/drafts/calm-notes.r1/edit', 'form', { version: '1', summary: 'Forged summary.' }],
    ['POST', '/api/drafts/calm-notes.r1/reject', 'json', { comment: 'forged', version: 1 }],
    ['POST', '/drafts/calm-notes.r1/reject', 'form', { comment: 'forged', version: '1' }],
    ['POST', '/api/drafts/calm-notes.r1/request-changes', 'json', { comment: 'forged', version: 1 }],
    ['POST', '/drafts/calm-notes.r1/request-changes', 'form', { comment: 'forged', version: '1' }],
    ['POST', '/api/drafts/calm-notes.r1/approve', 'json', { comment: 'forged', version: 1 }],
  ])('refuses a session %s %s (%s) without or with a wrong CSRF token (403), changing nothing', async (method, path, kind, fields) => {
    const { app, tokens, store } = await setup();
    const { cookie, csrf } = await signIn(app, tokens.alice);
    const body = kind === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields as Record<string, string>).toString();
    const type = kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    for (const forged of [{}, { 'X-CSRF-Token': 'guess' }, { 'X-CSRF-Token': `${csrf}x` }]) {
      const response = await app.request(path, { method, headers: { Cookie: cookie, 'Content-Type': type, ...forged }, body });
      expect(response.status).toBe(403);
    }
    if (kind === 'form') {
      const wrongField = new URLSearchParams({ ...(fields as Record<string, string>), _csrf: 'guess' }).toString();
      expect((await app.request(path, { method, headers: { Cookie: cookie, 'Content-Type': type }, body: wrongField })).status).toBe(403);
    }
    expect((await store.drafts.get('calm-notes.r1'))!).toMatchObject({ status: 'draft', version: 1, reviews: [], assessment: { summary: createAssessment().summary } });
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([]);
    // The same request with the session's token goes through, so the 403 was the CSRF check.
    const headers = { Cookie: cookie, 'Content-Type': type, 'X-CSRF-Token': csrf };
    expect((await app.request(path, { method, headers, body })).status).toBe(kind === 'json' ? 200 : 303);
  });

  it('refuses a sign-out without the CSRF token (403): the session stays signed in', async () => {
    const { app, tokens, store } = await setup();
    const { cookie, csrf } = await signIn(app, tokens.alice);
    for (const headers of [{ Cookie: cookie }, { Cookie: cookie, 'X-CSRF-Token': 'guess' }]) {
      expect((await app.request('/logout', { method: 'POST', headers })).status).toBe(403);
    }
    const forgedForm = await app.request('/logout', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '_csrf=guess' });
    expect(forgedForm.status).toBe(403);
    expect((await app.request('/api/drafts', { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await store.audit.list()).map((e) => e.action).filter((a) => a.startsWith('sign'))).toEqual(['sign-in']);
    expect((await app.request('/logout', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } })).status).toBe(303);
  });

  it('binds the CSRF token to its session: another session’s token is refused', async () => {
    const { app, tokens } = await setup();
    const alice = await signIn(app, tokens.alice);
    const bob = await signIn(app, tokens.bob);
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: alice.cookie, 'X-CSRF-Token': bob.csrf } });
    expect(response.status).toBe(403);
  });

  it('accepts a form change with the session CSRF field and records the reviewer', async () => {
    const { app, tokens, store } = await setup();
    const { cookie, csrf } = await signIn(app, tokens.alice);
    const { 'Content-Type': type, body } = form({ _csrf: csrf, comment: 'ok', version: '1' });
    const response = await app.request('/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': type }, body });
    expect(response.status).toBe(303);
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([expect.objectContaining({ actor: 'alice', action: 'approve', detail: expect.objectContaining({ via: 'web' }) })]);
  });

  it('sets an HttpOnly SameSite=Strict session cookie, Secure only behind https', async () => {
    const { app, tokens } = await setup();
    const plain = await signIn(app, tokens.alice);
    const cookie = plain.setCookie.find((c) => c.startsWith('td_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('hardening #6: behind https both cookies are host-locked (__Host-, Secure, Path=/, no Domain) and a tossed plain cookie is ignored', async () => {
    const { app, tokens } = await setup();
    const https = { 'X-Forwarded-Proto': 'https' };
    const form1 = await app.request('/login', { headers: https });
    const login = form1.headers.getSetCookie()[0]!;
    expect(login).toMatch(/^__Host-td_login=[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form1.text())![1]!;
    // A cookie planted without the prefix (from plain http or another port) does not count.
    const tossed = await app.request('/login', {
      method: 'POST',
      headers: { ...https, Cookie: `td_login=${csrf}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, token: tokens.alice }).toString(),
    });
    expect(tossed.status).toBe(403);
    const response = await app.request('/login', {
      method: 'POST',
      headers: { ...https, Cookie: login.split(';')[0]!, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, token: tokens.alice }).toString(),
    });
    expect(response.status).toBe(303);
    const session = response.headers.getSetCookie().find((c) => c.startsWith('__Host-td_session='))!;
    expect(session).toMatch(/^__Host-td_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const id = session.split(';')[0]!.split('=')[1]!;
    expect((await app.request('/api/drafts', { headers: { ...https, Cookie: `__Host-td_session=${id}` } })).status).toBe(200);
    expect((await app.request('/api/drafts', { headers: { ...https, Cookie: `td_session=${id}` } })).status).toBe(401);
  });

  it('hardening #6: refuses a sign-in posted from another origin of the same host (cookie tossing), even with a planted login cookie', async () => {
    const { app, tokens, store } = await setup();
    // A page on http://127.0.0.1:8080 can set a td_login cookie for 127.0.0.1 (cookies ignore
    // ports) and post the matching token with the attacker's own reviewer token.
    const planted = 'attacker-chosen-login-token-123456';
    const post = (headers: Record<string, string>) =>
      app.request('http://127.0.0.1:4173/login', {
        method: 'POST',
        headers: { Host: '127.0.0.1:4173', Cookie: `td_login=${planted}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ _csrf: planted, token: tokens.bob }).toString(),
      });
    for (const headers of [{ Origin: 'http://127.0.0.1:8080' }, { Origin: 'null' }, { 'Sec-Fetch-Site': 'same-site', Origin: 'http://127.0.0.1:8080' }, { 'Sec-Fetch-Site': 'cross-site' }]) {
      const response = await post(headers);
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie().some((c) => c.startsWith('td_session='))).toBe(false);
      expect(await response.text()).toContain('Sign-in refused: the form was sent from another origin');
    }
    expect((await store.audit.list()).filter((entry) => entry.action === 'sign-in')).toEqual([]);
    // The same form from this origin signs in.
    expect((await post({ Origin: 'http://127.0.0.1:4173' })).status).toBe(303);
    expect((await post({ 'Sec-Fetch-Site': 'same-origin' })).status).toBe(303);
  });

  it('refuses a sign-in without the login form token (login CSRF) and with an unknown token', async () => {
    const { app, tokens } = await setup();
    const forged = await app.request('/login', { method: 'POST', ...{ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${tokens.alice}` } });
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie().some((c) => c.startsWith('td_session='))).toBe(false);
    await expect(signIn(app, 'tdr_wrong-token-wrong-token')).rejects.toThrow(/401/);
  });

  it('redirects pages to sign-in without a session and serves them with a strict CSP', async () => {
    const { app, tokens } = await setup();
    const anonymous = await app.request('/drafts/acme-ops-agent.r1');
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
    const { cookie } = await signIn(app, tokens.alice);
    const page = await app.request('/drafts/acme-ops-agent.r1', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain('<script src="/static/preview.js" defer></script>');
  });

  it('signs out: the old session cookie no longer works', async () => {
    const { app, tokens, store } = await setup();
    const { cookie, csrf } = await signIn(app, tokens.alice);
    const out = await app.request('/logout', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
    expect(out.status).toBe(303);
    expect((await app.request('/api/drafts', { headers: { Cookie: cookie } })).status).toBe(401);
    expect((await store.audit.list()).map((e) => e.action).filter((a) => a.startsWith('sign'))).toEqual(['sign-in', 'sign-out']);
  });
});

describe('hardening #3 (sessions belong to a reviewer id and token, not a name)', () => {
  it('hardening #3: a reviewer removed and added again under the same name does not get the old browser session back', async () => {
    const { app, service, tokens, store } = await setup();
    const { cookie, csrf } = await signIn(app, tokens.alice);
    expect((await app.request('/api/drafts', { headers: { Cookie: cookie } })).status).toBe(200);
    await service.removeReviewer('alice');
    const again = await service.addReviewer('alice');
    // The old session is over: no read, no change, even with its CSRF token.
    expect((await app.request('/api/drafts', { headers: { Cookie: cookie } })).status).toBe(401);
    const approve = await app.request('/api/drafts/calm-notes.r1/approve', {
      method: 'POST',
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(approve.status).toBe(401);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('draft');
    // The new alice signs in with her own token and is a different reviewer.
    const fresh = await signIn(app, again.token);
    expect((await app.request('/api/drafts', { headers: { Cookie: fresh.cookie } })).status).toBe(200);
    const signIns = (await store.audit.list({ subject: 'reviewer:alice' })).filter((entry) => entry.action === 'sign-in');
    expect(signIns).toHaveLength(2);
    expect(signIns[0]?.detail?.['reviewerId']).not.toBe(signIns[1]?.detail?.['reviewerId']);
  });

  it('hardening #3: removing a reviewer ends their session at once and never extends its expiry', async () => {
    const { store, service, tokens } = await setup();
    let now = 1_000_000;
    const sessions = new SessionStore({ ttlMs: 60_000, now: () => now });
    const app = createReviewApp({ service, sessions });
    const { cookie } = await signIn(app, tokens.bob);
    const id = /td_session=([^;]+)/.exec(cookie)![1]!;
    now += 30_000;
    expect((await app.request('/api/drafts', { headers: { Cookie: cookie } })).status).toBe(200);
    expect(sessions.get(id)?.expiresAt).toBe(now + 60_000);
    await service.removeReviewer('bob');
    now += 1_000;
    expect((await app.request('/', { headers: { Cookie: cookie } })).status).toBe(303);
    // Gone from the session store, not merely refused: nothing keeps it alive.
    expect(sessions.get(id)).toBeNull();
    expect((await store.reviewers.list()).map((reviewer) => reviewer.name)).toEqual(['alice']);
  });

  it('gives every reviewer an immutable id, recorded with their sign-in, add and remove', async () => {
    const { app, service, store, tokens } = await setup();
    const [alice] = (await service.listReviewers()).filter((reviewer) => reviewer.name === 'alice');
    expect(alice?.id).toMatch(/^rv_[A-Za-z0-9_-]{22}$/);
    await signIn(app, tokens.alice);
    await service.removeReviewer('alice');
    const entries = (await store.audit.list({ subject: 'reviewer:alice' })).map((entry) => [entry.action, entry.detail?.['reviewerId']]);
    expect(entries).toEqual([
      ['reviewer-add', alice?.id],
      ['sign-in', alice?.id],
      ['reviewer-remove', alice?.id],
    ]);
  });
});

describe('two-person rule', () => {
  it('keeps a Critical draft in draft with one approval until a distinct reviewer approves', async () => {
    const { app, tokens, store } = await setup({ twoPerson: true });
    const first = await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ draft: { status: 'draft' }, approvals: ['alice'], requiredApprovals: 2 });
    const same = await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    expect(same.status).toBe(409);
    expect(((await same.json()) as { error: { code: string } }).error.code).toBe('E_SECOND_APPROVER');
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('draft');
    const second = await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.bob) });
    expect(await second.json()).toMatchObject({ draft: { status: 'approved' }, approvals: ['alice', 'bob'] });
    expect((await store.audit.list({ subject: 'acme-ops-agent.r1' })).map((e) => [e.actor, e.action, e.detail?.['status']])).toEqual([
      ['alice', 'approve', 'draft'],
      ['bob', 'approve', 'approved'],
    ]);
  });

  it('keeps needing a second approver when the next reviewer runs without the rule', async () => {
    const { app, tokens, store, service } = await setup({ twoPerson: true });
    await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    // The same store served by a process started without --two-person.
    const lax = new ReviewService({ store, twoPerson: false });
    const again = await lax.approve('acme-ops-agent.r1', 'alice', {}, 'cli').catch((error: unknown) => error);
    expect(again).toMatchObject({ code: 'E_SECOND_APPROVER' });
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('draft');
    const bob = await lax.approve('acme-ops-agent.r1', 'bob', {}, 'cli');
    expect(bob).toMatchObject({ draft: { status: 'approved' }, approvals: ['alice', 'bob'], requiredApprovals: 2 });
    expect(service.twoPersonFlag).toBe(true);
  });

  it('lets one approval suffice for a Medium draft', async () => {
    const { app, tokens } = await setup({ twoPerson: true });
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    expect(await response.json()).toMatchObject({ draft: { status: 'approved' }, requiredApprovals: 1 });
  });

  it('drops an approval when the draft is edited afterwards', async () => {
    const { app, tokens, store } = await setup({ twoPerson: true });
    await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    await app.request('/api/drafts/acme-ops-agent.r1', {
      method: 'PATCH',
      headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: 2, summary: 'Edited summary after the first approval.' }),
    });
    const bobApproves = await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.bob) });
    expect(await bobApproves.json()).toMatchObject({ draft: { status: 'draft' }, approvals: ['bob'] });
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('draft');
  });
});

describe('Host header guard', () => {
  it.each([
    ['127.0.0.1:4173', '127.0.0.1'],
    ['LOCALHOST', 'localhost'],
    ['[::1]:4173', '[::1]'],
    ['review.internal:443', 'review.internal'],
    ['a:b:c', null],
    ['', null],
    [undefined, null],
  ])('reads the host name of %j as %j', (header, name) => {
    expect(hostnameOf(header)).toBe(name);
  });

  it('answers only to loopback names on a loopback bind, and beyond loopback only to the names given, which are required', () => {
    expect(allowedHostsFor('127.0.0.1', undefined)).toEqual(['127.0.0.1', 'localhost', '[::1]']);
    expect(allowedHostsFor('::1', ['review.internal'])).toEqual(['127.0.0.1', 'localhost', '[::1]', 'review.internal']);
    expect(allowedHostsFor('10.0.0.5', ['review.internal'])).toEqual(['10.0.0.5', 'review.internal']);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'review.internal']) {
      expect(() => allowedHostsFor(host, undefined)).toThrow(expect.objectContaining({ code: 'E_ALLOWED_HOST' }));
      expect(() => allowedHostsFor(host, [])).toThrow(/without --allowed-host/);
    }
  });
});
