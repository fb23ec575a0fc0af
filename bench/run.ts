/**
 * `npm run bench`: runs every bench module in this folder (each exports `bench()`), one after
 * the other so figures are measured side by side in one run, and prints a table.
 * `npm run bench -- aivss crawl` runs only the named modules.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { removeScratch } from './_scratch.js';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((file) => /\.js$/.test(file) && !['run.js', 'types.js'].includes(file) && !file.startsWith('_'))
  .map((file) => file.replace(/\.js$/, ''))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

const rows: BenchResult[] = [];
let failed = false;
for (const name of modules) {
  process.stderr.write(`bench ${name}…\n`);
  try {
    const module = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as { bench?: () => Promise<BenchResult[]> };
    if (typeof module.bench !== 'function') continue;
    for (const result of await module.bench()) {
      rows.push(result);
      const mark = result.ok === undefined ? ' ' : result.ok ? '✓' : '✗';
      process.stdout.write(
        `${mark} ${result.name.padEnd(64)} ${String(result.value).padStart(12)} ${result.unit}${result.target ? `   (target ${result.target})` : ''}\n`,
      );
    }
  } catch (error) {
    failed = true;
    process.stdout.write(`✗ ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
removeScratch();
const missed = rows.filter((row) => row.ok === false);
process.stdout.write(`\n${rows.length} figures, ${missed.length} below target\n`);
for (const row of missed) process.stdout.write(`  missed: ${row.name}: ${row.value} ${row.unit} (target ${row.target ?? '?'})\n`);
// A missed target fails the run, like a failing test: the targets are the benchmarks' assertions.
if (failed || missed.length > 0) process.exitCode = 1;
