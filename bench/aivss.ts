/**
 * AIVSS scoring throughput on one core: numeric C, and CVSS vectors (parsed vectors cached).
 * Rates are per CPU-second of this process, so other work on the machine does not skew them.
 */
import { LISTING_FACTOR_KEYS } from '../schemas/factors.js';
import { computeAivss, type AivssInput } from '../src/aivss/index.js';
import type { BenchResult } from './types.js';

const VECTORS = [
  'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H',
  'CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:N/VI:N/VA:H/SC:N/SI:H/SA:H',
  'CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:H',
  'CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N',
];

function inputs(count: number, vectors: boolean): AivssInput[] {
  const list: AivssInput[] = [];
  for (let index = 0; index < count; index += 1) {
    const factors = Object.fromEntries(LISTING_FACTOR_KEYS.map((key, k) => [key, ((index + k * 7) % 21) / 20]));
    list.push({
      cvss: vectors ? (VECTORS[index % VECTORS.length] ?? '') : (index % 101) / 10,
      factors,
      thm: index % 3 === 0 ? 'attacked' : 'poc',
      mf: index % 2 === 0 ? 'none' : 'partial',
    });
  }
  return list;
}

/** Scores per CPU-second of this process over about `ms` of work. */
function rate(list: readonly AivssInput[], ms: number): number {
  let done = 0;
  const before = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (const input of list) computeAivss(input);
    done += list.length;
  }
  const used = process.cpuUsage(before);
  return done / ((used.user + used.system) / 1e6);
}

export async function bench(): Promise<BenchResult[]> {
  const numeric = inputs(1000, false);
  const vectors = inputs(1000, true);
  rate(numeric, 300);
  rate(vectors, 300);
  const numericRate = rate(numeric, 1500);
  const vectorRate = rate(vectors, 1500);
  return [
    { name: 'aivss: scores per CPU-second, numeric C', value: Math.round(numericRate), unit: 'scores/s', target: '>= 200,000', ok: numericRate >= 200_000 },
    { name: 'aivss: scores per CPU-second, CVSS vectors (cached parse)', value: Math.round(vectorRate), unit: 'scores/s' },
  ];
}
