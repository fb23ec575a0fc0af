/**
 * The rules assessor's core (pure, deterministic): fired signals in, an Assessment out. Every
 * factor rationale names the signals behind its value and every quote is a verbatim listing sentence.
 */
import { createHash } from 'node:crypto';
import type { Assessment, FactorAssessment, LayerAssessment } from '../../../schemas/assessment.js';
import {
  LAYER_NUMBERS,
  LISTING_FACTOR_KEYS,
  LISTING_FACTORS,
  MAESTRO_LAYERS,
  type LayerNumber,
  type ListingFactorKey,
} from '../../../schemas/factors.js';
import type { Listing } from '../../../schemas/listing.js';
import type { Assessor, AssessOutcome } from '../assessor.js';
import { UNCERTAIN_PREFIX } from '../checks.js';
import { buildCvss } from './cvss.js';
import { candidateSentences, matchSignals, type FiredSignal } from './match.js';
import { RULES_CODE_FINGERPRINT } from './code-version.js';
import { DEFAULT_THREATS, LAYER_GAPS } from './layer-texts.js';
import { BREADTH, CAPABILITY_FACTORS, FACTOR_BASE, SIGNALS, type Breadth, type Signal } from './signals.js';

/** Everything data-like the rules assessor's output depends on; code is covered by RULES_CODE_FINGERPRINT. */
export interface RulesTable {
  signals: readonly Signal[];
  /** Where each factor starts before any signal. */
  base: Readonly<Record<ListingFactorKey, number>>;
  breadth: Breadth;
  /** Factors whose positive deltas make a signal count towards the breadth uplift. */
  capabilityFactors: readonly ListingFactorKey[];
  layerGaps: Readonly<Record<LayerNumber, string>>;
  defaultThreats: Readonly<Record<LayerNumber, readonly string[]>>;
}

/** The committed rule set. */
export const DEFAULT_RULES: RulesTable = {
  signals: SIGNALS,
  base: FACTOR_BASE,
  breadth: BREADTH,
  capabilityFactors: CAPABILITY_FACTORS,
  layerGaps: LAYER_GAPS,
  defaultThreats: DEFAULT_THREATS,
};

/**
 * The version of a rule set: a hash over every table in it and the committed fingerprint of the
 * code around them, so any change to what the assessor outputs changes the version (it keys the
 * pipeline's incremental reruns, the model-response cache and the eval result cache).
 */
export function rulesVersion(table: RulesTable): string {
  const tables = JSON.stringify(
    {
      signals: table.signals,
      base: table.base,
      breadth: table.breadth,
      capabilityFactors: table.capabilityFactors,
      layerGaps: table.layerGaps,
      defaultThreats: table.defaultThreats,
    },
    (_key, value: unknown) => (value instanceof RegExp ? `/${value.source}/${value.flags}` : value),
  );
  const digest = createHash('sha256').update(tables).update('\0').update(RULES_CODE_FINGERPRINT).digest('hex');
  return `rules-2.${digest.slice(0, 12)}`;
}

/** The version of the committed rule set. */
export const RULES_VERSION = rulesVersion(DEFAULT_RULES);

function withDefaults(table: Partial<RulesTable>): RulesTable {
  return { ...DEFAULT_RULES, ...table };
}

/** Rounds to the 0.05 grid the schema requires, clamped to [0, 1]. */
export function toStep(value: number): number {
  const clamped = Math.min(1, Math.max(0, value));
  return Math.round(clamped * 20) / 20;
}

