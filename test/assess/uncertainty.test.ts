/**
 * Honest uncertainty: every factor's plausible range follows how firmly the listing pins it, the
 * score range is the AIVSS score at all the lows and all the highs, the ranges cover what the
 * eval cases expect, and listings that pin too few factors are drafted with insufficient evidence
 * (the principle tested on thin listings and on rich ones).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { computeAivss } from '../../src/aivss/index.js';
import { assessListing } from '../../src/assess/assess.js';
import { runChecks } from '../../src/assess/checks.js';
import { assessWithRules, createRulesAssessor } from '../../src/assess/rules/assess.js';
import { factorRange, formatScore, INSUFFICIENT_SENTENCE, isInsufficient, MIN_PINNED_FACTORS, PLAUSIBLE_SPREAD, scoreWithRange } from '../../src/assess/uncertainty.js';
import { extractListing } from '../../src/crawl/extract.js';
import { listingForCase } from '../../evals/runner/listing.js';
import { loadCases } from '../../evals/runner/load.js';
import { createAssessment } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';

const CASES = join(import.meta.dirname, '..', '..', 'evals', 'cases');
const caseListing = (id: string) =>
  extractListing(readFileSync(join(CASES, id, 'listing.html'), 'utf8'), { url: `https://directory.example/agents/${id}`, sourceId: 'eval', fetchedAt: '2026-01-01T00:00:00.000Z' });
const assessCase = (id: string) => assessListing(caseListing(id), { assessor: createRulesAssessor(), now: () => new Date('2026-01-01T00:00:00Z') });

describe('factor ranges', () => {
  it('widen as the listing pins a factor less firmly', () => {
    expect(PLAUSIBLE_SPREAD.field).toBeLessThan(PLAUSIBLE_SPREAD.stated);
    expect(PLAUSIBLE_SPREAD.stated).toBeLessThan(PLAUSIBLE_SPREAD.inferred);
    expect(PLAUSIBLE_SPREAD.inferred).toBeLessThan(PLAUSIBLE_SPREAD.unknown);
    expect(factorRange(0.5, 'field')).toEqual({ low: 0.4, high: 0.6 });
    expect(factorRange(0.5, 'unknown')).toEqual({ low: 0.2, high: 0.8 });
  });

  it('stay on the 0.05 grid within [0, 1]', () => {
    expect(factorRange(0.05, 'unknown')).toEqual({ low: 0, high: 0.35 });
    expect(factorRange(0.95, 'inferred')).toEqual({ low: 0.75, high: 1 });
  });
});

describe('score range', () => {
  it('is the AIVSS score recomputed with every factor at its plausible low and high', () => {
    const assessment = createAssessment();
    const score = scoreWithRange(assessment);
    const at = (end: 'low' | 'high') =>
      computeAivss({
        formula: 'v0.8',
        cvss: assessment.cvss.vector,
        factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorRange(assessment.factors[key].value, assessment.factors[key].certainty)[end]])),
        thm: assessment.exploitMaturity.value,
        mf: assessment.mitigation.value,
      }).score;
    expect(score.range).toEqual({ low: at('low'), high: at('high') });
    expect(score.range!.low).toBeLessThan(score.score);
    expect(score.range!.high).toBeGreaterThan(score.score);
    expect(formatScore(score)).toBe(`${score.score.toFixed(1)} (${at('low').toFixed(1)}–${at('high').toFixed(1)})`);
  });

  it('narrows when the listing pins every factor by a field', () => {
    const loose = createAssessment();
    const firm = structuredClone(loose);
    for (const key of LISTING_FACTOR_KEYS) firm.factors[key].certainty = 'field';
    const width = (range: { low: number; high: number } | undefined) => (range === undefined ? NaN : range.high - range.low);
    expect(width(scoreWithRange(firm).range)).toBeLessThan(width(scoreWithRange(loose).range));
  });

  it('covers what the eval cases expect for at least four factor values in five', async () => {
    let inside = 0;
    let total = 0;
    // Every case, whatever it was read from (a page, an agent card, a registry entry).
    for (const evalCase of await loadCases(CASES)) {
      const listing = listingForCase(evalCase);
      const draft = runChecks(listing, assessWithRules(listing)).assessment;
      for (const key of LISTING_FACTOR_KEYS) {
        const want = evalCase.expected.factors?.[key];
        if (want === undefined) continue;
        const [low, high] = typeof want === 'number' ? [want, want] : 'value' in want ? [want.value, want.value] : [want.min, want.max];
        const range = factorRange(draft.factors[key].value, draft.factors[key].certainty);
        total += 1;
        if (range.high >= low - 1e-9 && range.low <= high + 1e-9) inside += 1;
      }
    }
    expect(total).toBeGreaterThan(1000);
    expect(inside / total).toBeGreaterThanOrEqual(0.8);
  });
});

describe('insufficient evidence', () => {
  it(`needs at least ${MIN_PINNED_FACTORS} factors pinned by a field or a stated sentence`, () => {
    const assessment = createAssessment();
    for (const key of LISTING_FACTOR_KEYS) assessment.factors[key].certainty = 'inferred';
    expect(isInsufficient(assessment)).toBe(true);
    assessment.factors.dynamicToolUse.certainty = 'field';
    assessment.factors.persistentMemory.certainty = 'stated';
    expect(isInsufficient(assessment)).toBe(true);
    assessment.factors.autonomyOfAction.certainty = 'stated';
    expect(isInsufficient(assessment)).toBe(false);
  });

  it.each(['hw-almost-no-facts', 'hw-brightloop-thin', 'hw-orbit-coworker-thin', 'hw-teamwise-thin', 'hw-pure-marketing'])(
    'drafts the thin listing %s with insufficient evidence, a summary that says so and a wide range',
    async (id) => {
      const { assessment, score } = await assessCase(id);
      expect(assessment.insufficientEvidence).toBe(true);
      expect(assessment.summary).toContain(INSUFFICIENT_SENTENCE);
      expect(score.range!.high - score.range!.low).toBeGreaterThanOrEqual(1);
    },
  );

  it.each(['hw-autonomous-coding-agent', 'hw-browser-agent-payments', 'hw-k8s-ops-agent', 'ref-openhands', 'ref-n8n'])(
    'drafts the detailed listing %s without the flag, and its summary says nothing of it',
    async (id) => {
      const { assessment } = await assessCase(id);
      expect(assessment.insufficientEvidence).toBe(false);
      expect(assessment.summary).not.toContain(INSUFFICIENT_SENTENCE);
    },
  );

  it('decides the same for any assessor: a model claiming certainty without a grounded quote gets it demoted first', async () => {
    const listing = createListing();
    const claimed = createAssessment();
    for (const key of LISTING_FACTOR_KEYS) claimed.factors[key] = { ...claimed.factors[key], certainty: 'stated', evidence: [] };
    const { checks, assessment } = runChecks(listing, claimed);
    expect(LISTING_FACTOR_KEYS.every((key) => assessment.factors[key].certainty === 'inferred')).toBe(true);
    expect(checks.warnings.filter((warning) => warning.code === 'certainty-demoted')).toHaveLength(10);
    const drafted = await assessListing(listing, {
      assessor: { id: 'openai', version: 't', assess: async () => ({ assessment: claimed, usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 }, model: 'm', promptId: null, promptHash: null, cached: false, notes: [] }) },
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    expect(drafted.assessment.insufficientEvidence).toBe(true);
    expect(drafted.assessment.summary.endsWith(INSUFFICIENT_SENTENCE)).toBe(true);
  });
});
