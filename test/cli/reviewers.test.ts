import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ReviewService } from '../../src/review/service.js';
import { hashToken } from '../../src/review/tokens.js';
import { FileStore } from '../../src/store/file-store.js';
import { openStore } from '../../src/store/open-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { captureIo } from '../helpers/io.js';
import { deleteKeysWithPrefix, redisUrlForTests } from '../helpers/redis.js';

function allText(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    text += statSync(path).isDirectory() ? allText(path) : readFileSync(path, 'utf8');
  }
  return text;
}

describe('threatdraft reviewers', () => {
  it('adds a reviewer, prints { name, token } once and stores only the sha256 of the token', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    const io = captureIo();
    expect(await main(['reviewers', 'add', 'alice', '--data', data], io)).toBe(0);
    const printed = JSON.parse(io.out()) as { name: string; token: string };
    expect(printed).toEqual({ name: 'alice', token: expect.stringMatching(/^tdr_[A-Za-z0-9_-]{43}$/) });
    const stored = allText(data);
    expect(stored).not.toContain(printed.token);
    expect(stored).toContain(hashToken(printed.token));
    const store = new FileStore({ root: data });
    expect((await store.reviewers.findByTokenHash(hashToken(printed.token)))?.name).toBe('alice');
    await store.close();
  });

  it('lists reviewers without tokens and removes one', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    await main(['reviewers', 'add', 'bob', '--data', data], captureIo());
    await main(['reviewers', 'add', 'alice', '--data', data], captureIo());
    const list = captureIo();
    expect(await main(['reviewers', 'list', '--data', data, '--json'], list)).toBe(0);
    const lines = list.out().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['name'] ?? line['reviewers'])).toEqual(['alice', 'bob', 2]);
    expect(list.out()).not.toMatch(/token/i);
    expect(await main(['reviewers', 'remove', 'bob', '--data', data], captureIo())).toBe(0);
    const missing = captureIo();
    expect(await main(['reviewers', 'remove', 'bob', '--data', data], missing)).toBe(2);
    expect(missing.err()).toContain('No reviewer named "bob"');
  });

  it('refuses a duplicate or malformed name as bad input (exit 2), keeping the reviewer already stored', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    const first = captureIo();
    await main(['reviewers', 'add', 'alice', '--data', data, '--json'], first);
    const { token } = JSON.parse(first.out()) as { token: string };
    const dup = captureIo();
    expect(await main(['reviewers', 'add', 'alice', '--data', data], dup)).toBe(2);
    expect(dup.err()).toContain('Reviewer "alice" already exists');
    expect(dup.err()).toContain('[E_REVIEWER_EXISTS]');
    const list = captureIo();
    await main(['reviewers', 'list', '--data', data, '--json'], list);
    expect(list.out().trim().split('\n')).toHaveLength(2);
    const store = await openStore({ dataDir: data });
    expect((await new ReviewService({ store }).authenticate(token))?.name).toBe('alice');
    await store.close();
    const bad = captureIo();
    expect(await main(['reviewers', 'add', '<b>', '--data', data], bad)).toBe(2);
    expect(bad.err()).toContain('`name`');
  });
});

describe('threatdraft reviewers policy', () => {
  const json = (io: ReturnType<typeof captureIo>): Record<string, unknown> => JSON.parse(io.out()) as Record<string, unknown>;

  it('prints the default (off, never set) on a store without a policy', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    const io = captureIo();
    expect(await main(['reviewers', 'policy', '--data', data, '--json'], io)).toBe(0);
    expect(json(io)).toEqual({ twoPerson: false, setBy: null, at: null });
    const tty = captureIo({ tty: true });
    expect(await main(['reviewers', 'policy', '--data', data], tty)).toBe(0);
    expect(tty.out()).toBe('Two-person rule: off (the default; no policy was ever set in this store)\n');
  });

  it('sets the policy in the store, records the OS user, prints it back and audits the change', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    const me = userInfo().username;
    const set = captureIo();
    expect(await main(['reviewers', 'policy', '--two-person', 'on', '--data', data, '--json'], set)).toBe(0);
    expect(json(set)).toEqual({ twoPerson: true, setBy: me, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), before: null });
    const shown = captureIo();
    expect(await main(['reviewers', 'policy', '--data', data], shown)).toBe(0);
    expect(json(shown)).toEqual({ twoPerson: true, setBy: me, at: json(set)['at'] });

    const off = captureIo({ tty: true });
    expect(await main(['reviewers', 'policy', '--two-person', 'off', '--data', data], off)).toBe(0);
    expect(off.out()).toBe(`Two-person rule: off for every process using this store (was on; set by ${me})\n`);

    const store = new FileStore({ root: data });
    try {
      expect(await store.policy.get()).toEqual({ twoPerson: false, setBy: me, at: expect.any(String) });
      expect(await store.audit.list({ subject: 'policy:two-person' })).toEqual([
        { at: expect.any(String), actor: me, action: 'policy', subject: 'policy:two-person', detail: { twoPerson: true, before: null } },
        { at: expect.any(String), actor: me, action: 'policy', subject: 'policy:two-person', detail: { twoPerson: false, before: true } },
      ]);
    } finally {
      await store.close();
    }
  });

  it('keeps the policy in the Redis store of the namespace when REDIS_URL is set', async () => {
    const url = await redisUrlForTests();
    const namespace = `td-policy-${randomUUID().slice(0, 8)}`;
    const env = { REDIS_URL: url, THREATDRAFT_NAMESPACE: namespace };
    try {
      expect(await main(['reviewers', 'policy', '--two-person', 'on', '--json'], captureIo({ env }))).toBe(0);
      const store = new RedisStore({ url, prefix: `${namespace}:` });
      try {
        expect(await store.policy.get()).toMatchObject({ twoPerson: true });
        expect((await store.audit.list()).map((entry) => entry.action)).toEqual(['policy']);
      } finally {
        await store.close();
      }
      const shown = captureIo({ env });
      expect(await main(['reviewers', 'policy', '--json'], shown)).toBe(0);
      expect(json(shown)).toMatchObject({ twoPerson: true });
    } finally {
      await deleteKeysWithPrefix(url, `${namespace}:`);
    }
  });

  it.each([['maybe'], ['ON'], ['1'], ['']])('refuses --two-person %j with exit 2 naming the option, storing nothing', async (value) => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    const io = captureIo();
    expect(await main(['reviewers', 'policy', '--two-person', value, '--data', data], io)).toBe(2);
    expect(io.err()).toContain('`--two-person`');
    expect(io.err()).toContain('on or off');
    expect(readdirSync(data)).toEqual([]);
  });

  it('documents who may set it and that the flag cannot lift it in --help', async () => {
    const io = captureIo();
    expect(await main(['reviewers', 'policy', '--help'], io)).toBe(0);
    expect(io.out()).toContain('--two-person <on|off>');
    expect(io.out()).toContain('anyone who can write the store');
    expect(io.out()).toContain('never lift a policy that is on');
  });
});
