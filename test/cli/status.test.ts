import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('threatdraft status and --data', () => {
  it('hardening #10: status --data FILE exits 2 with a clear error naming the file, not an unhandled rejection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'td-status-'));
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const io = captureIo();
    expect(await main(['status', '--data', file, '--json'], io)).toBe(2);
    expect(io.err()).toBe(`threatdraft: The data directory ${file} is a file, not a directory (set by --data or THREATDRAFT_DATA) [E_DATA_DIR]\n`);
    // As a process: exit 2 and one line, no stack trace.
    // REDIS_URL (CI sets it) would select the Redis store over --data.
    const child = spawnSync(process.execPath, [join(ROOT, 'bin/threatdraft.js'), 'status', '--data', file], { encoding: 'utf8', cwd: dir, env: { ...process.env, REDIS_URL: '' } });
    expect(child.status).toBe(2);
    expect(child.stderr).toBe(`threatdraft: The data directory ${file} is a file, not a directory (set by --data or THREATDRAFT_DATA) [E_DATA_DIR]\n`);
  });

  it.each([
    ['drafts', 'list'],
    ['reviewers', 'list'],
    ['publish', '--out', 'site'],
  ])('refuses a data directory inside a file for %s %s with exit 2', async (...args) => {
    const dir = mkdtempSync(join(tmpdir(), 'td-status-'));
    writeFileSync(join(dir, 'file'), 'x');
    const io = captureIo();
    expect(await main([...args, '--data', join(dir, 'file', 'store')], io)).toBe(2);
    expect(io.err()).toContain('lies inside a file, not a directory');
  });

  it('counts an empty store in a directory that does not exist yet', async () => {
    const io = captureIo();
    expect(await main(['status', '--data', join(mkdtempSync(join(tmpdir(), 'td-status-')), 'new'), '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ store: 'file', listings: 0, auditEntries: 0, auditTornLines: [] });
  });
});
