/**
 * computeAivss: the AIVSS score from a CVSS base (vector or number), ten factor values, a threat
 * multiplier and a mitigation factor, for the formulas v0.8 (default), v0.8-floor and v0.5.
 * Pure and deterministic: exact decimals, rounding in one place, every part returned as data.
 */
import {
  LISTING_FACTOR_KEYS,
  V08_FACTOR_KEYS,
  type ListingFactorKey,
  type V08FactorKey,
} from '../../schemas/factors.js';
import {
  FORMULAS,
  MITIGATION_LEVELS,
  ROUNDINGS,
  THREAT_LEVELS,
  type Formula,
  type MitigationLevel,
  type Rounding,
  type Score,
  type Severity,
  type ThreatLevel,
} from '../../schemas/score.js';
import { InputError } from '../errors.js';
import { cvssBaseScore } from './cvss.js';
import * as D from './decimal.js';
import { roundHalfEvenDouble } from './float.js';

export type FactorValues = Partial<Record<ListingFactorKey | V08FactorKey, number>> | Readonly<Record<string, unknown>>;

export interface AivssInput {
  /** @default 'v0.8' */
  formula?: Formula | undefined;
  /** A CVSS v4.0 vector, or a base score in [0, 10] with at most one decimal. */
  cvss: string | number;
  /** The ten listing keys or the ten v0.8 keys, each in [0, 1]. */
  factors: FactorValues;
  /** A named level or a number in (0, 1.5]. @default 'poc' (0.97) */
  thm?: ThreatLevel | number | undefined;
  /** A named level or a number in (0, 1]; v0.5 has none. @default 'none' (1.00) */
  mf?: MitigationLevel | number | undefined;
  /** @default 'half-up' */
  rounding?: Rounding | undefined;
  /** A stated AARS that replaces the computed one (reproduces published examples). */
  aars?: number | undefined;
}

const LISTING_KEY_SET = new Set<string>(LISTING_FACTOR_KEYS);
const V08_KEY_SET = new Set<string>(V08_FACTOR_KEYS);

