/**
 * Texts that no longer match a draft's values, end to end: an edit marks a model's words stale
 * (a rules draft's are rewritten), a reviewer regenerates or confirms them (API, web form, CLI),
 * every step is audited, and publish refuses a draft until none is left.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { publishSite } from '../../src/publish/publish.js';
import { FileStore } from '../../src/store/file-store.js';
import { createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { captureIo } from '../helpers/io.js';
import { bearer, setup, signIn, type Fixture } from './setup.js';

const ID = 'acme-ops-agent.r1';
/** Lowers the draft from Critical: a local, low-impact exploit path. */
const LOWER = { cvss: { vector: 'CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' } };

async function asModelDraft(fixture: Fixture): Promise<void> {
  const draft = (await fixture.store.drafts.get(ID))!;
  await fixture.store.drafts.save({ ...draft, provenance: { ...draft.provenance, assessor: 'openai', model: 'gpt-4o-mini' } }, draft.version);
}

async function call(fixture: Fixture, path: string, body: unknown, method = 'POST'): Promise<Response> {
  return fixture.app.request(path, { method, headers: { ...bearer(fixture.tokens.alice), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

describe('stale text', () => {
  it('marks a model’s words stale after an edit, and clears them by regenerating (approvals reset)', async () => {
    const fixture = await setup();
    await asModelDraft(fixture);
    const edited = await call(fixture, `/api/drafts/${ID}`, { version: 2, ...LOWER }, 'PATCH');
    expect(edited.status).toBe(200);
    const stale = (await fixture.store.drafts.get(ID))!;
    expect(stale.score.severity).not.toBe('Critical');
    expect(stale.staleText).toEqual(['cvss.rationale', 'summary']);
    const regenerated = await call(fixture, `/api/drafts/${ID}/regenerate`, { version: stale.version });
    expect(regenerated.status).toBe(200);
    const fresh = (await fixture.store.drafts.get(ID))!;
    expect(fresh.staleText).toEqual([]);
    expect(fresh.assessment.summary).toContain(`(${fresh.score.severity})`);
    expect(fresh.reviews.at(-1)).toMatchObject({ reviewer: 'alice', action: 'regenerate' });
    const audit = await fixture.store.audit.list({ subject: ID });
    expect(audit.map((entry) => entry.action)).toEqual(['edit', 'regenerate']);
    expect(audit[0]!.detail).toMatchObject({ stale: ['cvss.rationale', 'summary'], regenerated: [] });
    expect(audit[1]!.detail).toMatchObject({ paths: ['cvss.rationale', 'summary'], via: 'api' });
  });

  it('keeps stale text as written when a reviewer confirms it, and refuses an unknown path (400, nothing changed)', async () => {
    const fixture = await setup();
    await asModelDraft(fixture);
    await call(fixture, `/api/drafts/${ID}`, { version: 2, ...LOWER }, 'PATCH');
    const before = (await fixture.store.drafts.get(ID))!;
    const wrong = await call(fixture, `/api/drafts/${ID}/confirm-text`, { version: before.version, paths: ['layers.9.text'] });
    expect(wrong.status).toBe(400);
    expect((await fixture.store.drafts.get(ID))!.version).toBe(before.version);
    const confirmed = await call(fixture, `/api/drafts/${ID}/confirm-text`, { version: before.version, paths: ['summary'] });
    expect(confirmed.status).toBe(200);
    const after = (await fixture.store.drafts.get(ID))!;
    expect([after.staleText, after.assessment.summary, after.status]).toEqual([['cvss.rationale'], before.assessment.summary, before.status]);
    expect((await fixture.store.audit.list({ subject: ID })).at(-1)).toMatchObject({ actor: 'alice', action: 'confirm-text', detail: { paths: ['summary'] } });
  });

  it('shows stale text on the draft page with one-click regenerate and keep buttons that work with the session', async () => {
    const fixture = await setup();
    await asModelDraft(fixture);
    await call(fixture, `/api/drafts/${ID}`, { version: 2, ...LOWER }, 'PATCH');
    const session = await signIn(fixture.app, fixture.tokens.bob);
    const page = load(await (await fixture.app.request(`/drafts/${ID}`, { headers: { Cookie: session.cookie } })).text());
    expect(page('#stale-text li code').toArray().map((node) => page(node).text())).toEqual(['cvss.rationale', 'summary']);
    const version = (await fixture.store.drafts.get(ID))!.version;
    const response = await fixture.app.request(`/drafts/${ID}/regenerate`, {
      method: 'POST',
      headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrf, version: String(version), paths: 'summary' }).toString(),
    });
    expect(response.status).toBe(303);
    expect((await fixture.store.drafts.get(ID))!.staleText).toEqual(['cvss.rationale']);
    const forged = await fixture.app.request(`/drafts/${ID}/confirm-text`, {
      method: 'POST',
      headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'wrong', version: String(version + 1) }).toString(),
    });
    expect(forged.status).toBe(403);
    expect((await fixture.store.drafts.get(ID))!.staleText).toEqual(['cvss.rationale']);
  });

  it('refuses to publish an approved draft with stale text until it is confirmed', async () => {
    const fixture = await setup();
    await asModelDraft(fixture);
    await call(fixture, `/api/drafts/${ID}`, { version: 2, ...LOWER }, 'PATCH');
    const version = (await fixture.store.drafts.get(ID))!.version;
    expect((await call(fixture, `/api/drafts/${ID}/approve`, { version })).status).toBe(200);
    const out = mkdtempSync(join(tmpdir(), 'td-stale-site-'));
    const first = await publishSite({ store: fixture.store, outDir: join(out, 'a') });
    expect(first.published).toEqual([]);
    expect(first.refused).toEqual([{ id: ID, staleText: ['cvss.rationale', 'summary'] }]);
    expect((await fixture.store.drafts.get(ID))!.status).toBe('approved');
    const approved = (await fixture.store.drafts.get(ID))!;
    expect((await call(fixture, `/api/drafts/${ID}/confirm-text`, { version: approved.version })).status).toBe(200);
    const second = await publishSite({ store: fixture.store, outDir: join(out, 'b') });
    expect([second.published, second.refused]).toEqual([[ID], []]);
  });

  it('regenerates and confirms from the CLI with the reviewer’s token, and publish exits 1 while text is stale', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-stale-cli-'));
    const store = new FileStore({ root: data });
    await store.listings.put(createListing());
    const draft = createDraft();
    await store.drafts.save(
      { ...draft, status: 'approved', staleText: ['summary', 'mitigation.rationale'], provenance: { ...draft.provenance, assessor: 'openai', model: 'm' } },
      null,
    );
    await store.close();
    const add = captureIo();
    await main(['reviewers', 'add', 'carol', '--data', data], add);
    const token = (JSON.parse(add.out()) as { token: string }).token;
    const env = { THREATDRAFT_REVIEWER_TOKEN: token };

    const publish = captureIo();
    expect(await main(['publish', '--out', join(data, 'site'), '--data', data, '--json'], publish)).toBe(1);
    expect(JSON.parse(publish.out())).toMatchObject({ published: [], refused: [{ id: ID, staleText: ['summary', 'mitigation.rationale'] }] });

    const confirm = captureIo({ env });
    expect(await main(['drafts', 'confirm-text', ID, '--path', 'mitigation.rationale', '--data', data, '--json'], confirm)).toBe(0);
    expect(JSON.parse(confirm.out())).toMatchObject({ id: ID, action: 'confirm-text', staleText: ['summary'] });
    const noToken = captureIo();
    expect(await main(['drafts', 'confirm-text', ID, '--data', data], noToken)).toBe(2);
    const approvedRegenerate = captureIo({ env });
    // An approved draft's words are not rewritten behind its approval: send it back, or confirm.
    expect(await main(['drafts', 'regenerate', ID, '--data', data], approvedRegenerate)).toBe(1);
    const rest = captureIo({ env });
    expect(await main(['drafts', 'confirm-text', ID, '--data', data, '--json'], rest)).toBe(0);
    const again = captureIo();
    expect(await main(['publish', '--out', join(data, 'site'), '--data', data, '--json'], again)).toBe(0);
    expect(JSON.parse(again.out())).toMatchObject({ published: [ID], refused: [] });
  });
});
