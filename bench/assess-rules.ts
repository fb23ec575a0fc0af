/** Rules assessor throughput on one core over the 35 reference-dev listings (extraction excluded). */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../src/assess/prompts.js';
import { extractListing } from '../src/crawl/extract.js';
import { runChecks } from '../src/assess/checks.js';
import { assessWithRules } from '../src/assess/rules/assess.js';
import type { BenchResult } from './types.js';

function rate(run: () => void, perRound: number, ms: number): number {
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    run();
    done += perRound;
  }
  return done / ((performance.now() - started) / 1000);
}

export async function bench(): Promise<BenchResult[]> {
  const cases = join(findPackageRoot(), 'evals', 'cases');
  const listings = readdirSync(cases)
    .filter((id) => id.startsWith('ref-'))
    .map((id) => extractListing(readFileSync(join(cases, id, 'listing.html'), 'utf8'), { url: `https://directory.example/${id}`, sourceId: 'bench', fetchedAt: '2026-01-01T00:00:00.000Z' }));
  const assessOnly = (): void => {
    for (const listing of listings) assessWithRules(listing);
  };
  const withChecks = (): void => {
    for (const listing of listings) runChecks(listing, assessWithRules(listing));
  };
  rate(assessOnly, listings.length, 300);
  const assessments = rate(assessOnly, listings.length, 2_000);
  const checked = rate(withChecks, listings.length, 2_000);
  return Promise.resolve([
    { name: 'rules assessments per second (35 reference listings)', value: Math.round(assessments), unit: 'assessments/s', target: '>= 500', ok: assessments >= 500 },
    { name: 'rules assessment + checks per second', value: Math.round(checked), unit: 'assessments/s', target: '>= 500', ok: checked >= 500 },
    { name: 'rules assessment latency (mean)', value: Number((1000 / assessments).toFixed(3)), unit: 'ms', target: '< 10', ok: 1000 / assessments < 10 },
  ]);
}
