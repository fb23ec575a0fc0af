import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { computeAivss, cvssBaseScore, cvssOverallScore, severityOf, type AivssInput } from '../../src/aivss/index.js';

const goldenSchema = z.array(
  z.object({
    id: z.string(),
    version: z.string(),
    cvssVector: z.string().nullable(),
    cvssBase: z.number().nullable(),
    factors: z.record(z.string(), z.number()).nullable(),
    thm: z.number().nullable(),
    mf: z.number().nullable(),
    erratum: z.boolean().optional(),
    listedFactorSum: z.number().optional(),
    scoreFromListedFactors: z.number().optional(),
    severityFromListedFactors: z.string().optional(),
    expected: z.object({ aars: z.number().nullable(), score: z.number(), severity: z.string(), raw: z.number().optional() }),
  }),
);

const golden = goldenSchema.parse(JSON.parse(readFileSync(new URL('../fixtures/aivss/golden-dev.json', import.meta.url), 'utf8')));

/** The golden file spells keys in the spec's snake case; map them onto our two key sets. */
const V08_KEYS: Record<string, string> = {
  autonomy: 'autonomy',
  tools: 'tools',
  language: 'language',
  context: 'context',
  non_determinism: 'nonDeterminism',
  opacity: 'opacity',
  persistence: 'persistence',
  identity: 'identity',
  multi_agent: 'multiAgent',
  self_mod: 'selfModification',
};
const V05_KEYS: Record<string, string> = {
  autonomy_of_action: 'autonomyOfAction',
  tool_use: 'dynamicToolUse',
  memory_use: 'persistentMemory',
  dynamic_identity: 'dynamicIdentity',
  multi_agent_interactions: 'multiAgentInteractions',
  non_determinism: 'nonDeterminism',
  self_modification: 'selfModification',
  goal_driven_planning: 'goalDrivenPlanning',
  contextual_awareness: 'contextualAwareness',
  opacity_and_reflexivity: 'opacityAndReflexivity',
};

function mapFactors(factors: Record<string, number>, keys: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(factors).map(([key, value]) => [keys[key] ?? `unmapped:${key}`, value]));
}

function formulaOf(version: string): AivssInput['formula'] {
  if (version === '0.8') return 'v0.8';
  if (version.startsWith('0.9-annexB')) return 'v0.8-floor';
  if (version === '0.5') return 'v0.5';
  throw new Error(`no formula for ${version}`);
}

const formulaCases = golden.filter((entry) => entry.version !== 'cvss-v4.0');
const cvssCases = golden.filter((entry) => entry.version === 'cvss-v4.0');

describe('golden AIVSS vectors', () => {
  it('covers every entry of the golden file: each maps to a formula or is a CVSS v4.0 vector', () => {
    // Pinned counts: a fixture edit that adds, drops or renames a kind of entry must be looked at.
    expect(golden).toHaveLength(39);
    expect(cvssCases).toHaveLength(15);
    expect(formulaCases.map((entry) => formulaOf(entry.version)).sort()).toEqual([
      ...Array<string>(10).fill('v0.5'),
      ...Array<string>(12).fill('v0.8'),
      ...Array<string>(2).fill('v0.8-floor'),
    ]);
    expect(cvssCases.every((entry) => entry.cvssVector?.startsWith('CVSS:4.0/') === true)).toBe(true);
  });

  it.each(formulaCases.filter((entry) => entry.erratum !== true))('$id gives the published score, severity and AARS', (entry) => {
    const formula = formulaOf(entry.version);
    const keys = formula === 'v0.5' ? V05_KEYS : V08_KEYS;
    const input: AivssInput = {
      formula,
      cvss: entry.cvssVector ?? entry.cvssBase ?? Number.NaN,
      factors: mapFactors(entry.factors ?? {}, keys),
      thm: entry.thm ?? undefined,
      mf: formula === 'v0.5' ? undefined : (entry.mf ?? undefined),
    };
    const score = computeAivss(input);
    expect(score.cvssBase).toBe(entry.cvssBase);
    expect(score.aars).toBe(entry.expected.aars);
    expect(score.score).toBe(entry.expected.score);
    expect(score.severity).toBe(entry.expected.severity);
    if (entry.expected.raw !== undefined) expect(score.raw).toBe(entry.expected.raw);
  });

  const errata = formulaCases.filter((entry) => entry.erratum === true);

  it('has v0.5 errata to reproduce', () => {
    expect(errata.length).toBeGreaterThanOrEqual(5);
  });

  it.each(errata)('$id reproduces the spec when fed the stated AARS', (entry) => {
    const score = computeAivss({
      formula: 'v0.5',
      cvss: entry.cvssVector ?? Number.NaN,
      factors: mapFactors(entry.factors ?? {}, V05_KEYS),
      thm: entry.thm ?? undefined,
      aars: entry.expected.aars ?? undefined,
    });
    expect(score.aars).toBe(entry.expected.aars);
    expect(score.score).toBe(entry.expected.score);
    expect(score.severity).toBe(entry.expected.severity);
    expect(score.factorSum).toBe(entry.listedFactorSum);
  });

  it.each(errata)('$id from the listed factors gives the score the listed values imply', (entry) => {
    const score = computeAivss({
      formula: 'v0.5',
      cvss: entry.cvssVector ?? Number.NaN,
      factors: mapFactors(entry.factors ?? {}, V05_KEYS),
      thm: entry.thm ?? undefined,
    });
    expect(score.aars).toBe(entry.listedFactorSum);
    expect(score.score).toBe(entry.scoreFromListedFactors);
    expect(score.severity).toBe(entry.severityFromListedFactors);
  });

  it.each(cvssCases)('$id scores as the reference calculators do, with their severity', (entry) => {
    const vector = entry.cvssVector ?? '';
    // Threat metrics (E:…) change the CVSS-BT score the references publish; AIVSS uses the base only.
    expect(cvssOverallScore(vector)).toBe(entry.expected.score);
    expect(severityOf(cvssOverallScore(vector))).toBe(entry.expected.severity);
    const base = cvssBaseScore(vector);
    const baseOnly = vector.replace(/\/E:[XAPU]$/, '');
    if (baseOnly === vector) {
      expect(base).toBe(entry.expected.score);
    } else {
      // The base score is the score with exploit maturity at its worst (E:A), which E:P or E:U only lowers.
      expect(base).toBe(cvssOverallScore(`${baseOnly}/E:A`));
      expect(base).toBeGreaterThan(entry.expected.score);
    }
  });
});
