import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/threatdraft.js');
const LISTING = join(ROOT, 'evals/cases/ref-openhands/listing.html');

describe('the threatdraft binary', () => {
  it('exits quietly, without a stack trace, when the reader of stdout goes away (| head)', () => {
    if (!existsSync(join(ROOT, 'dist/src/cli/io.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
    // 40 drafts of ~15 kB each overflow the pipe buffer long after `head` has closed its end.
    const inputs = Array.from({ length: 40 }, () => `'${LISTING}'`).join(' ');
    const child = spawnSync('sh', ['-c', `'${process.execPath}' '${BIN}' assess ${inputs} --json | head -c 100 > /dev/null`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    expect(child.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|at /);
    expect(child.status).toBe(0);
  });
});
