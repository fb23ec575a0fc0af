/**
 * CVSS v4.0 vectors: a strict validator of our own (the calculator silently scores malformed
 * vectors as 0), then the base score from ae-cvss-calculator with base metrics only.
 */
import calculator from 'ae-cvss-calculator';
import { InputError } from '../errors.js';

const PREFIX = 'CVSS:4.0/';

/** Mandatory base metrics, in the order the specification fixes, with their allowed values. */
export const BASE_METRICS: readonly (readonly [string, readonly string[]])[] = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['AT', ['N', 'P']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'P', 'A']],
  ['VC', ['H', 'L', 'N']],
  ['VI', ['H', 'L', 'N']],
  ['VA', ['H', 'L', 'N']],
  ['SC', ['H', 'L', 'N']],
  ['SI', ['H', 'L', 'N']],
  ['SA', ['H', 'L', 'N']],
];

/** Optional threat, environmental and supplemental metrics, in specification order. */
export const OPTIONAL_METRICS: readonly (readonly [string, readonly string[]])[] = [
  ['E', ['X', 'A', 'P', 'U']],
  ['CR', ['X', 'H', 'M', 'L']],
  ['IR', ['X', 'H', 'M', 'L']],
  ['AR', ['X', 'H', 'M', 'L']],
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MAT', ['X', 'N', 'P']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'P', 'A']],
  ['MVC', ['X', 'H', 'L', 'N']],
  ['MVI', ['X', 'H', 'L', 'N']],
  ['MVA', ['X', 'H', 'L', 'N']],
  ['MSC', ['X', 'H', 'L', 'N']],
  ['MSI', ['X', 'S', 'H', 'L', 'N']],
  ['MSA', ['X', 'S', 'H', 'L', 'N']],
  ['S', ['X', 'N', 'P']],
  ['AU', ['X', 'N', 'Y']],
  ['R', ['X', 'A', 'U', 'I']],
  ['V', ['X', 'D', 'C']],
  ['RE', ['X', 'L', 'M', 'H']],
  ['U', ['X', 'Clear', 'Green', 'Amber', 'Red']],
];

const BASE_NAMES = new Set(BASE_METRICS.map(([name]) => name));
const OPTIONAL_INDEX = new Map(OPTIONAL_METRICS.map(([name], index) => [name, index]));

export interface ParsedVector {
  /** The vector as given. */
  vector: string;
  /** Only the base metrics, in order: what the base score is computed from. */
  baseVector: string;
  base: Readonly<Record<string, string>>;
  optional: Readonly<Record<string, string>>;
}

function fail(field: string, message: string, vector: string): never {
  throw new InputError('E_CVSS_VECTOR', `Invalid CVSS vector at \`${field}\`: ${message} (got "${vector.slice(0, 200)}")`, {
    field,
  });
}

/**
 * Validates a CVSS v4.0 vector strictly: the prefix, every mandatory metric once and in order with
 * an allowed value, then optional metrics once each in specification order.
 * @throws InputError naming the metric and what was expected.
 */
export function parseCvssVector(vector: string, field = 'cvss'): ParsedVector {
  if (typeof vector !== 'string') fail(field, 'expected a string', String(vector));
  if (!vector.startsWith(PREFIX)) {
    const prefix = /^CVSS:\d+(\.\d+)?\//.exec(vector)?.[0];
    fail(field, `expected the prefix "${PREFIX}"${prefix ? `, found "${prefix}"` : ''}`, vector);
  }
  const parts = vector.slice(PREFIX.length).split('/');
  const base: Record<string, string> = {};
  const optional: Record<string, string> = {};
  let lastOptional = -1;
  parts.forEach((part, index) => {
    const match = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!match) fail(`${field}`, `expected METRIC:VALUE at position ${index + 1}, found "${part.slice(0, 40)}"`, vector);
    const [, name = '', value = ''] = match;
    if (index < BASE_METRICS.length) {
      const [expectedName, allowed] = BASE_METRICS[index] ?? ['', []];
      if (name !== expectedName) {
        const reason =
          name in base
            ? `metric ${name} is repeated`
            : BASE_NAMES.has(name)
              ? `metric ${name} is out of order`
              : `found "${name}"`;
        fail(`${field}.${expectedName}`, `expected mandatory metric ${expectedName} at position ${index + 1}; ${reason}`, vector);
      }
      if (!allowed.includes(value)) fail(`${field}.${name}`, `expected one of ${allowed.join(', ')}, found "${value}"`, vector);
      base[name] = value;
      return;
    }
    if (BASE_NAMES.has(name)) fail(`${field}.${name}`, `metric ${name} is repeated`, vector);
    const position = OPTIONAL_INDEX.get(name);
    if (position === undefined) fail(`${field}.${name}`, `unknown metric "${name}"`, vector);
    if (name in optional) fail(`${field}.${name}`, `metric ${name} is repeated`, vector);
    if (position < lastOptional) fail(`${field}.${name}`, `optional metric ${name} is out of order`, vector);
    const allowed = OPTIONAL_METRICS[position]?.[1] ?? [];
    if (!allowed.includes(value)) fail(`${field}.${name}`, `expected one of ${allowed.join(', ')}, found "${value}"`, vector);
    optional[name] = value;
    lastOptional = position;
  });
  if (parts.length < BASE_METRICS.length) {
    const missing = BASE_METRICS[parts.length]?.[0] ?? '?';
    fail(`${field}.${missing}`, `mandatory metric ${missing} is missing`, vector);
  }
  const baseVector = PREFIX + BASE_METRICS.map(([name]) => `${name}:${base[name] ?? ''}`).join('/');
  return { vector, baseVector, base, optional };
}

const { Cvss4P0 } = calculator;
const CACHE_LIMIT = 10_000;
const baseScoreCache = new Map<string, number>();

/** Scores a validated base-only vector with the calculator; results are cached. */
function scoreBaseVector(baseVector: string): number {
  const cached = baseScoreCache.get(baseVector);
  if (cached !== undefined) return cached;
  const scores = new Cvss4P0(baseVector).calculateScores();
  const score = scores.baseMetricsOnly ?? scores.base;
  if (typeof score !== 'number' || !Number.isFinite(score)) {
    throw new InputError('E_CVSS_VECTOR', `CVSS calculator gave no base score for "${baseVector}"`);
  }
  if (baseScoreCache.size >= CACHE_LIMIT) baseScoreCache.clear();
  baseScoreCache.set(baseVector, score);
  return score;
}

const vectorCache = new Map<string, number>();

/**
 * The CVSS v4.0 base score (base metrics only; optional metrics are validated, then ignored).
 * @throws InputError for a malformed vector.
 */
export function cvssBaseScore(vector: string, field = 'cvss'): number {
  const cached = vectorCache.get(vector);
  if (cached !== undefined) return cached;
  const score = scoreBaseVector(parseCvssVector(vector, field).baseVector);
  if (vectorCache.size >= CACHE_LIMIT) vectorCache.clear();
  vectorCache.set(vector, score);
  return score;
}

/**
 * The score with the vector's threat and environmental metrics applied (CVSS-BT/BE/BTE), for
 * comparing with published calculator results; AIVSS itself uses only the base score.
 */
export function cvssOverallScore(vector: string, field = 'cvss'): number {
  parseCvssVector(vector, field);
  return new Cvss4P0(vector).calculateScores().overall;
}
