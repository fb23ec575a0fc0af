import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FileStore } from '../../src/store/file-store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { controlCharacters } from '../helpers/controls.js';
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

/** The audit entries about drafts (not reviewer management). */
async function auditOf(data: string) {
  const store = new FileStore({ root: data });
  try {
    return (await store.audit.list()).filter((entry) => /\.r\d+$/.test(entry.subject));
  } finally {
    await store.close();
  }
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err(), lines: io.out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('hardening #4 (control characters never reach a terminal)', () => {
  // An OSC 52 clipboard write, a CSI screen clear, a C1 CSI and a bell, as a listing stored by an
  // older version (or any other source) could still carry them.
  const HOSTILE = 'Evil\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007 Agent\u001b[2J\u009b31m\u0085';

  it('hardening #4: drafts list and show escape control characters from stored listings, on a TTY and in JSON lines', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-drafts-'));
    const store = new FileStore({ root: data });
    await store.listings.put(createListing({ title: HOSTILE }));
    await store.drafts.save(createDraft({ assessment: { ...createAssessment(), summary: `Summary ${HOSTILE}` } }), null);
    await store.close();
    for (const args of [['drafts', 'list'], ['drafts', 'show', 'acme-ops-agent.r1']]) {
      const tty = captureIo({ tty: true, env: { NO_COLOR: '1' } });
      expect(await main([...args, '--data', data], tty)).toBe(0);
      expect(controlCharacters(tty.out())).toEqual([]);
      // With color, the only escape sequences on the terminal are the CLI's own colors (SGR).
      const colored = captureIo({ tty: true });
      expect(await main([...args, '--data', data], colored)).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(colored.out()).toMatch(/\u001b\[[\d;]+m(Low|Medium|High|Critical|None)\u001b\[0m/);
      // eslint-disable-next-line no-control-regex
      expect(controlCharacters(colored.out().replace(/\u001b\[[\d;]+m/g, ''))).toEqual([]);
      expect(colored.out()).toContain('Evil\\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\u0007 Agent');
      expect(tty.out()).toContain('Evil\\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\u0007 Agent\\u001b[2J\\u009b31m\\u0085');
      const json = captureIo();
      expect(await main([...args, '--data', data, '--json'], json)).toBe(0);
      expect(controlCharacters(json.out())).toEqual([]);
      // Escaped inside JSON strings, the value is the same: machines still read the stored text.
      expect(json.out()).toContain(JSON.stringify(HOSTILE).slice(1, -1).replace('\u009b', '\\u009b').replace('\u0085', '\\u0085'));
    }
    const listed = captureIo();
    await main(['drafts', 'list', '--data', data, '--json'], listed);
    expect((JSON.parse(listed.out().split('\n')[0]!) as { title: string }).title).toBe(HOSTILE);
  });
});

describe('hardening #5 (a torn audit log)', () => {
  it('hardening #5: drafts show, the draft page and status work after a crash tore the last audit line; status names the line', async () => {
    const { data, tokens } = await seeded();
    expect((await run(['drafts', 'approve', 'calm-notes.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice']! })).code).toBe(0);
    writeFileSync(join(data, 'audit.jsonl'), '{"at":"2025-03-01T12:00:00.000Z","actor":"bob","act', { flag: 'a' });
    const show = await run(['drafts', 'show', 'calm-notes.r1', '--data', data, '--json']);
    expect(show.code).toBe(0);
    expect(show.lines[0]).toMatchObject({ draft: { id: 'calm-notes.r1' }, audit: [expect.objectContaining({ action: 'approve' })] });
    const status = await run(['status', '--data', data, '--json']);
    expect(status.code).toBe(0);
    expect(status.lines[0]).toMatchObject({ store: 'file', auditEntries: 3, auditTornLines: [4] });
    const human = captureIo({ tty: true });
    expect(await main(['status', '--data', data], human)).toBe(0);
    expect(human.out()).toMatch(/audit torn lines +1 \(line 4\): writes cut short by a crash or a full disk, skipped by every reader/);
    const { createReviewApp } = await import('../../src/review/app.js');
    const { ReviewService } = await import('../../src/review/service.js');
    const store = new FileStore({ root: data });
    try {
      const app = createReviewApp({ service: new ReviewService({ store }) });
      const page = await app.request('/api/drafts/calm-notes.r1', { headers: { Authorization: `Bearer ${tokens['bob']!}` } });
      expect(page.status).toBe(200);
      expect(((await page.json()) as { audit: unknown[] }).audit).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

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

  it('approves with THREATDRAFT_REVIEWER_TOKEN or --token-file and writes the same audit entries as the API', async () => {
    const { data, tokens } = await seeded();
    const byEnv = await run(['drafts', 'approve', 'calm-notes.r1', '--comment', 'ok', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect(byEnv.lines[0]).toEqual({ id: 'calm-notes.r1', action: 'approve', status: 'approved', version: 2, approvals: ['alice'], requiredApprovals: 1, twoPerson: false });
    const tokenFile = join(data, 'bob.token');
    writeFileSync(tokenFile, `${tokens['bob']}\n`, { mode: 0o600 });
    // --token-file wins over the environment: the entry names bob, not alice.
    const byFile = await run(['drafts', 'reject', 'acme-ops-agent.r1', '--comment', 'not an agent', '--token-file', tokenFile, '--data', data, '--json'], {
      THREATDRAFT_REVIEWER_TOKEN: tokens['alice'],
    });
    expect(byFile.lines[0]).toMatchObject({ status: 'rejected' });
    const audit = await auditOf(data);
    expect(audit).toEqual([
      { at: expect.any(String), actor: 'alice', action: 'approve', subject: 'calm-notes.r1', detail: expect.objectContaining({ comment: 'ok', via: 'cli', version: 2 }) },
      { at: expect.any(String), actor: 'bob', action: 'reject', subject: 'acme-ops-agent.r1', detail: expect.objectContaining({ comment: 'not an agent', via: 'cli' }) },
    ]);
  });

  it('reads the token from stdin with --token-file -', async () => {
    const { data, tokens } = await seeded();
    const io = captureIo({ stdin: `${tokens['bob']}\n` });
    expect(await main(['drafts', 'request-changes', 'calm-notes.r1', '--comment', 'L3 is wrong', '--token-file', '-', '--data', data, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ status: 'changes-requested' });
    expect((await auditOf(data)).map((e) => [e.actor, e.action])).toEqual([['bob', 'request-changes']]);
  });

  it.each([
    ['no token at all', [], {}, 'THREATDRAFT_REVIEWER_TOKEN'],
    ['an empty THREATDRAFT_REVIEWER_TOKEN', [], { THREATDRAFT_REVIEWER_TOKEN: '  ' }, 'THREATDRAFT_REVIEWER_TOKEN'],
    ['an unknown token', [], { THREATDRAFT_REVIEWER_TOKEN: 'tdr_wrong-wrong-wrong-wrong' }, 'not a known reviewer token'],
    ['a missing token file', ['--token-file', '/nonexistent/threatdraft.token'], {}, 'Cannot read --token-file /nonexistent/threatdraft.token: ENOENT'],
    ['--as NAME, which no longer authenticates', ['--as', 'alice'], {}, '`--as` was removed'],
  ])('refuses an approval with %s: exit 2, a clear message, nothing changed', async (_label, extra, env, message) => {
    const { data } = await seeded();
    const refused = await run(['drafts', 'approve', 'calm-notes.r1', ...extra, '--data', data], env);
    expect([refused.code, refused.out]).toEqual([2, '']);
    expect(refused.err).toContain(message);
    const shown = await run(['drafts', 'show', 'calm-notes.r1', '--data', data, '--json']);
    expect(shown.lines[0]).toMatchObject({ draft: { status: 'draft', version: 1, reviews: [] }, audit: [] });
  });

  it('refuses an empty token file and the token of a removed reviewer (exit 2), changing nothing', async () => {
    const { data, tokens } = await seeded();
    const empty = join(data, 'empty.token');
    writeFileSync(empty, '\n');
    const fromEmpty = await run(['drafts', 'reject', 'calm-notes.r1', '--comment', 'no', '--token-file', empty, '--data', data]);
    expect([fromEmpty.code, fromEmpty.err]).toEqual([2, expect.stringContaining('is empty')]);
    expect((await run(['reviewers', 'remove', 'bob', '--data', data])).code).toBe(0);
    const removed = await run(['drafts', 'reject', 'calm-notes.r1', '--comment', 'no', '--data', data], { THREATDRAFT_REVIEWER_TOKEN: tokens['bob'] });
    expect([removed.code, removed.err]).toEqual([2, expect.stringContaining('not a known reviewer token')]);
    expect((await auditOf(data)).filter((e) => e.subject === 'calm-notes.r1')).toEqual([]);
  });

  it('refuses a reject without a comment (exit 2), changing nothing', async () => {
    const { data, tokens } = await seeded();
    const noComment = await run(['drafts', 'reject', 'calm-notes.r1', '--data', data], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect([noComment.code, noComment.err]).toEqual([2, expect.stringContaining('`comment`')]);
    const shown = await run(['drafts', 'show', 'calm-notes.r1', '--data', data, '--json']);
    expect(shown.lines[0]).toMatchObject({ draft: { status: 'draft', version: 1 }, audit: [] });
  });

  it('needs two different reviewers\' tokens under the two-person rule: one token twice is refused', async () => {
    const { data, tokens } = await seeded();
    const alice = { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] };
    const first = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--data', data, '--json'], { ...alice, THREATDRAFT_TWO_PERSON: '1' });
    expect(first.lines[0]).toMatchObject({ status: 'draft', approvals: ['alice'], requiredApprovals: 2 });
    const again = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--two-person', '--data', data, '--json'], alice);
    expect(again.code).toBe(1);
    expect(again.err).toContain('different reviewer');
    // Without a token, naming another reviewer gets nowhere.
    const impersonated = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--as', 'bob', '--two-person', '--data', data, '--json']);
    expect(impersonated.code).toBe(2);
    expect((await run(['drafts', 'show', 'acme-ops-agent.r1', '--data', data, '--json'])).lines[0]).toMatchObject({ draft: { status: 'draft' }, approvals: ['alice'] });
    const second = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--two-person', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['bob'] });
    expect(second.lines[0]).toMatchObject({ status: 'approved', approvals: ['alice', 'bob'] });
    expect((await auditOf(data)).map((e) => [e.actor, e.action, e.detail?.['status']])).toEqual([
      ['alice', 'approve', 'draft'],
      ['bob', 'approve', 'approved'],
    ]);
  });

  it('applies the store\'s two-person policy to approvals run without any flag', async () => {
    const { data, tokens } = await seeded();
    const policy = await run(['reviewers', 'policy', '--two-person', 'on', '--data', data, '--json']);
    expect([policy.code, policy.lines[0]]).toEqual([0, expect.objectContaining({ twoPerson: true, before: null })]);

    // Neither --two-person nor THREATDRAFT_TWO_PERSON: the store's policy alone holds the draft.
    const first = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect([first.code, first.lines[0]]).toEqual([
      0,
      { id: 'acme-ops-agent.r1', action: 'approve', status: 'draft', version: 2, approvals: ['alice'], requiredApprovals: 2, twoPerson: true },
    ]);
    const again = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect([again.code, again.err]).toEqual([1, expect.stringContaining('different reviewer')]);
    const shown = await run(['drafts', 'show', 'acme-ops-agent.r1', '--data', data, '--json']);
    expect(shown.lines[0]).toMatchObject({ draft: { status: 'draft' }, approvals: ['alice'], requiredApprovals: 2, twoPerson: true });
    const tty = captureIo({ tty: true });
    expect(await main(['drafts', 'show', 'acme-ops-agent.r1', '--data', data], tty)).toBe(0);
    expect(tty.out()).toContain('Approvals: 1 of 2\nTwo-person rule: on (store policy, set by ');

    // A Medium draft still needs one approval.
    const medium = await run(['drafts', 'approve', 'calm-notes.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect(medium.lines[0]).toMatchObject({ status: 'approved', requiredApprovals: 1, twoPerson: true });

    const second = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['bob'] });
    expect(second.lines[0]).toMatchObject({ status: 'approved', approvals: ['alice', 'bob'], requiredApprovals: 2 });
    const store = new FileStore({ root: data });
    try {
      const entries = (await store.audit.list()).filter((entry) => entry.action === 'policy' || entry.subject === 'acme-ops-agent.r1');
      expect(entries.map((entry) => [entry.action, entry.subject, entry.actor === 'alice' || entry.actor === 'bob' ? entry.actor : 'os-user', entry.detail?.['status'] ?? entry.detail?.['twoPerson']])).toEqual([
        ['policy', 'policy:two-person', 'os-user', true],
        ['approve', 'acme-ops-agent.r1', 'alice', 'draft'],
        ['approve', 'acme-ops-agent.r1', 'bob', 'approved'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('lets --two-person add the rule when the policy is off, and THREATDRAFT_TWO_PERSON=0 not lift a policy that is on', async () => {
    const { data, tokens } = await seeded();
    expect((await run(['reviewers', 'policy', '--two-person', 'off', '--data', data])).code).toBe(0);
    const strict = await run(['drafts', 'show', 'acme-ops-agent.r1', '--two-person', '--data', data, '--json']);
    expect(strict.lines[0]).toMatchObject({ requiredApprovals: 2, twoPerson: true });
    expect((await run(['reviewers', 'policy', '--two-person', 'on', '--data', data])).code).toBe(0);
    const lax = await run(['drafts', 'approve', 'acme-ops-agent.r1', '--data', data, '--json'], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'], THREATDRAFT_TWO_PERSON: '0' });
    expect(lax.lines[0]).toMatchObject({ status: 'draft', requiredApprovals: 2, twoPerson: true });
  });

  it('documents token authentication in --help and no longer offers --as', async () => {
    const io = captureIo();
    expect(await main(['drafts', 'approve', '--help'], io)).toBe(0);
    expect(io.out()).toContain('--token-file <FILE>');
    expect(io.out()).toContain('THREATDRAFT_REVIEWER_TOKEN');
    expect(io.out()).not.toContain('--as');
  });

  it('reports a conflict when --expect-version is stale, changing nothing', async () => {
    const { data, tokens } = await seeded();
    const stale = await run(['drafts', 'approve', 'calm-notes.r1', '--expect-version', '7', '--data', data], { THREATDRAFT_REVIEWER_TOKEN: tokens['alice'] });
    expect([stale.code, stale.err]).toEqual([1, expect.stringContaining('changed by someone else')]);
    expect(await auditOf(data)).toEqual([]);
  });
});

describe('drafts list paging', () => {
  it('prints one page with --limit and --offset, counts still over every draft', async () => {
    const { data } = await seeded();
    const all = await run(['drafts', 'list', '--data', data, '--json']);
    const ids = all.lines.filter((line) => 'id' in line).map((line) => line['id']);
    expect(ids).toHaveLength(2);
    const first = await run(['drafts', 'list', '--data', data, '--json', '--limit', '1']);
    const second = await run(['drafts', 'list', '--data', data, '--json', '--limit', '1', '--offset', '1']);
    expect(first.lines.filter((line) => 'id' in line).map((line) => line['id'])).toEqual([ids[0]]);
    expect(second.lines.filter((line) => 'id' in line).map((line) => line['id'])).toEqual([ids[1]]);
    expect(second.lines.at(-1)).toMatchObject({ drafts: 1, counts: { total: 2 } });
  });

  it('refuses a --limit that is not a number, exit 2', async () => {
    const { data } = await seeded();
    const result = await run(['drafts', 'list', '--data', data, '--limit', 'ten']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--limit');
  });
});
