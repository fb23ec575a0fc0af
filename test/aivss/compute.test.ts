import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS, V08_FACTOR_KEYS } from '../../schemas/factors.js';
import { computeAivss, roundHalfEvenDouble, severityOf, type AivssInput } from '../../src/aivss/index.js';
import { InputError } from '../../src/errors.js';

const half = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 0.5]));
const base: AivssInput = { cvss: 7.5, factors: half };

const factorArb = fc.integer({ min: 0, max: 20 }).map((step) => step / 20);
const factorsArb = fc.tuple(...LISTING_FACTOR_KEYS.map(() => factorArb)).map((values) =>
  Object.fromEntries(LISTING_FACTOR_KEYS.map((key, index) => [key, values[index] ?? 0])),
);
const cvssArb = fc.integer({ min: 0, max: 100 }).map((tenths) => tenths / 10);
const formulaArb = fc.constantFrom('v0.8' as const, 'v0.8-floor' as const, 'v0.5' as const);
const thmArb = fc.constantFrom('attacked' as const, 'poc' as const, 'unreported' as const, 1.05, 1.5);
const mfArb = fc.constantFrom('none' as const, 'partial' as const, 'strong' as const, 0.85);

describe('computeAivss', () => {
  it('defaults to v0.8 with ThM poc (0.97) and MF none (1.00)', () => {
    expect(computeAivss(base)).toEqual({
      formula: 'v0.8',
      cvssBase: 7.5,
      cvssVector: null,
      factorSum: 5,
      aars: 1.2125,
      thm: 0.97,
      mf: 1,
      raw: 8.7125,
      score: 8.7,
      severity: 'High',
      rounding: 'half-up',
    });
  });

  it('maps named levels to the official values', () => {
    expect(computeAivss({ ...base, thm: 'attacked', mf: 'partial' })).toMatchObject({ thm: 1, mf: 0.83 });
    expect(computeAivss({ ...base, thm: 'unreported', mf: 'strong' })).toMatchObject({ thm: 0.5, mf: 0.67 });
  });

  it('rounds half up on the exact value where doubles would round down', () => {
    // (C + AARS) × MF = 7.25 exactly; 7.25 is exact in binary too, so half-even gives 7.2.
    const input: AivssInput = { cvss: 5, factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 0.45])), thm: 1, mf: 1 };
    expect(computeAivss(input)).toMatchObject({ raw: 7.25, score: 7.3 });
    expect(computeAivss({ ...input, rounding: 'float-half-even' })).toMatchObject({ score: 7.2, rounding: 'float-half-even' });
  });

  it('keeps exact decimals where doubles drift (0.1 + 0.2 style sums)', () => {
    const factors = Object.fromEntries(LISTING_FACTOR_KEYS.map((key, index) => [key, index % 2 === 0 ? 0.1 : 0.2]));
    const score = computeAivss({ cvss: 0, factors, thm: 1, mf: 1, formula: 'v0.5' });
    expect(score.factorSum).toBe(1.5);
    expect(score.raw).toBe(0.75);
    expect(score.score).toBe(0.8);
  });

  it('caps the score at 10 when a directory multiplier exceeds 1', () => {
    const all = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 1]));
    expect(computeAivss({ cvss: 9.5, factors: all, thm: 1.5, mf: 1 }).score).toBe(10);
    expect(computeAivss({ cvss: 9.5, factors: all, thm: 1.5, formula: 'v0.5' }).score).toBe(10);
  });

  it('accepts the v0.8 key set', () => {
    const v08 = Object.fromEntries(V08_FACTOR_KEYS.map((key) => [key, 0.5]));
    expect(computeAivss({ cvss: 7.5, factors: v08 }).score).toBe(computeAivss(base).score);
  });

  it('gives v0.5 no mitigation factor', () => {
    expect(computeAivss({ ...base, formula: 'v0.5' }).mf).toBeNull();
    expect(() => computeAivss({ ...base, formula: 'v0.5', mf: 'strong' })).toThrow(/`mf`.*v0\.5 has no mitigation factor/);
  });

  it.each([
    [0, 'None'],
    [0.1, 'Low'],
    [3.9, 'Low'],
    [4, 'Medium'],
    [6.9, 'Medium'],
    [7, 'High'],
    [8.9, 'High'],
    [9, 'Critical'],
    [10, 'Critical'],
  ] as const)('bands %s as %s', (score, severity) => {
    expect(severityOf(score)).toBe(severity);
  });

  it('rounds doubles half to even on the exact binary value, like Python round()', () => {
    expect(roundHalfEvenDouble(0.25)).toBe(0.2);
    expect(roundHalfEvenDouble(0.75)).toBe(0.8);
    expect(roundHalfEvenDouble(2.675)).toBe(2.7);
    expect(roundHalfEvenDouble(0.35)).toBe(0.3); // 0.35 is stored as 0.34999…
    expect(roundHalfEvenDouble(9.95)).toBe(9.9); // 9.95 is stored as 9.9499…
    expect(roundHalfEvenDouble(0.45)).toBe(0.5); // 0.45 is stored as 0.450000…01
  });

  describe('properties', () => {
    it('stays within [0, 10] for every formula, multiplier and rounding', () => {
      fc.assert(
        fc.property(formulaArb, cvssArb, factorsArb, thmArb, mfArb, fc.boolean(), (formula, cvss, factors, thm, mf, float) => {
          const score = computeAivss({
            formula,
            cvss,
            factors,
            thm,
            mf: formula === 'v0.5' ? undefined : mf,
            rounding: float ? 'float-half-even' : 'half-up',
          });
          expect(score.score).toBeGreaterThanOrEqual(0);
          expect(score.score).toBeLessThanOrEqual(10);
          expect(Math.round(score.score * 10) / 10).toBe(score.score);
          expect(score.severity).toBe(severityOf(score.score));
        }),
        { numRuns: 2000 },
      );
    });

    it('is non-decreasing in every factor and in C for v0.8 with MF 1', () => {
      fc.assert(
        fc.property(
          cvssArb,
          factorsArb,
          fc.constantFrom(...LISTING_FACTOR_KEYS),
          fc.integer({ min: 1, max: 20 }),
          thmArb,
          (cvss, factors, key, bump, thm) => {
            const before = computeAivss({ cvss, factors, thm, mf: 1 }).score;
            const raised = { ...factors, [key]: Math.min(1, (factors[key] ?? 0) + bump / 20) };
            expect(computeAivss({ cvss, factors: raised, thm, mf: 1 }).score).toBeGreaterThanOrEqual(before);
            const higherC = Math.min(10, Math.round(cvss * 10 + bump) / 10);
            if (typeof thm === 'string' || thm <= 1) {
              // With ThM above 1 the uplift can shrink faster than C grows; the spec's range is ThM ≤ 1.
              expect(computeAivss({ cvss: higherC, factors, thm, mf: 1 }).score).toBeGreaterThanOrEqual(before);
            }
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('never puts v0.8-floor below C', () => {
      fc.assert(
        fc.property(cvssArb, factorsArb, thmArb, mfArb, (cvss, factors, thm, mf) => {
          expect(computeAivss({ formula: 'v0.8-floor', cvss, factors, thm, mf }).score).toBeGreaterThanOrEqual(cvss);
        }),
        { numRuns: 2000 },
      );
    });

    it('gives the same output for the same input', () => {
      fc.assert(
        fc.property(formulaArb, cvssArb, factorsArb, thmArb, (formula, cvss, factors, thm) => {
          const input: AivssInput = { formula, cvss, factors, thm };
          expect(computeAivss(input)).toEqual(computeAivss(structuredClone(input)));
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('bad input', () => {
    const cases: [string, AivssInput, RegExp][] = [
      ['a factor above 1', { ...base, factors: { ...half, autonomyOfAction: 1.2 } }, /`factors\.autonomyOfAction`: expected a number in \[0, 1\], got 1\.2/],
      ['a negative factor', { ...base, factors: { ...half, nonDeterminism: -0.1 } }, /`factors\.nonDeterminism`/],
      ['NaN', { ...base, factors: { ...half, dynamicToolUse: Number.NaN } }, /`factors\.dynamicToolUse`: expected a number in \[0, 1\], got NaN/],
      ['a string value', { ...base, factors: { ...half, dynamicIdentity: '0.5' } }, /`factors\.dynamicIdentity`: expected a number in \[0, 1\], got the string "0\.5"/],
      ['nine keys', { ...base, factors: Object.fromEntries(LISTING_FACTOR_KEYS.slice(1).map((key) => [key, 0.5])) }, /expected 10 factors, got 9; missing autonomyOfAction/],
      ['eleven keys', { ...base, factors: { ...half, extra: 0.5 } }, /`factors\.extra`: unknown factor key/],
      ['mixed key sets', { ...base, factors: { ...half, tools: 0.5 } }, /mixed key sets/],
      ['an unknown formula', { ...base, formula: 'v9' as never }, /`formula`: expected one of v0\.8, v0\.8-floor, v0\.5/],
      ['thm out of range', { ...base, thm: 2 }, /`thm`: expected attacked, poc, unreported or a number in \(0, 1\.5\], got 2/],
      ['thm zero', { ...base, thm: 0 }, /`thm`/],
      ['an unknown thm level', { ...base, thm: 'likely' as never }, /`thm`.*got the string "likely"/],
      ['mf out of range', { ...base, mf: 1.2 }, /`mf`: expected none, partial, strong or a number in \(0, 1\], got 1\.2/],
      ['C above 10', { ...base, cvss: 10.5 }, /`cvss`: expected a number in \[0, 10\]/],
      ['C with two decimals', { ...base, cvss: 7.25 }, /`cvss`: expected at most one decimal/],
    ];
    it.each(cases)('refuses %s, naming the field', (_name, input, message) => {
      expect(() => computeAivss(input)).toThrow(InputError);
      expect(() => computeAivss(input)).toThrow(message);
    });
  });
});
