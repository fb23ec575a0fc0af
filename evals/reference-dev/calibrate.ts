/**
 * Tuning aid: `npx tsx evals/reference-dev/calibrate.ts [--cases] [--signals SLUG]` prints the
 * rules assessor's figures against reference-dev, per-case factor diffs and layer disagreements.
 */
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { candidateSentences, matchSignals } from '../../src/assess/rules/match.js';
import { SIGNALS } from '../../src/assess/rules/signals.js';
import { calibrate, formatReport, loadReferenceCases } from './calibration.js';

const args = process.argv.slice(2);
const cases = loadReferenceCases();
const report = calibrate(cases, (listing) => assessWithRules(listing));
const short = ['A', 'G', 'S', 'T', 'M', 'C', 'I', 'X', 'N', 'O'];

if (args.includes('--cases')) {
  console.log(`${'case'.padEnd(30)} ${short.map((s) => s.padStart(5)).join(' ')}   layers (ours!=theirs)`);
  for (const result of report.results) {
    const cells = LISTING_FACTOR_KEYS.map((key) => {
      const diff = result.diffs[key];
      return (Math.abs(diff) < 0.001 ? '.' : (diff > 0 ? '+' : '') + diff.toFixed(2).replace('0.', '.')).padStart(5);
    });
    const layers = result.layerAgreement
      .filter((entry) => entry.oursUncertain !== entry.theirsUncertain)
      .map((entry) => `L${entry.layer}:${entry.oursUncertain ? 'U' : 'C'}`)
      .join(' ');
    console.log(`${result.slug.slice(0, 30).padEnd(30)} ${cells.join(' ')}   ${layers}`);
  }
}
const signalsFor = args[args.indexOf('--signals') + 1];
if (args.includes('--signals') && signalsFor !== undefined) {
  const item = cases.find((entry) => entry.slug === signalsFor);
  if (item !== undefined) {
    for (const fired of matchSignals(candidateSentences(item.listing), SIGNALS)) {
      console.log(`${fired.signal.id.padEnd(26)} ${fired.quotes.join(' | ')}`);
    }
  }
}
console.log(formatReport(report));
