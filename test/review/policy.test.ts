/**
 * The two-person rule as a property of the store: a policy set in the store binds every
 * ReviewService on it, including ones created without the flag, and the flag only adds to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'cheerio';
import { afterEach, describe, expect, it } from 'vitest';
import { ExtractionError } from '../../src/errors.js';
import { POLICY_SUBJECT, ReviewService } from '../../src/review/service.js';
import { FileStore } from '../../src/store/file-store.js';
import type { Store } from '../../src/store/store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { bearer, HIGH_VECTOR, setup, signIn } from './setup.js';

const HIGH_ID = 'high-agent.r1';

async function addHighDraft(store: Store): Promise<void> {
  await store.listings.put(createListing({ id: 'high-agent', title: 'High Agent' }));
  const saved = await store.drafts.save(
    createDraft({ listingId: 'high-agent', assessment: createAssessment({ cvss: { vector: HIGH_VECTOR, rationale: 'Network, low impact.' } }) }),
    null,
  );
  expect(saved.score.severity).toBe('High');
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('two-person policy in the store', () => {
  it('makes a service created without the flag require two distinct approvers for a High draft', async () => {
    const { store, service: admin } = await setup();
    await addHighDraft(store);
    await admin.setTwoPersonPolicy(true, 'root');
    const lax = new ReviewService({ store });
    expect(lax.twoPersonFlag).toBe(false);

    const first = await lax.approve(HIGH_ID, 'alice', {}, 'cli');
    expect(first).toMatchObject({ draft: { status: 'draft' }, approvals: ['alice'], requiredApprovals: 2, twoPerson: true });
    await expect(lax.approve(HIGH_ID, 'alice', {}, 'cli')).rejects.toMatchObject({ code: 'E_SECOND_APPROVER' });
    expect((await store.drafts.get(HIGH_ID))!.status).toBe('draft');
    const second = await lax.approve(HIGH_ID, 'bob', {}, 'cli');
    expect(second).toMatchObject({ draft: { status: 'approved' }, approvals: ['alice', 'bob'], requiredApprovals: 2 });
    expect((await store.audit.list({ subject: HIGH_ID })).map((e) => [e.actor, e.detail?.['status'], e.detail?.['required'], e.detail?.['twoPerson']])).toEqual([
      ['alice', 'draft', 2, true],
      ['bob', 'approved', 2, true],
    ]);
  });

  it('still lets one approval approve a Medium draft under the policy', async () => {
    const { store, service } = await setup();
    await service.setTwoPersonPolicy(true, 'root');
    expect(await new ReviewService({ store }).approve('calm-notes.r1', 'alice', {}, 'cli')).toMatchObject({
      draft: { status: 'approved' },
      requiredApprovals: 1,
    });
  });

  it('applies a policy set by another store instance on the same directory to the next decision, with no restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'td-policy-'));
    roots.push(root);
    const reviewerStore = new FileStore({ root });
    const adminStore = new FileStore({ root });
    try {
      await addHighDraft(reviewerStore);
      const reviewer = new ReviewService({ store: reviewerStore });
      expect(await reviewer.requiredApprovals((await reviewerStore.drafts.get(HIGH_ID))!)).toBe(1);
      await new ReviewService({ store: adminStore }).setTwoPersonPolicy(true, 'root');
      expect((await reviewer.show(HIGH_ID)).requiredApprovals).toBe(2);
      expect(await reviewer.approve(HIGH_ID, 'alice', {}, 'cli')).toMatchObject({ draft: { status: 'draft' }, requiredApprovals: 2 });
    } finally {
      await reviewerStore.close();
      await adminStore.close();
    }
  });

  it('lets the flag make the rule stricter than a policy that is off, never laxer than one that is on', async () => {
    const { store, service } = await setup();
    await addHighDraft(store);
    await service.setTwoPersonPolicy(false, 'root');
    const strict = new ReviewService({ store, twoPerson: true });
    expect(await strict.twoPersonRule()).toEqual({ inForce: true, flag: true, policy: expect.objectContaining({ twoPerson: false }) });
    expect(await strict.approve(HIGH_ID, 'alice', {}, 'cli')).toMatchObject({ draft: { status: 'draft' }, requiredApprovals: 2 });

    await service.setTwoPersonPolicy(true, 'root');
    const lax = new ReviewService({ store, twoPerson: false });
    expect(await lax.twoPersonRule()).toMatchObject({ inForce: true, flag: false });
  });

  it('keeps a pending first approval needing a second approver after the policy is turned off', async () => {
    const { store, service } = await setup();
    await addHighDraft(store);
    await service.setTwoPersonPolicy(true, 'root');
    await service.approve(HIGH_ID, 'alice', {}, 'cli');
    await service.setTwoPersonPolicy(false, 'root');
    const view = await service.show(HIGH_ID);
    expect([view.twoPerson.inForce, view.requiredApprovals]).toEqual([false, 2]);
    await expect(service.approve(HIGH_ID, 'alice', {}, 'cli')).rejects.toMatchObject({ code: 'E_SECOND_APPROVER' });
    expect(await service.approve(HIGH_ID, 'bob', {}, 'cli')).toMatchObject({ draft: { status: 'approved' } });
  });

  it('records each change in the audit log with the value before it', async () => {
    const { store, service } = await setup();
    expect(await service.setTwoPersonPolicy(true, 'root')).toMatchObject({ policy: { twoPerson: true, setBy: 'root' }, before: null });
    expect(await service.setTwoPersonPolicy(false, 'ops')).toMatchObject({ policy: { twoPerson: false, setBy: 'ops' }, before: true });
    expect(await store.audit.list({ subject: POLICY_SUBJECT })).toEqual([
      { at: expect.any(String), actor: 'root', action: 'policy', subject: 'policy:two-person', detail: { twoPerson: true, before: null } },
      { at: expect.any(String), actor: 'ops', action: 'policy', subject: 'policy:two-person', detail: { twoPerson: false, before: true } },
    ]);
  });

  it('refuses decisions while policy.json is corrupt, naming it, and lets the policy be set again to repair it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'td-policy-'));
    roots.push(root);
    const store = new FileStore({ root });
    try {
      await addHighDraft(store);
      writeFileSync(join(root, 'policy.json'), '{"twoPerson": tru');
      const service = new ReviewService({ store });
      const error = await service.approve(HIGH_ID, 'alice', {}, 'cli').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ExtractionError);
      expect((error as Error).message).toContain(join(root, 'policy.json'));
      expect((await store.drafts.get(HIGH_ID))!.version).toBe(1);
      await service.setTwoPersonPolicy(true, 'root');
      expect((await store.audit.list({ subject: POLICY_SUBJECT }))[0]?.detail).toMatchObject({ twoPerson: true, before: null, replacedCorrupt: expect.stringContaining('policy.json') });
      expect(await service.approve(HIGH_ID, 'alice', {}, 'cli')).toMatchObject({ requiredApprovals: 2 });
    } finally {
      await store.close();
    }
  });
});

describe('two-person rule on the draft page and the API', () => {
  it('shows the rule in force from the stored policy in a server started without the flag', async () => {
    const { app, tokens, service } = await setup();
    const session = await signIn(app, tokens.alice);
    const before = load(await (await app.request('/drafts/acme-ops-agent.r1', { headers: { Cookie: session.cookie } })).text());
    expect(before('#two-person').text()).toBe('Two-person rule: off.');
    expect(before('#approvals').text()).toBe('0 of 1');

    await service.setTwoPersonPolicy(true, 'root');
    const $ = load(await (await app.request('/drafts/acme-ops-agent.r1', { headers: { Cookie: session.cookie } })).text());
    expect($('#approvals').text()).toBe('0 of 2');
    const note = $('#two-person').text().replace(/\s+/g, ' ');
    expect(note).toContain('Two-person rule in force');
    expect(note).toContain("the store's policy (set by root at ");
    expect(note).not.toContain('--two-person');
    const medium = load(await (await app.request('/drafts/calm-notes.r1', { headers: { Cookie: session.cookie } })).text());
    expect(medium('#two-person').text()).toContain('this Medium draft needs one');

    const api = await app.request('/api/drafts/acme-ops-agent.r1', { headers: bearer(tokens.bob) });
    expect(await api.json()).toMatchObject({ requiredApprovals: 2, twoPerson: true });
  });

  it('names the flag as the source when only the server was started with --two-person', async () => {
    const { app, tokens } = await setup({ twoPerson: true });
    const session = await signIn(app, tokens.alice);
    const $ = load(await (await app.request('/drafts/acme-ops-agent.r1', { headers: { Cookie: session.cookie } })).text());
    expect($('#two-person').text()).toContain("this server's --two-person");
    expect($('#two-person').text()).not.toContain('policy');
  });

  it('explains a pending approval kept under a rule that is now off', async () => {
    const { app, tokens, service } = await setup();
    await service.setTwoPersonPolicy(true, 'root');
    await app.request('/api/drafts/acme-ops-agent.r1/approve', { method: 'POST', headers: bearer(tokens.alice) });
    await service.setTwoPersonPolicy(false, 'root');
    const session = await signIn(app, tokens.bob);
    const $ = load(await (await app.request('/drafts/acme-ops-agent.r1', { headers: { Cookie: session.cookie } })).text());
    expect($('#approvals').text()).toBe('1 of 2');
    expect($('#two-person').text()).toContain('holds an approval given under it');
  });
});

describe('hardening #2 (a careless reviewer): the approvals a draft needs follow its peak severity', () => {
  const CRITICAL_ID = 'acme-ops-agent.r1';
  const json = (token: string): Record<string, string> => ({ ...bearer(token), 'Content-Type': 'application/json' });

  it('hardening #2: a reviewer who edits a Critical draft down to Medium cannot then approve it alone', async () => {
    const { store, service, app, tokens } = await setup();
    await service.setTwoPersonPolicy(true, 'root');
    const before = (await store.drafts.get(CRITICAL_ID))!;
    expect(before.score.severity).toBe('Critical');

    const edit = await app.request(`/api/drafts/${CRITICAL_ID}`, {
      method: 'PATCH',
      headers: json(tokens.alice),
      body: JSON.stringify({ version: before.version, cvss: { vector: LOW_VECTOR } }),
    });
    expect(edit.status).toBe(200);
    expect(((await edit.json()) as { draft: { score: { severity: string }; peakSeverity: string } }).draft).toMatchObject({
      score: { severity: 'Medium' },
      peakSeverity: 'Critical',
    });

    const alone = await app.request(`/api/drafts/${CRITICAL_ID}/approve`, { method: 'POST', headers: json(tokens.alice), body: '{}' });
    expect(await alone.json()).toMatchObject({ draft: { status: 'draft' }, approvals: ['alice'], requiredApprovals: 2, twoPerson: true });
    const second = await app.request(`/api/drafts/${CRITICAL_ID}/approve`, { method: 'POST', headers: json(tokens.bob), body: '{}' });
    expect(await second.json()).toMatchObject({ draft: { status: 'approved' }, approvals: ['alice', 'bob'], requiredApprovals: 2 });

    const audit = await store.audit.list({ subject: CRITICAL_ID });
    expect(audit.map((entry) => [entry.actor, entry.action])).toEqual([
      ['alice', 'edit'],
      ['alice', 'approve'],
      ['bob', 'approve'],
    ]);
    expect(audit[0]?.detail).toMatchObject({ severityBefore: 'Critical', severityAfter: 'Medium', peakSeverity: 'Critical', approvalsCleared: [] });
    expect(audit[1]?.detail).toMatchObject({ required: 2, status: 'draft', peakSeverity: 'Critical' });
    // The draft page says why a Medium draft needs two approvers.
    const { cookie } = await signIn(app, tokens.alice);
    const page = load(await (await app.request(`/drafts/${CRITICAL_ID}`, { headers: { Cookie: cookie } })).text());
    expect(page('#approvals').parent().text()).toContain('this draft was Critical before an edit lowered it to Medium');
  });

  it('hardening #2: an edit after an approval clears it, and the audit entry names the approvals it cleared', async () => {
    const { store, service, tokens, app } = await setup();
    await service.setTwoPersonPolicy(true, 'root');
    expect(await service.approve(CRITICAL_ID, 'alice', {}, 'cli')).toMatchObject({ approvals: ['alice'], requiredApprovals: 2 });
    const current = (await store.drafts.get(CRITICAL_ID))!;
    const edit = await app.request(`/api/drafts/${CRITICAL_ID}`, {
      method: 'PATCH',
      headers: json(tokens.bob),
      body: JSON.stringify({ version: current.version, summary: 'Bob rewrote the summary.' }),
    });
    expect(edit.status).toBe(200);
    const view = await service.show(CRITICAL_ID);
    expect(view).toMatchObject({ approvals: [], requiredApprovals: 2 });
    const entry = (await store.audit.list({ subject: CRITICAL_ID })).find((e) => e.action === 'edit');
    expect(entry).toMatchObject({ actor: 'bob', detail: { approvalsCleared: ['alice'], peakSeverity: 'Critical' } });
    // Alice's approval no longer counts: bob and alice must both approve the edited text.
    expect(await service.approve(CRITICAL_ID, 'bob', {}, 'cli')).toMatchObject({ draft: { status: 'draft' }, approvals: ['bob'] });
    expect(await service.approve(CRITICAL_ID, 'alice', {}, 'cli')).toMatchObject({ draft: { status: 'approved' }, approvals: ['bob', 'alice'] });
  });

  it('raises the peak when an edit raises the severity, and keeps it when a later edit lowers it again', async () => {
    const { store, service } = await setup();
    await service.setTwoPersonPolicy(true, 'root');
    const medium = (await store.drafts.get('calm-notes.r1'))!;
    expect(medium.score.severity).toBe('Medium');
    const raised = await service.edit('calm-notes.r1', { version: medium.version, cvss: { vector: HIGH_VECTOR } }, 'alice', 'api');
    expect(raised).toMatchObject({ score: { severity: 'High' }, peakSeverity: 'High' });
    const lowered = await service.edit('calm-notes.r1', { version: raised.version, cvss: { vector: LOW_VECTOR } }, 'alice', 'api');
    expect(lowered).toMatchObject({ score: { severity: 'Medium' }, peakSeverity: 'High' });
    expect(await service.requiredApprovals(lowered)).toBe(2);
  });
});
