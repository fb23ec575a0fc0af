import fc from 'fast-check';
import { namedThreat } from '../../schemas/catalogue/index.js';
import { scoreWithRange } from '../../src/assess/uncertainty.js';
import { describe, expect, it } from 'vitest';
import { computeAivss } from '../../src/aivss/index.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { PROPERTY_TIME_BOUND_MS, timed } from '../helpers/bounded.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { bearer, seedQueue, setup, signIn } from './setup.js';

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

  it.each([
    ['status=draft', ['acme-ops-agent.r1', 'calm-notes.r1']],
    ['status=changes-requested', ['noisy-agent.r1']],
    ['status=approved', []],
    ['warnings=yes', ['noisy-agent.r1', 'live-agent.r1']],
    ['warnings=no', ['acme-ops-agent.r1', 'calm-notes.r1', 'quiet-agent.r1']],
    ['status=published&warnings=yes', ['live-agent.r1']],
    ['sort=date', ['noisy-agent.r1', 'live-agent.r1', 'quiet-agent.r1', 'acme-ops-agent.r1', 'calm-notes.r1']],
    ['sort=date&warnings=no', ['quiet-agent.r1', 'acme-ops-agent.r1', 'calm-notes.r1']],
    ['', ['acme-ops-agent.r1', 'noisy-agent.r1', 'calm-notes.r1', 'live-agent.r1', 'quiet-agent.r1']],
  ])('selects the queue with ?%s', async (query, ids) => {
    const { app, tokens, store } = await setup();
    await seedQueue(store);
    const response = await app.request(`/api/drafts?${query}`, { headers: bearer(tokens.alice) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { drafts: Array<{ id: string }> }).drafts.map((d) => d.id)).toEqual(ids);
  });

  it('counts drafts per status, per severity and with warnings over the whole queue, whatever the filter', async () => {
    const { app, tokens, store } = await setup();
    await seedQueue(store);
    const counts = {
      total: 5,
      status: { draft: 2, 'changes-requested': 1, approved: 0, rejected: 1, published: 1, superseded: 0 },
      severity: { None: 0, Low: 1, Medium: 2, High: 1, Critical: 1 },
      withWarnings: 2,
      insufficientEvidence: 0,
      changedSincePublished: 0,
    };
    for (const query of ['', '?status=rejected&warnings=yes']) {
      const response = await app.request(`/api/drafts${query}`, { headers: bearer(tokens.alice) });
      expect(((await response.json()) as { counts: unknown }).counts).toEqual(counts);
    }
    for (const bad of ['status=done', 'warnings=maybe', 'sort=name']) {
      const response = await app.request(`/api/drafts?${bad}`, { headers: bearer(tokens.alice) });
      expect([response.status, ((await response.json()) as { error: { field: string } }).error.field]).toEqual([400, bad.split('=')[0]]);
    }
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

  it('edits layers (text, certainty, threats), exploit maturity and mitigation, rescoring with the AIVSS module', async () => {
    const { app, tokens, store } = await setup();
    const before = (await store.drafts.get('acme-ops-agent.r1'))!;
    expect([before.assessment.layers[0]!.certain, before.assessment.layers[1]!.certain]).toEqual([false, true]);
    const response = await app.request('/api/drafts/acme-ops-agent.r1', {
      method: 'PATCH',
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        version: 1,
        layers: [
          { layer: 1, certain: true, text: '  The listing names GPT-4o as its model.  ', threats: ['jailbreak', ' ', ' Prompt Injection '], otherThreats: [' model theft '] },
          { layer: 2, certain: false },
        ],
        exploitMaturity: { value: 'attacked', rationale: 'Seen in the wild.' },
        mitigation: { value: 'partial', rationale: 'An allow-list of shell commands.' },
        comment: 'L1 is known',
      }),
    });
    expect(response.status).toBe(200);
    const saved = (await store.drafts.get('acme-ops-agent.r1'))!;
    expect(saved.assessment.layers.slice(0, 2)).toEqual([
      // Catalogue ids or names map to catalogue threats; the rest stays free text for later mapping.
      {
        ...before.assessment.layers[0]!,
        certain: true,
        text: 'The listing names GPT-4o as its model.',
        threats: [namedThreat('jailbreak'), namedThreat('prompt-injection')],
        otherThreats: ['model theft'],
      },
      { ...before.assessment.layers[1]!, certain: false },
    ]);
    expect(saved.assessment.layers.slice(2)).toEqual(before.assessment.layers.slice(2));
    expect([saved.assessment.exploitMaturity, saved.assessment.mitigation]).toEqual([
      { value: 'attacked', rationale: 'Seen in the wild.' },
      { value: 'partial', rationale: 'An allow-list of shell commands.' },
    ]);
    const expected = computeAivss({
      formula: 'v0.8',
      cvss: before.assessment.cvss.vector,
      factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, before.assessment.factors[key].value])),
      thm: 'attacked',
      mf: 'partial',
    });
    expect(saved.score).toEqual({ ...expected, range: scoreWithRange(saved.assessment).range });
    expect([saved.score.thm, saved.score.mf]).toEqual([1, 0.83]);
    expect(saved.score.score).not.toBe(before.score.score);
    const audit = await store.audit.list({ subject: 'acme-ops-agent.r1' });
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'alice',
        action: 'edit',
        detail: expect.objectContaining({
          comment: 'L1 is known',
          scoreBefore: before.score.score,
          scoreAfter: expected.score,
          fields: ['score.score', 'summary', 'exploitMaturity.value', 'mitigation.value', 'layers.1.certain', 'layers.1.threats', 'layers.1.otherThreats', 'layers.1.text', 'layers.2.certain'],
          // The summary states the score, so it is rewritten from the new values; the rationales were written in this edit.
          regenerated: ['summary'],
          stale: [],
        }),
      }),
    ]);
    expect(saved.assessment.summary).toContain(`${expected.score.toFixed(1)} (${expected.severity})`);
    expect([saved.staleText, saved.reviewerText]).toEqual([[], ['exploitMaturity.rationale', 'layers.1.text', 'mitigation.rationale']]);
  });

  it.each([
    [{ version: 1, layers: [{ layer: 8, certain: true }] }, 'layers.0.layer'],
    [{ version: 1, layers: [{ layer: 1, certain: 'yes' }] }, 'layers.0.certain'],
    [{ version: 1, layers: [{ layer: 1, threats: 'injection' }] }, 'layers.0.threats'],
    [{ version: 1, mitigation: { value: 'total' } }, 'mitigation.value'],
  ])('refuses a bad layer or mitigation edit %j with 400 naming %s', async (body, field) => {
    const { app, tokens, store } = await setup();
    const response = await app.request('/api/drafts/acme-ops-agent.r1', { method: 'PATCH', ...json(body), headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } });
    expect([response.status, ((await response.json()) as { error: { field: string } }).error.field]).toEqual([400, field]);
    expect((await store.drafts.get('acme-ops-agent.r1'))!.version).toBe(1);
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

  it('approves only the version given, when one is given: a stale version is 409 and records nothing', async () => {
    const { app, tokens, store } = await setup();
    const edit = await app.request('/api/drafts/calm-notes.r1', {
      method: 'PATCH',
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: 1, summary: 'Alice changed the summary after Bob read it.' }),
    });
    expect(edit.status).toBe(200);
    const stale = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', ...json({ comment: 'read v1', version: 1 }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('it is now version 2') });
    const stored = (await store.drafts.get('calm-notes.r1'))!;
    expect([stored.status, stored.version, stored.reviews.map((r) => r.action)]).toEqual(['draft', 2, ['edit']]);
    expect((await store.audit.list({ subject: 'calm-notes.r1' })).map((e) => e.action)).toEqual(['edit']);
    for (const bad of [0, 1.5, '2']) {
      const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', ...json({ version: bad }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
      expect([response.status, ((await response.json()) as { error: { field: string } }).error.field]).toEqual([400, 'version']);
    }
    const current = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', ...json({ comment: 'read v2', version: 2 }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
    expect(current.status).toBe(200);
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([
      expect.objectContaining({ action: 'edit' }),
      expect.objectContaining({ actor: 'bob', action: 'approve', detail: expect.objectContaining({ comment: 'read v2', version: 3, via: 'api' }) }),
    ]);
  });

  it('still approves with only { comment }, as the CLI contract has it', async () => {
    const { app, tokens, store } = await setup();
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', ...json({ comment: 'ok' }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
    expect(response.status).toBe(200);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('approved');
  });

  it.each(['reject', 'request-changes'])('refuses to %s a stale version (409), changing nothing', async (action) => {
    const { app, tokens, store } = await setup();
    const response = await app.request(`/api/drafts/calm-notes.r1/${action}`, { method: 'POST', ...json({ comment: 'no', version: 4 }), headers: { ...bearer(tokens.bob), 'Content-Type': 'application/json' } });
    expect(response.status).toBe(409);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe('draft');
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([]);
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
    // An invalid form previews no score: the answer says why and names the field.
    const invalid = await app.request('/api/drafts/calm-notes.r1/preview', {
      method: 'POST',
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({ form: { 'factors.selfModification.value': '1.5' } }),
    });
    expect(invalid.status).toBe(200);
    expect(await invalid.json()).toEqual({ score: null, error: { code: 'E_INPUT', message: expect.stringContaining('factors.selfModification.value') as unknown, field: 'factors.selfModification.value' } });
    const missing = await app.request('/api/drafts/nope.r1/preview', { method: 'POST', headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' }, body: JSON.stringify({ form: {} }) });
    expect(missing.status).toBe(404);
  });

  it('accepts the session cookie with the CSRF token in the X-CSRF-Token header', async () => {
    const { app, tokens } = await setup();
    const session = await signIn(app, tokens.alice);
    const response = await app.request('/api/drafts/calm-notes.r1/approve', { method: 'POST', headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf } });
    expect(response.status).toBe(200);
  });
});

