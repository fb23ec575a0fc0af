import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FileStore } from '../../src/store/file-store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { captureIo } from '../helpers/io.js';

async function seeded(): Promise<{ data: string; tokens: Record<string, string> }> {
  const data = mkdtempSync(join(tmpdir(), 'td-drafts-'));
  const store = new FileStore({ root: data });
  await store.listings.put(createListing());
  await store.drafts.save(createDraft(), null);
  await store.drafts.save(createDraft({ listingId: 'calm-notes', assessment: createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local.' } }) }), null);
  await store.close();
  const tokens: Record<string, string> = {};
  for (const name of ['alice', 'bob']) {
    const io = captureIo();
    await main(['reviewers', 'add', name, '--data', data], io);
    tokens[name] = (JSON.parse(io.out()) as { token: string }).token;
  }
  return { data, tokens };
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err(), lines: io.out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('threatdraft drafts', () => {
  it('lists drafts highest score first with a summary line last, and filters by status', async () => {
    const { data } = await seeded();
    const all = await run(['drafts', 'list', '--data', data, '--json']);
    expect(all.code).toBe(0);
    expect(all.lines.map((l) => l['id'] ?? `summary:${String(l['drafts'])}`)).toEqual(['acme-ops-agent.r1', 'calm-notes.r1', 'summary:2']);
    const none = await run(['drafts', 'list', '--status', 'approved', '--data', data, '--json']);
    expect(none.lines).toEqual([expect.objectContaining({ drafts: 0 })]);
    expect((await run(['drafts', 'list', '--status', 'nope', '--data', data])).code).toBe(2);
  });

  it('shows a draft on a TTY with "Not certain from the listing" once per uncertain layer', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-drafts-'));
    const store = new FileStore({ root: data });
    await store.listings.put(createListing());
    const base = createAssessment();
    const layers = base.layers.map((l) => (l.certain ? l : { ...l, text: `Not certain from the listing — ${l.text}` }));
    await store.drafts.save(createDraft({ assessment: { ...base, layers } }), null);
    await store.close();
    const io = captureIo({ tty: true });
    expect(await main(['drafts', 'show', 'acme-ops-agent.r1', '--data', data], io)).toBe(0);
    const uncertain = layers.filter((l) => !l.certain).length;
    expect(uncertain).toBeGreaterThan(0);
    expect(io.out().match(/Not certain from the listing/g)?.length).toBe(uncertain);
  });

  it('shows a draft as JSON', async () => {
    const { data } = await seeded();
    const shown = await run(['drafts', 'show', 'acme-ops-agent.r1', '--data', data, '--json']);
    expect(shown.lines[0]).toMatchObject({ draft: { id: 'acme-ops-agent.r1', status: 'draft' }, listing: { title: 'Acme Ops Agent' }, requiredApprovals: 1 });
    expect((await run(['drafts', 'show', 'missing.r1', '--data', data])).code).toBe(2);
  });

  it('approves as a named reviewer or with THREATDRAFT_REVIEWER_TOKEN and writes the same audit entries as the API', async () => {
    const { data, tokens } = await seeded();
    const byName = await run(['drafts', 'approve', 'calm-notes.r1', '--as', 'alice', '--comment', 'ok', '--data', data, '--json']);
    expect(byName.lines[0]).toEqual({ id: 'calm-notes.r1', action: 'approve', status: 'approved', version: 2, approvals: ['alice'], requiredApprovals: 1 });
    const byToken = await run(['drafts', 'reject', 'acme-ops-agent.r1', '--comment', 'not an agent', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['bob'] });
    expect(byToken.lines[0]).toMatchObject({ status: 'rejected' });
    const store = new FileStore({ root: data });
    const audit = (await store.audit.list()).filter((e) => e.subject.endsWith('.r1'));
    await store.close();
    expect(audit).toEqual([
      { at: expect.any(String), actor: 'alice', action: 'approve', subject: 'calm-notes.r1', detail: expect.objectContaining({ comment: 'ok', via: 'cli', version: 2 }) },
      { at: expect.any(String), actor: 'bob', action: 'reject', subject: 'acme-ops-agent.r1', detail: expect.objectContaining({ comment: 'not an agent', via: 'cli' }) },
    ]);
  });

  it('refuses an unknown reviewer, a bad token, a missing identity or a missing reject comment (exit 2), changing nothing', async () => {
    const { data } = await seeded();
    expect((await run(['drafts', 'approve', 'calm-notes.r1', '--as', 'mallory', '--data', data])).code).toBe(2);
    expect((await run(['drafts', 'approve', 'calm-notes.r1', '--data', data], { THREATDRAFT_REVIEWER_TOKEN: 'tdr_wrong-wrong-wrong' })).code).toBe(2);
    const anonymous = await run(['drafts', 'approve', 'calm-notes.r1', '--data', data]);
    expect([anonymous.code, anonymous.err]).toEqual([2, expect.stringContaining('--as NAME')]);
    const noComment = await run(['drafts', 'reject', 'calm-notes.r1', '--as', 'alice', '--data', data]);
    expect([noComment.code, noComment.err]).toEqual([2, expect.stringContaining('`comment`')]);
    const shown = await run(['drafts', 'show', 'calm-notes.r1', '--data', data, '--json']);
    expect(shown.lines[0]).toMatchObject({ draft: { status: 'draft', version: 1 }, audit: [] });
  });

  it('applies the two-person rule with --two-person or THREATDRAFT_TWO_PERSON', async () => {
    const { data } = await seeded();
    const first = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--as', 'alice', '--data', data, '--json'], { THREATDRAFT_TWO_PERSON: '1' });
    expect(first.lines[0]).toMatchObject({ status: 'draft', approvals: ['alice'], requiredApprovals: 2 });
    const again = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--as', 'alice', '--two-person', '--data', data, '--json']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('different reviewer');
    const second = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--as', 'bob', '--two-person', '--data', data, '--json']);
    expect(second.lines[0]).toMatchObject({ status: 'approved', approvals: ['alice', 'bob'] });
  });

  it('reports a conflict when --version is stale', async () => {
    const { data } = await seeded();
    const stale = await run(['drafts', 'approve', 'calm-notes.r1', '--as', 'alice', '--expect-version', '7', '--data', data]);
    expect([stale.code, stale.err]).toEqual([1, expect.stringContaining('changed by someone else')]);
  });
});
