/**
 * CLI start-up: median wall time of `node bin/threatdraft.js --help` (target under 300 ms) and of
 * `score` on the bundled example, beside a bare `node -e ''` measured in the same run, so the
 * project's own share is visible even on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The package root, from `bench/` (tsx) or `dist/bench/` (compiled). */
const ROOT = resolve(HERE, HERE.endsWith(join('dist', 'bench')) ? '../..' : '..');
const RUNS = 15;

/** Median wall milliseconds of running `node …args` to completion (after one untimed warm-up). */
function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(0, 300)}`);
    if (run > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

export async function bench(): Promise<BenchResult[]> {
  const bare = medianMs(['-e', '']);
  const help = medianMs([join(ROOT, 'bin', 'threatdraft.js'), '--help']);
  const score = medianMs([join(ROOT, 'bin', 'threatdraft.js'), 'score', '--json', join(ROOT, 'examples', 'score-input.json')]);
  const round = (ms: number): number => Math.round(ms);
  return [
    { name: 'startup: bare node -e "" (for comparison)', value: round(bare), unit: 'ms' },
    { name: 'startup: threatdraft --help', value: round(help), unit: 'ms', target: '< 300', ok: help < 300 },
    { name: 'startup: threatdraft score --json examples/score-input.json', value: round(score), unit: 'ms' },
  ];
}