describe('review API bodies (property)', () => {
  const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.constantFrom(null, -1, 1.5, Number.POSITIVE_INFINITY, 'CVSS:4.0/AV:N', 'attacked', ''));
  const editKeys = fc.constantFrom('version', 'summary', 'factors', 'cvss', 'exploitMaturity', 'mitigation', 'layers', 'comment', 'form', 'extra');
  const structured = fc
    .array(fc.tuple(editKeys, anyValue), { maxLength: 4 })
    .map((pairs) => JSON.stringify({ version: 1, ...Object.fromEntries(pairs) }));
  const factorEdits = fc
    .tuple(fc.constantFrom('dynamicToolUse', 'autonomyOfAction', 'bogus', '__proto__'), anyValue, anyValue)
    .map(([key, value, rationale]) => JSON.stringify({ version: 1, factors: { [key]: { value, rationale } } }));
  const body = fc.oneof(structured, factorEdits, fc.jsonValue().map((value) => JSON.stringify(value)), fc.string({ maxLength: 300 }));
  const route = fc.constantFrom(
    ['PATCH', '/api/drafts/acme-ops-agent.r1'],
    ['POST', '/api/drafts/acme-ops-agent.r1/approve'],
    ['POST', '/api/drafts/calm-notes.r1/reject'],
    ['POST', '/api/drafts/calm-notes.r1/request-changes'],
    ['POST', '/api/drafts/acme-ops-agent.r1/preview'],
    ['PATCH', '/api/drafts/no-such.r1'],
  );

  it('answers any body with a result or a clear 4xx naming the problem, never a 500, within the time bound', async () => {
    const { app, tokens, store } = await setup();
    await fc.assert(
      fc.asyncProperty(route, body, async ([method, path], text) => {
        const before = await store.drafts.list();
        const { value: response, ms } = await timed(() =>
          app.request(path!, { method, body: text, headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' } }),
        );
        expect(ms).toBeLessThan(PROPERTY_TIME_BOUND_MS);
        expect([200, 400, 404, 409, 413]).toContain(response.status);
        const payload = (await response.json()) as { error?: { code: string; message: string } };
        if (response.status !== 200) {
          expect(payload.error?.code).toMatch(/^E_[A-Z_]+$/);
          expect(payload.error?.message).not.toBe('Internal error');
          // A refused request changes nothing.
          expect(await store.drafts.list()).toEqual(before);
        }
      }),
      { numRuns: 250 },
    );
  });
});

describe('review JSON API: threats from the catalogue', () => {
  it('refuses a threat the catalogue lacks, or one named on a layer it does not belong to, naming the field', async () => {
    const { app, tokens, store } = await setup();
    const patch = async (threats: string[]) =>
      app.request('/api/drafts/acme-ops-agent.r1', {
        method: 'PATCH',
        headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
        body: JSON.stringify({ version: 1, layers: [{ layer: 3, threats }] }),
      });
    const unknown = await patch(['tool misuse', 'quantum teleportation']);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { field: string; message: string } }).error).toMatchObject({ field: 'layers.3.threats', message: expect.stringContaining('quantum teleportation') as unknown as string });
    const misplaced = await patch(['sandbox-escape']);
    expect(misplaced.status).toBe(400);
    expect(((await misplaced.json()) as { error: { message: string } }).error.message).toContain('belongs to layer 4');
    expect((await store.drafts.get('acme-ops-agent.r1'))!.version).toBe(1);
  });
});

describe('bulk approval over the JSON API', () => {
  it('approves Low drafts and skips, with the reason, a Low whose listing pins too few factors', async () => {
    const { app, tokens, store } = await setup();
    const zero = (insufficientEvidence: boolean) => {
      const assessment = createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' }, insufficientEvidence });
      for (const factor of Object.values(assessment.factors)) factor.value = 0;
      return assessment;
    };
    await store.drafts.save(createDraft({ listingId: 'plain-notes', assessment: zero(false) }), null);
    await store.drafts.save(createDraft({ listingId: 'thin-listing', assessment: zero(true) }), null);
    const response = await app.request('/api/drafts/bulk-approve', {
      method: 'POST',
      ...json({ drafts: [{ id: 'plain-notes.r1', version: 1 }, { id: 'thin-listing.r1', version: 1 }] }),
      headers: { ...bearer(tokens.alice), 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { approved: string[]; skipped: { id: string; reason: string }[] };
    expect(body.approved).toEqual(['plain-notes.r1']);
    expect(body.skipped).toEqual([{ id: 'thin-listing.r1', reason: expect.stringMatching(/too few factors/) as unknown as string }]);
    expect((await store.drafts.get('thin-listing.r1'))?.status).toBe('draft');
  });
});
