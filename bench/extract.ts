/** Extraction throughput over the 35 reference listing pages (pure CPU, one core). */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { extractListing } from '../src/crawl/extract.js';
import type { BenchResult } from './types.js';

const TARGET_PER_SECOND = 200;
const DURATION_MS = 2000;

function fixturesDir(): string {
  // Works from bench/ (tsx) and from dist/bench/ (after build): walk up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above bench/extract');
    dir = parent;
  }
  return resolve(dir, 'test/fixtures/reference-dev/listings');
}

/** Listings extracted per second, repeating the reference pages for about two seconds. */
export async function bench(): Promise<BenchResult[]> {
  const dir = fixturesDir();
  const pages = readdirSync(dir)
    .filter((name) => name.endsWith('.html'))
    .sort()
    .map((name) => ({ url: `https://directory.example/agents/${name}`, html: readFileSync(join(dir, name), 'utf8') }));
  // Warm-up so the JIT and tokenizer tables are loaded before timing.
  for (const page of pages) extractListing(page.html, { url: page.url, sourceId: 'bench', fetchedAt: '2026-01-01T00:00:00Z' });
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < DURATION_MS) {
    for (const page of pages) {
      extractListing(page.html, { url: page.url, sourceId: 'bench', fetchedAt: '2026-01-01T00:00:00Z' });
      count++;
    }
  }
  const elapsedS = (performance.now() - started) / 1000;
  const perSecond = Math.round(count / elapsedS);
  return [
    {
      name: 'extract: reference listings per second (one core)',
      value: perSecond,
      unit: 'listings/s',
      target: `>= ${TARGET_PER_SECOND}`,
      ok: perSecond >= TARGET_PER_SECOND,
    },
  ];
}
