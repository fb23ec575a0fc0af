import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { hashToken } from '../../src/review/tokens.js';
import { FileStore } from '../../src/store/file-store.js';
import { captureIo } from '../helpers/io.js';

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

  it('refuses a duplicate or malformed name', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-cli-'));
    await main(['reviewers', 'add', 'alice', '--data', data], captureIo());
    const dup = captureIo();
    expect(await main(['reviewers', 'add', 'alice', '--data', data], dup)).toBe(1);
    expect(dup.err()).toContain('already exists');
    const bad = captureIo();
    expect(await main(['reviewers', 'add', '<b>', '--data', data], bad)).toBe(2);
    expect(bad.err()).toContain('`name`');
  });
});
