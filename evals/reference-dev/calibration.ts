/**
 * Compares an assessment function with the 35 reference-dev cases: per-factor mean absolute error
 * and agreement on which visible layers are uncertain. Used by the calibration test, the bench and
 * `npx tsx evals/reference-dev/calibrate.ts` (per-case diffs while tuning the signal table).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Assessment } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { extractListing } from '../../src/crawl/extract.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The listings and reference.jsonl: beside this file, or (compiled into dist/) in the source tree. */
export const REFERENCE_DIR = [here, join(here, '../../../evals/reference-dev')].find((dir) => existsSync(join(dir, 'reference.jsonl'))) ?? here;

const referenceSchema = z.object({
  slug: z.string(),
  name: z.string(),
  kind: z.string(),
  factors: z.record(z.string(), z.number()),
  uncertain_layers: z.array(z.number().int()),
  layers_visible: z.array(z.number().int()),
});
export type ReferenceCase = z.infer<typeof referenceSchema> & { listing: Listing };

/** Where a reference case's listing lives: its eval case folder, the one copy in the project. */
export function referenceListingPath(slug: string, dir: string = REFERENCE_DIR): string {
  return join(dir, '..', 'cases', `ref-${slug}`, 'listing.html');
}

/** Loads the cases with their listings extracted as the CLI would (source `cli`, a fixed clock). */
export function loadReferenceCases(dir: string = REFERENCE_DIR): ReferenceCase[] {
  const lines = readFileSync(join(dir, 'reference.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, index) => {
    const parsed = referenceSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`reference.jsonl line ${index + 1}: ${parsed.error.message}`);
    const file = referenceListingPath(parsed.data.slug, dir);
    const html = readFileSync(file, 'utf8');
    const listing = extractListing(html, { url: `file://${file}`, sourceId: 'cli', fetchedAt: '2025-01-01T00:00:00.000Z' });
    return { ...parsed.data, listing };
  });
}

export interface CaseResult {
  slug: string;
  diffs: Record<ListingFactorKey, number>;
  ours: Record<ListingFactorKey, number>;
  theirs: Record<ListingFactorKey, number>;
  layerAgreement: { layer: number; oursUncertain: boolean; theirsUncertain: boolean }[];
}

export interface CalibrationReport {
  cases: number;
  factorMae: Record<ListingFactorKey, number>;
  overallMae: number;
  layerAgreement: number;
  layerComparisons: number;
  results: CaseResult[];
}

/** Runs `assess` over the cases and computes the figures. */
export function calibrate(cases: readonly ReferenceCase[], assess: (listing: Listing) => Assessment): CalibrationReport {
  const totals = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 0])) as Record<ListingFactorKey, number>;
  let agree = 0;
  let compared = 0;
  const results: CaseResult[] = [];
  for (const item of cases) {
    const assessment = assess(item.listing);
    const ours = {} as Record<ListingFactorKey, number>;
    const theirs = {} as Record<ListingFactorKey, number>;
    const diffs = {} as Record<ListingFactorKey, number>;
    for (const key of LISTING_FACTOR_KEYS) {
      const reference = item.factors[LISTING_FACTORS[key]];
      if (reference === undefined) throw new Error(`${item.slug}: reference has no "${LISTING_FACTORS[key]}"`);
      ours[key] = assessment.factors[key].value;
      theirs[key] = reference;
      diffs[key] = ours[key] - reference;
      totals[key] += Math.abs(diffs[key]);
    }
    const layerAgreement = item.layers_visible.map((layer) => {
      const mine = assessment.layers[layer - 1];
      const oursUncertain = mine === undefined ? true : !mine.certain;
      const theirsUncertain = item.uncertain_layers.includes(layer);
      compared += 1;
      if (oursUncertain === theirsUncertain) agree += 1;
      return { layer, oursUncertain, theirsUncertain };
    });
    results.push({ slug: item.slug, diffs, ours, theirs, layerAgreement });
  }
  const n = cases.length;
  const factorMae = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, totals[key] / n])) as Record<ListingFactorKey, number>;
  const overallMae = LISTING_FACTOR_KEYS.reduce((sum, key) => sum + factorMae[key], 0) / LISTING_FACTOR_KEYS.length;
  return { cases: n, factorMae, overallMae, layerAgreement: compared === 0 ? 0 : agree / compared, layerComparisons: compared, results };
}

/** A short table of the figures, for test output and the calibrate script. */
export function formatReport(report: CalibrationReport): string {
  const rows = LISTING_FACTOR_KEYS.map((key) => `  ${LISTING_FACTORS[key].padEnd(26)} MAE ${report.factorMae[key].toFixed(3)}`);
  return [
    `reference-dev: ${report.cases} cases`,
    ...rows,
    `  ${'overall'.padEnd(26)} MAE ${report.overallMae.toFixed(3)}`,
    `  uncertain-layer agreement ${(report.layerAgreement * 100).toFixed(1)}% over ${report.layerComparisons} visible layers`,
  ].join('\n');
}