function bad(field: string, message: string): never {
  throw new InputError('E_INPUT', `Invalid \`${field}\`: ${message}`, { field });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string "${value.slice(0, 40)}"`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Checks that factors use exactly one key set, all ten keys, values in [0, 1].
 * @returns the values in key-set order, and which key set was used.
 */
export function validateFactors(factors: unknown, field = 'factors'): { keySet: 'listing' | 'v0.8'; values: number[] } {
  if (typeof factors !== 'object' || factors === null || Array.isArray(factors)) {
    bad(field, `expected an object of ten factor values, got ${describe(factors)}`);
  }
  const keys = Object.keys(factors);
  let listingCount = 0;
  let v08Count = 0;
  for (const key of keys) {
    const listing = LISTING_KEY_SET.has(key);
    const v08 = V08_KEY_SET.has(key);
    if (listing && !v08) listingCount += 1;
    else if (v08 && !listing) v08Count += 1;
  }
  if (listingCount > 0 && v08Count > 0) {
    bad(field, 'mixed key sets: use either the ten listing keys (autonomyOfAction, …) or the ten v0.8 keys (autonomy, tools, …)');
  }
  const keySet = v08Count > 0 ? 'v0.8' : 'listing';
  const expected: readonly string[] = keySet === 'v0.8' ? V08_FACTOR_KEYS : LISTING_FACTOR_KEYS;
  const known = keySet === 'v0.8' ? V08_KEY_SET : LISTING_KEY_SET;
  const unknown = keys.find((key) => !known.has(key));
  if (unknown !== undefined) {
    bad(`${field}.${unknown}`, `unknown factor key; expected exactly these ten: ${expected.join(', ')}`);
  }
  if (keys.length !== 10) {
    const missing = expected.filter((key) => !keys.includes(key));
    bad(field, `expected 10 factors, got ${keys.length}; missing ${missing.join(', ')}`);
  }
  const record = factors as Record<string, unknown>;
  const values = expected.map((key) => {
    const value = record[key];
    if (typeof value !== 'number' || Number.isNaN(value)) bad(`${field}.${key}`, `expected a number in [0, 1], got ${describe(value)}`);
    if (value < 0 || value > 1) bad(`${field}.${key}`, `expected a number in [0, 1], got ${value}`);
    return value;
  });
  return { keySet, values };
}

function resolveCvss(cvss: unknown): { base: number; vector: string | null } {
  if (typeof cvss === 'string') return { base: cvssBaseScore(cvss, 'cvss'), vector: cvss };
  if (typeof cvss !== 'number' || !Number.isFinite(cvss)) {
    bad('cvss', `expected a CVSS:4.0/ vector or a number in [0, 10], got ${describe(cvss)}`);
  }
  if (cvss < 0 || cvss > 10) bad('cvss', `expected a number in [0, 10], got ${cvss}`);
  if (Math.round(cvss * 10) / 10 !== cvss) bad('cvss', `expected at most one decimal, got ${cvss}`);
  return { base: cvss, vector: null };
}

function resolveThm(thm: unknown): number {
  if (thm === undefined) return THREAT_LEVELS.poc;
  if (typeof thm === 'string') {
    if (thm in THREAT_LEVELS) return THREAT_LEVELS[thm as ThreatLevel];
    bad('thm', `expected attacked, poc, unreported or a number in (0, 1.5], got ${describe(thm)}`);
  }
  if (typeof thm !== 'number' || !Number.isFinite(thm) || thm <= 0 || thm > 1.5) {
    bad('thm', `expected attacked, poc, unreported or a number in (0, 1.5], got ${describe(thm)}`);
  }
  return thm;
}

function resolveMf(mf: unknown, formula: Formula): number | null {
  if (formula === 'v0.5') {
    if (mf === undefined || mf === 'none' || mf === 1) return null;
    bad('mf', `formula v0.5 has no mitigation factor; omit mf (got ${describe(mf)})`);
  }
  if (mf === undefined) return MITIGATION_LEVELS.none;
  if (typeof mf === 'string') {
    if (mf in MITIGATION_LEVELS) return MITIGATION_LEVELS[mf as MitigationLevel];
    bad('mf', `expected none, partial, strong or a number in (0, 1], got ${describe(mf)}`);
  }
  if (typeof mf !== 'number' || !Number.isFinite(mf) || mf <= 0 || mf > 1) {
    bad('mf', `expected none, partial, strong or a number in (0, 1], got ${describe(mf)}`);
  }
  return mf;
}

/** The band of a rounded score: None 0.0, Low 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0. */
export function severityOf(score: number): Severity {
  const tenths = Math.round(score * 10);
  if (tenths <= 0) return 'None';
  if (tenths < 40) return 'Low';
  if (tenths < 70) return 'Medium';
  if (tenths < 90) return 'High';
  return 'Critical';
}

const decCache = new Map<number, D.Dec>();
function dec(value: number): D.Dec {
  let cached = decCache.get(value);
  if (cached === undefined) {
    cached = D.decFromNumber(value);
    if (decCache.size < 4096) decCache.set(value, cached);
  }
  return cached;
}

const TEN_CAP: D.Dec = D.TEN;

function exactScore(
  formula: Formula,
  c: number,
  values: readonly number[],
  thm: number,
  mf: number | null,
  statedAars: number | undefined,
): { factorSum: number; aars: number; raw: number; score: number } {
  let sum = D.ZERO;
  for (const value of values) sum = D.add(sum, dec(value));
  const cDec = dec(c);
  const thmDec = dec(thm);
  let aars: D.Dec;
  let raw: D.Dec;
  let rounded: D.Dec;
  if (formula === 'v0.5') {
    aars = statedAars === undefined ? sum : dec(statedAars);
    raw = D.mul(D.mul(D.add(cDec, aars), { units: 5n, scale: 1 }), thmDec);
    rounded = D.roundHalfUp(raw, 1);
  } else {
    aars =
      statedAars === undefined ? D.mul(D.mul(D.sub(D.TEN, cDec), D.divPow10(sum, 1)), thmDec) : dec(statedAars);
    const mfDec = dec(mf ?? 1);
    if (formula === 'v0.8') {
      raw = D.mul(D.add(cDec, aars), mfDec);
      rounded = D.roundHalfUp(raw, 1);
    } else {
      raw = D.add(cDec, D.mul(aars, mfDec));
      rounded = D.max(cDec, D.min(TEN_CAP, D.roundHalfUp(raw, 1)));
    }
  }
  return {
    factorSum: D.toNumber(sum),
    aars: D.toNumber(aars),
    raw: D.toNumber(raw),
    score: D.toNumber(D.min(TEN_CAP, rounded)),
  };
}

function floatScore(
  formula: Formula,
  c: number,
  values: readonly number[],
  thm: number,
  mf: number | null,
  statedAars: number | undefined,
): { factorSum: number; aars: number; raw: number; score: number } {
  let sum = 0;
  for (const value of values) sum += value;
  let aars: number;
  let raw: number;
  let score: number;
  if (formula === 'v0.5') {
    aars = statedAars ?? sum;
    raw = ((c + aars) / 2) * thm;
    score = roundHalfEvenDouble(raw);
  } else {
    aars = statedAars ?? (10 - c) * (sum / 10) * thm;
    if (formula === 'v0.8') {
      raw = (c + aars) * (mf ?? 1);
      score = roundHalfEvenDouble(raw);
    } else {
      raw = c + aars * (mf ?? 1);
      score = Math.max(c, Math.min(10, roundHalfEvenDouble(raw)));
    }
  }
  return { factorSum: sum, aars, raw, score: Math.min(10, score) };
}

/**
 * Computes the AIVSS score with every part.
 * @throws InputError naming the field, for an unknown formula, a malformed vector, factors out of
 *   range or of the wrong key set, or thm/mf out of range.
 */
export function computeAivss(input: AivssInput): Score {
  const formula = input.formula ?? 'v0.8';
  if (!(FORMULAS as readonly string[]).includes(formula)) bad('formula', `expected one of ${FORMULAS.join(', ')}, got ${describe(formula)}`);
  const rounding = input.rounding ?? 'half-up';
  if (!(ROUNDINGS as readonly string[]).includes(rounding)) bad('rounding', `expected one of ${ROUNDINGS.join(', ')}, got ${describe(rounding)}`);
  const { base, vector } = resolveCvss(input.cvss);
  const { values } = validateFactors(input.factors);
  const thm = resolveThm(input.thm);
  const mf = resolveMf(input.mf, formula);
  if (input.aars !== undefined && (typeof input.aars !== 'number' || !Number.isFinite(input.aars) || input.aars < 0 || input.aars > 10)) {
    bad('aars', `expected a number in [0, 10], got ${describe(input.aars)}`);
  }
  const parts =
    rounding === 'half-up'
      ? exactScore(formula, base, values, thm, mf, input.aars)
      : floatScore(formula, base, values, thm, mf, input.aars);
  return {
    formula,
    cvssBase: base,
    cvssVector: vector,
    factorSum: parts.factorSum,
    aars: parts.aars,
    thm,
    mf,
    raw: parts.raw,
    score: parts.score,
    severity: severityOf(parts.score),
    rounding,
  };
}