function fmt(value: number): string {
  return value.toFixed(2);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** The capability signals that count towards the breadth uplift. */
export function capabilitySignals(fired: readonly FiredSignal[], capabilityFactors: readonly ListingFactorKey[] = CAPABILITY_FACTORS): FiredSignal[] {
  return fired.filter(({ signal }) => capabilityFactors.some((key) => (signal.factors[key] ?? 0) > 0));
}

function factorFor(key: ListingFactorKey, fired: readonly FiredSignal[], breadth: number, table: RulesTable): FactorAssessment {
  const base = table.base[key];
  const raised: { signal: Signal; delta: number; quotes: string[] }[] = [];
  const lowered: { signal: Signal; delta: number; quotes: string[] }[] = [];
  for (const { signal, quotes } of fired) {
    const delta = signal.factors[key];
    if (delta === undefined || delta === 0) continue;
    (delta > 0 ? raised : lowered).push({ signal, delta, quotes });
  }
  // Positive deltas combine as a probabilistic OR: several weak signals saturate instead of adding past 1.
  const up = 1 - raised.reduce((keep, { delta }) => keep * (1 - delta), 1);
  const down = lowered.reduce((sum, { delta }) => sum + delta, 0);
  const extra = Math.max(0, Math.min(table.breadth.cap, breadth) - table.breadth.after);
  const uplift = extra * table.breadth.perSignal[key];
  const value = toStep(base + up + down + uplift);
  const name = LISTING_FACTORS[key];
  let rationale: string;
  if (raised.length === 0 && lowered.length === 0 && uplift === 0) {
    rationale = `${name} ${fmt(value)}: no signal in the listing bears on this factor, so it stays at the baseline ${fmt(base)} for a listed AI product.`;
  } else {
    const parts = [`${name} ${fmt(value)}: baseline ${fmt(base)}`];
    if (raised.length > 0) {
      parts.push(`raised by ${raised.map(({ signal, delta }) => `${signal.id} (+${fmt(delta)}, ${signal.label})`).join('; ')}`);
    }
    if (lowered.length > 0) {
      parts.push(`lowered by ${lowered.map(({ signal, delta }) => `${signal.id} (${fmt(delta)}, ${signal.label})`).join('; ')}`);
    }
    if (uplift > 0) parts.push(`breadth uplift +${fmt(uplift)} (${breadth} distinct capability signals)`);
    rationale = `${parts.join('; ')}. Raises combine as a probabilistic OR, then the value is rounded to 0.05.`;
  }
  const evidence = unique([...raised, ...lowered].flatMap(({ quotes }) => quotes)).slice(0, 8);
  return { value, rationale: rationale.slice(0, 1200), evidence };
}

function quoteShort(quote: string): string {
  return quote.length > 160 ? `${quote.slice(0, 157)}…` : quote;
}

function capitalise(value: string): string {
  return value.length === 0 ? value : value[0]!.toUpperCase() + value.slice(1);
}

function listWords(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values[values.length - 1]!}`;
}

function layerFor(layer: LayerNumber, name: string, fired: readonly FiredSignal[], table: RulesTable): LayerAssessment {
  const grounding = fired.filter(({ signal }) => signal.grounds.includes(layer));
  const noting = fired.filter(({ signal }) => signal.notes[layer] !== undefined);
  const certain = grounding.length > 0;
  const threats = unique(fired.flatMap(({ signal }) => signal.threats[layer] ?? []));
  const finalThreats = (threats.length > 0 ? threats : table.defaultThreats[layer]).slice(0, 8);
  const sources = certain ? unique([...grounding, ...noting]) : noting;
  const evidence = unique(sources.flatMap(({ quotes }) => quotes)).slice(0, 8);
  const title = MAESTRO_LAYERS[layer];

  let text: string;
  if (certain) {
    const clauses = sources.slice(0, 4).map(({ signal, quotes }) => {
      const note = signal.notes[layer] ?? signal.label;
      return `${note} (“${quoteShort(quotes[0] ?? '')}”)`;
    });
    text =
      `${title}: ${name} — ${clauses.join('; ')}. ` +
      `This exposes the layer to ${listWords(finalThreats)}.`;
  } else {
    const said = noting
      .slice(0, 3)
      .map(({ signal }) => signal.notes[layer] ?? signal.label);
    text =
      `${UNCERTAIN_PREFIX}${capitalise(table.layerGaps[layer])}` +
      (said.length > 0 ? ` What the listing does say: ${said.join('; ')}.` : '') +
      ` Plausible threats for ${name} here, if deployed without further controls: ${listWords(finalThreats)}.`;
  }
  return { layer, certain, threats: finalThreats.map((threat) => threat.slice(0, 120)), text: text.slice(0, 2000), evidence };
}

function summaryFor(listing: Listing, factors: Record<ListingFactorKey, FactorAssessment>, fired: readonly FiredSignal[], uncertain: number): string {
  const name = listing.title.trim() || 'This listing';
  const category = listing.fields.category?.trim() ?? listing.fields.metadata['Category']?.trim();
  const kind = category !== undefined && category.length > 0 && !/^not (?:stated|listed)$/i.test(category) ? category : 'AI product';
  const labels = fired.filter(({ signal }) => Object.values(signal.factors).some((delta) => delta > 0)).map(({ signal }) => signal.label);
  const sum = LISTING_FACTOR_KEYS.reduce((total, key) => total + factors[key].value, 0);
  const level = sum >= 5 ? 'high' : sum >= 3 ? 'moderate' : 'low';
  const drivers = [...LISTING_FACTOR_KEYS]
    .sort((a, b) => factors[b].value - factors[a].value || LISTING_FACTOR_KEYS.indexOf(a) - LISTING_FACTOR_KEYS.indexOf(b))
    .slice(0, 3)
    .map((key) => `${LISTING_FACTORS[key]} ${fmt(factors[key].value)}`);
  const capabilities =
    labels.length > 0
      ? `According to its listing it ${listWords(unique(labels).slice(0, 4))}.`
      : 'Its listing describes few concrete capabilities, so most of this assessment is caveated.';
  return (
    `${name} (${kind}) carries ${level} inherent agentic risk (factor sum ${fmt(sum)} of 10), driven by ${listWords(drivers)}. ` +
    `${capabilities} ${uncertain} of the seven MAESTRO layers are not pinned by the listing and are marked not certain.`
  ).slice(0, 1500);
}

/**
 * Public proof-of-concept attacks (direct and indirect prompt injection, tool and memory poisoning)
 * exist for every LLM-driven or tool-using agent; a listing alone cannot show attacks in the wild.
 */
function maturityFor(fired: readonly FiredSignal[], table: RulesTable): Assessment['exploitMaturity'] {
  const known = fired.filter(({ signal }) => signal.poc === true).map(({ signal }) => signal.id);
  const agentic = capabilitySignals(fired, table.capabilityFactors)
    .map(({ signal }) => signal.id)
    .filter((id) => !known.includes(id));
  if (known.length + agentic.length === 0) {
    return { value: 'unreported', rationale: 'The listing describes no LLM-driven or tool-using capability with known public exploits.' };
  }
  const named = [
    ...(known.length > 0 ? [`capability classes with published proof-of-concept attacks: ${known.join(', ')}`] : []),
    ...(agentic.length > 0 ? [`agentic capabilities that prompt-injection proofs of concept target: ${agentic.join(', ')}`] : []),
  ];
  return {
    value: 'poc',
    rationale: `Proof of concept: ${named.join('; ')}. A listing cannot establish attacks in the wild, so not "attacked".`.slice(0, 1200),
  };
}

/**
 * Only preventive controls on the exploit path count (human approval, read-only scope, guardrails);
 * logs, monitoring and certifications detect or attest after the fact and are named but not counted.
 */
function mitigationFor(fired: readonly FiredSignal[]): Assessment['mitigation'] {
  const preventive = fired.filter(({ signal }) => signal.mitigates === true);
  const detective = fired.filter(({ signal }) => signal.mitigates !== true && (signal.grounds.includes(5) || signal.grounds.includes(6)));
  const value = preventive.length >= 3 ? 'strong' : preventive.length >= 1 ? 'partial' : 'none';
  const stated = preventive.map(({ signal, quotes }) => `${signal.id} (“${quoteShort(quotes[0] ?? '')}”)`);
  const noted = detective.map(({ signal }) => signal.id);
  const rationale =
    (preventive.length > 0
      ? `${preventive.length} preventive control(s) stated: ${stated.join('; ')}.`
      : 'The listing states no preventive control on the exploit path (human approval, read-only scope, guardrail).') +
    (noted.length > 0 ? ` Not counted, since they detect or attest rather than prevent: ${noted.join(', ')}.` : '');
  return { value, rationale: rationale.slice(0, 1200) };
}

/** Assesses one listing with a rule set, the committed one by default (pure, synchronous, deterministic). */
export function assessWithRules(listing: Listing, overrides: Partial<RulesTable> = {}): Assessment {
  const table = withDefaults(overrides);
  const fired = matchSignals(candidateSentences(listing), table.signals);
  const breadth = capabilitySignals(fired, table.capabilityFactors).length;
  const factors = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorFor(key, fired, breadth, table)])) as Record<
    ListingFactorKey,
    FactorAssessment
  >;
  const name = listing.title.trim() || 'the agent';
  const layers = LAYER_NUMBERS.map((layer) => layerFor(layer, name, fired, table));
  const cvss = buildCvss(fired);

  const exploitMaturity = maturityFor(fired, table);
  const mitigation = mitigationFor(fired);

  const uncertain = layers.filter((layer) => !layer.certain).length;
  return {
    summary: summaryFor(listing, factors, fired, uncertain),
    factors,
    cvss,
    exploitMaturity,
    mitigation,
    layers,
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
