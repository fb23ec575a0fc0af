/**
 * The README's quick tour, run line by line exactly as written, in a fresh folder that holds the
 * package as a user's clone does (bin, package.json, examples, evals, built code), so the tour
 * cannot drift from the code: its draft ids must be the ones a fresh demo run gives, and every
 * line must exit 0. The one server line (`review`) runs until it says where it listens, then is
 * stopped with SIGTERM and must exit 0 too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The command lines of the README's "Quick tour" code block, comments and blank lines left out. */
export function tourCommands(readme: string): string[] {
  const section = /\n## Quick tour\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Runs a server line until its first output line names the URL, then stops it; resolves to its exit code. */
function runServer(line: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `exec ${line}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/"url":"http:\/\/127\.0\.0\.1:\d+"/.test(out)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the README quick tour', () => {
  const commands = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('is found in the README: npm start first, then the commands a new user runs', () => {
    expect(commands[0]).toBe('npm start');
    expect(commands.length).toBeGreaterThanOrEqual(6);
    expect(commands.some((line) => line.includes(' review'))).toBe(true);
  });

  it('runs verbatim against a fresh demo store, every line exiting 0', { timeout: 240_000 }, async () => {
    ensureBuilt(ROOT);
    const cwd = mkdtempSync(join(tmpdir(), 'td-tour-'));
    for (const entry of ['bin', 'dist', 'examples', 'evals', 'prompts', 'node_modules', 'package.json']) symlinkSync(join(ROOT, entry), join(cwd, entry));
    // A fresh store in the folder: no THREATDRAFT_DATA or REDIS_URL from the environment, no color.
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '', HOME: cwd, NO_COLOR: '1', LOG_LEVEL: 'warn' };
    const results: Array<{ line: string; code: number | null; out: string }> = [];
    for (const line of commands) {
      if (/ review( |$)/.test(line)) {
        // Non-interactive, so it prints { url, … } as JSON once it listens.
        const { code, out } = await runServer(line, cwd, env);
        results.push({ line, code, out });
        continue;
      }
      const run = spawnSync('bash', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 180_000 });
      results.push({ line, code: run.status, out: `${run.stdout}${run.stderr}` });
    }
    const failed = results.filter((result) => result.code !== 0).map((result) => `${result.line}\n${result.out.slice(-2000)}`);
    expect(failed).toEqual([]);
    // What the tour says it makes is there.
    expect(statSync(join(cwd, 'alice.token')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(cwd, 'site/index.html'))).toBe(true);
    expect(readFileSync(join(cwd, 'site/index.html'), 'utf8')).toContain('Koala 13B Chat');
    expect(existsSync(join(cwd, 'eval-report/eval-report.html'))).toBe(true);
    expect(results.find((result) => result.line.includes('eval --report'))?.out).toContain(`report written to ${join(cwd, 'eval-report', 'eval-report.html')}`);
  });
});
