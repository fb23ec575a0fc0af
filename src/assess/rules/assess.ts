/**
 * The rules assessor (pure, deterministic): a listing read as statements, its kind and fired
 * signals, factor values from the calibrated table, then CVSS, maturity, mitigation, seven layers
 * and a summary worded by the computed band. Every quote is a verbatim listing statement.
 */
import { createHash } from 'node:crypto';
import type { Assessment } from '../../../schemas/assessment.js';
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../../schemas/factors.js';
import type { Listing } from '../../../schemas/listing.js';
import { TAXONOMIES } from '../../../schemas/catalogue/index.js';
import type { Assessor, AssessOutcome } from '../assessor.js';
import { isInsufficient, scoreWithRange } from '../uncertainty.js';
import { RULES_CODE_FINGERPRINT } from './code-version.js';
import { CALIBRATION } from './data/calibration.js';
import { CONTEXT_TRIGGERS, SCOPE_WORDS } from './data/context.js';
import { ABSENT_VALUE, FIELD_LABELS, UNKNOWN_VALUE } from './data/fields.js';
import { KINDS } from './data/kinds.js';
import { ASPECTS } from './data/layers.js';
import { SIGNALS } from './data/signals.js';
import { CATALOGUE, DEFAULT_THREATS, THREATS } from './data/threats.js';
import type { Kind, Signal } from './data/types.js';
import { buildCvss } from './cvss.js';
import { capabilityFirings, estimate, type Calibration, type FactorEstimate } from './model.js';
import { factorAssessment, layerAssessment, maturityFor, mitigationFor, nameOf, summaryFor } from './prose.js';
import { contributionsOf, readListing, type Contribution, type Reading } from './read.js';

/** The parts of the rule set a caller may replace (experiments, tests, cross-validation folds). */
export interface RulesTable {
  signals: readonly Signal[];
  kinds: readonly Kind[];
  calibration: Calibration;
}

/** The committed rule set. */
export const DEFAULT_RULES: RulesTable = { signals: SIGNALS, kinds: KINDS, calibration: CALIBRATION };

/**
 * The version of a rule set: a hash over every table the output depends on (signals, kinds,
 * calibration, threats, context triggers, field labels, layer aspects) and the committed
 * fingerprint of the code around them, so any change to what the assessor writes changes the
 * version (it keys the pipeline's incremental reruns, the model-response cache and the eval cache).
 */
export function rulesVersion(table: RulesTable): string {
  const tables = JSON.stringify(
    {
      signals: table.signals,
      kinds: table.kinds,
      calibration: table.calibration.factors,
      threats: THREATS,
      catalogue: CATALOGUE,
      defaultThreats: DEFAULT_THREATS,
      context: CONTEXT_TRIGGERS,
      scopeWords: SCOPE_WORDS,
      fields: { labels: FIELD_LABELS, absent: ABSENT_VALUE, unknown: UNKNOWN_VALUE },
      aspects: ASPECTS,
    },
    (_key, value: unknown) => (value instanceof RegExp ? `/${value.source}/${value.flags}` : value),
  );
  const digest = createHash('sha256').update(tables).update('\0').update(RULES_CODE_FINGERPRINT).digest('hex');
  return `rules-3.${digest.slice(0, 12)}`;
}

/** The version of the committed rule set. */
export const RULES_VERSION = rulesVersion(DEFAULT_RULES);

function withDefaults(table: Partial<RulesTable>): RulesTable {
  return { ...DEFAULT_RULES, ...table };
}

/** Everything a rules draft is derived from: the reading, its contributions and the factor estimates. */
export interface RulesBasis {
  reading: Reading;
  contributions: Contribution[];
  estimates: Record<ListingFactorKey, FactorEstimate>;
  capabilityIds: string[];
}

/** Reads a listing and estimates its factors (the part of an assessment that values are derived from). */
export function rulesBasis(listing: Listing, table: RulesTable = DEFAULT_RULES): RulesBasis {
  const reading = readListing(listing, table);
  return {
    reading,
    contributions: contributionsOf(reading),
    estimates: estimate(reading.levels, table.calibration),
    capabilityIds: capabilityFirings(reading.firings).filter(({ strength }) => strength === 1).map(({ signal }) => signal.id),
  };
}

/** Assesses one listing with a rule set, the committed one by default (pure, synchronous, deterministic). */
export function assessWithRules(listing: Listing, overrides: Partial<RulesTable> = {}): Assessment {
  const table = withDefaults(overrides);
  const basis = rulesBasis(listing, table);
  const { reading, contributions, estimates } = basis;
  const factors = Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => [key, factorAssessment(key, estimates[key].value, estimates[key], reading)]),
  ) as Assessment['factors'];
  const name = nameOf(listing);
  const layers = LAYER_NUMBERS.map((layer) => layerAssessment(layer, name, contributions));
  const cvss = buildCvss(contributions);
  const exploitMaturity = maturityFor(contributions, basis.capabilityIds);
  const mitigation = mitigationFor(contributions);
  const score = scoreWithRange({ factors, cvss, exploitMaturity, mitigation }, 'v0.8');
  const uncertain = layers.filter((layer) => !layer.certain).length;
  const insufficientEvidence = isInsufficient({ factors });
  return {
    summary: summaryFor(listing, reading, contributions, factors, score, uncertain, insufficientEvidence),
    factors,
    cvss,
    exploitMaturity,
    mitigation,
    layers,
    insufficientEvidence,
    taxonomies: { ...TAXONOMIES },
  };
}

/**
 * The offline, deterministic assessor behind `--assessor rules` (the default). Overrides replace
 * parts of the committed rule set (experiments, tests); the version is that of the resulting set.
 */
export function createRulesAssessor(overrides: Partial<RulesTable> = {}): Assessor {
  const table = withDefaults(overrides);
  return {
    id: 'rules',
    version: rulesVersion(table),
    assess(listing: Listing): Promise<AssessOutcome> {
      return Promise.resolve({
        assessment: assessWithRules(listing, table),
        usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 },
        model: null,
        promptId: null,
        promptHash: null,
        cached: false,
        notes: [],
      });
    },
  };
}
