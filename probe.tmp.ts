import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { listingFromJson } from './src/crawl/documents/index.js';
import { LISTING_FILES } from './evals/runner/case-schema.js';
import { assessWithRules, rulesBasis } from './src/assess/rules/assess.js';
import { runChecks } from './src/assess/checks.js';
import { computeAivss } from './src/aivss/index.js';
const dir = 'evals/cases';
for (const id of readdirSync(dir).filter((d) => /^hw-(card|registry|serverjson)-/.test(d))) {
  const file = (Object.keys(LISTING_FILES) as (keyof typeof LISTING_FILES)[]).find((f) => existsSync(join(dir, id, f)))!;
  const listing = listingFromJson(LISTING_FILES[file] as never, JSON.parse(readFileSync(join(dir, id, file), 'utf8')), { url: `https://directory.example/agents/${id}`, sourceId: 'eval', fetchedAt: '2026-01-01T00:00:00.000Z' });
  const a = assessWithRules(listing);
  const basis = rulesBasis(listing);
  const checked = runChecks(listing, a);
  const f = a.factors;
  const vals = Object.entries(f).map(([k, v]) => `${k.slice(0, 4)}=${v.value.toFixed(2)}`).join(' ');
  const sum = Object.values(f).reduce((s, v) => s + v.value, 0);
  const score = computeAivss({ formula: 'v0.8', cvss: a.cvss.vector, factors: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.value])), thm: a.exploitMaturity.value, mf: a.mitigation.value });
  console.log(`${id} kind=${basis.reading.kinds.primary.id} sum=${sum.toFixed(2)} score=${score.score} ${score.severity}\n  ${vals}\n  uncertain=${checked.assessment.layers.filter((l) => !l.certain).map((l) => l.layer)} signals=${basis.reading.firings.map((x) => x.signal.id).join(',')}\n  warnings=${checked.checks.warnings.map((w) => w.code)}`);
}
