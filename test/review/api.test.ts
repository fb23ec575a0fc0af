import { describe, expect, it } from 'vitest';
import { bearer, setup, signIn } from './setup.js';

const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

describe('review JSON API', () => {
  it('lists drafts sorted by severity with counts for a Bearer token', async () => {
    const { app, tokens } = await setup();
    const response = await app.request('/api/drafts', { headers: bearer(tokens.alice) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { drafts: Array<{ id: string; severity: string }>; counts: { total: number } };
    expect(body.drafts.map((d) => [d.id, d.severity])).toEqual([
      ['acme-ops-agent.r1', 'Critical'],
      ['calm-notes.r1', 'Medium'],
    ]);
    expect(body.counts.total).toBe(2);
  });

  it('filters the queue by severity and source', async () => {
    const { app, tokens } = await setup();
    const bySeverity = await app.request('/api/drafts?severity=Medium', { headers: bearer(tokens.alice) });
    expect(((await bySeverity.json()) as { drafts: Array<{ id: string }> }).drafts.map((d) => d.id)).toEqual(['calm-notes.r1']);
    const bySource = await app.request('/api/drafts?source=test-directory', { headers: bearer(tokens.alice) });
    expect(((await bySource.json()) as { drafts: Array<{ id: string }> }).drafts.map((d) => d.id)).toEqual(['acme-ops-agent.r1']);
    const bad = await app.request('/api/drafts?severity=Huge', { headers: bearer(tokens.alice) });
    expect(bad.status).toBe(400);
  });

  it('shows one draft with its listing and audit trail, and 404 for an unknown id', async () => {
    const { app, tokens } = await setup();
    const response = await app.request('/api/drafts/acme-ops-agent.r1', { headers: bearer(tokens.alice) });
    const body = (await response.json()) as { draft: { id: string }; listing: { title: string }; requiredApprovals: number };
    expect([body.draft.id, body.listing.title, body.requiredApprovals]).toEqual(['acme-ops-agent.r1', 'Acme Ops Agent', 1]);
    expect((await app.request('/api/drafts/nope.r1', { headers: bearer(tokens.alice) })).status).toBe(404);
  });

  it('patches a factor, recomputes the score on the server and audits the edit', async () => {
    const { app, tokens, store } = await setup();
    const before = (await store.drafts.get('acme-ops-agent.r1'))!;
    const response = await app.request('/api/drafts/acme-ops-agent.r1', {
      method: 'PATCH',
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: 1, factors: { selfModification: { value: 1 } }, cvss: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' } }),
    });
    expect(response.status).toBe(200);
    const { draft } = (await response.json()) as { draft: { version: number; score: { factorSum: number; score: number }; reviews: Array<{ reviewer: string; action: string }> } };
    expect(draft.version).toBe(2);
    expect(draft.score.factorSum).toBe(before.score.factorSum + 1);
    expect(draft.score.score).not.toBe(before.score.score);
    expect(draft.reviews).toEqual([expect.objectContaining({ reviewer: 'alice', action: 'edit' })]);
    const audit = await store.audit.list({ subject: 'acme-ops-agent.r1' });
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'edit', at: expect.stringMatching(/^2025-03-01T12:00:/), detail: expect.objectContaining({ via: 'api', version: 2 }) }),
    ]);
  });

  it.each([
    [{ version: 1, factors: { autonomyOfAction: { value: 1.5 } } }, 'factors.autonomyOfAction.value'],
    [{ version: 1, factors: { autonomyOfAction: { value: 0.33 } } }, 'factors.autonomyOfAction.value'],
    [{ version: 1, cvss: { vector: 'CVSS:4.0/AV:N' } }, 'cvss.vector'],
    [{ version: 1, exploitMaturity: { value: 'rumoured' } }, 'exploitMaturity.value'],
    [{ version: 1, summary: '' }, 'summary'],
    [{ factors: {} }, 'version'],
    [{ version: 1, bogus: true }, '(body)'],
  ])('refuses a bad edit %j with 400 naming %s and stores nothing', async (body, field) => {
    const { app, tokens, store } = await setup();
    const response = await app.request('/api/drafts/acme-ops-agent.r1', { method: 'PATCH', ...json(body), headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } });
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: { field: string; message: string } }).error;
    expect(error.field).toBe(field);
    expect((await store.drafts.get('acme-ops-agent.r1'))!.version).toBe(1);
    expect(await store.audit.list({ subject: 'acme-ops-agent.r1' })).toEqual([]);
  });

  it('answers a stale version with 409 and keeps the first edit', async () => {
    const { app, tokens, store } = await setup();
    const patch = (token: string, value: number) =>
      app.request('/api/drafts/acme-ops-agent.r1', {
        method: 'PATCH',
        headers: { ...bearer(token), 'Content-Type': 'application/json' },
        body: JSON.stringify({ version: 1, factors: { selfModification: { value } } }),
      });
    expect((await patch(tokens.alice, 0.5)).status).toBe(200);
    const second = await patch(tokens.bob, 0.9);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('changed by someone else') });
    const stored = (await store.drafts.get('acme-ops-agent.r1'))!;
    expect([stored.version, stored.assessment.factors.selfModification.value]).toEqual([2, 0.5]);
  });

  it('approves, then refuses to approve again (409), and audits who and when', async () => {
    const { app, tokens, store } = await setup();
    const approve = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', ...json({ comment: 'fine' }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
    expect(approve.status).toBe(200);
    expect(((await approve.json()) as { draft: { status: string } }).draft.status).toBe('approved');
    const again = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    expect(again.status).toBe(409);
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([
      { at: expect.stringMatching(/^2025-03-01T12:00:\d\d\.000Z$/), actor: 'bob', action: 'approve', subject: 'calm-notes.r1', detail: expect.objectContaining({ comment: 'fine', via: 'api', approvals: 1, required: 1, status: 'approved' }) },
    ]);
  });

  it('rejects and requests changes only with a comment', async () => {
    const { app, tokens, store } = await setup();
    const noComment = await app.request('/api/drafts/calm-notes.r1/reject', { method: 'POST', ...json({}), headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } });
    expect(noComment.status).toBe(400);
    expect(((await noComment.json()) as { error: { field: string } }).error.field).toBe('comment');
    const changes = await app.request('/api/drafts/calm-notes.r1/request-changes', { method: 'POST', ...json({ comment: 'L3 is wrong' }), headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } });
    expect(changes.status).toBe(200);
    const reject = await app.request('/api/drafts/acme-ops-agent.r1/reject', { method: 'POST', ...json({ comment: 'not an agent' }), headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } });
    expect(reject.status).toBe(200);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('changes-requested');
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('rejected');
    expect((await store.audit.list()).filter((e) => e.subject.endsWith('.r1')).map((e) => [e.actor, e.action, e.detail?.['comment']])).toEqual([
      ['alice', 'request-changes', 'L3 is wrong'],
      ['alice', 'reject', 'not an agent'],
    ]);
  });

  it('previews a score from form fields without saving', async () => {
    const { app, tokens, store } = await setup();
    const response = await app.request('/api/drafts/calm-notes.r1/preview', {
      method: 'POST',
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({ form: { 'factors.selfModification.value': '1', 'mitigation.value': 'strong' } }),
    });
    expect(response.status).toBe(200);
    const { score } = (await response.json()) as { score: { factorSum: number; mf: number } };
    expect([score.factorSum, score.mf]).toEqual([6, 0.67]);
    expect((await store.drafts.get('calm-notes.r1'))!.version).toBe(1);
  });

  it('accepts the session cookie with the CSRF token in the X-CSRF-Token header', async () => {
    const { app, tokens } = await setup();
    const session = await signIn(app, tokens.alice);
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf } });
    expect(response.status).toBe(200);
  });
});
