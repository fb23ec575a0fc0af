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
import { BREADTH, CAPABILITY_FACTORS, FACTOR_BASE, SIGNALS, type Signal } from './signals.js';

/** Changes whenever the signal table or the mapping changes (it keys caches and eval baselines). */
export const RULES_VERSION = `rules-1.${createHash('sha256')
  .update(
    JSON.stringify(
      { signals: SIGNALS, base: FACTOR_BASE },
      (_key, value: unknown) => (value instanceof RegExp ? `/${value.source}/${value.flags}` : value),
    ),
  )
  .digest('hex')
  .slice(0, 12)}`;

/** What a layer says when the listing is silent about it (after the "Not certain" prefix). */
const LAYER_GAPS: Readonly<Record<LayerNumber, string>> = {
  1: 'the listing does not say which foundation model it runs on, how that model is aligned or which input filters sit in front of it; model-level threats depend on that choice.',
  2: 'the listing does not describe what data it stores, retrieves or trains on, or how long it keeps it; data-operation threats depend on those pipelines.',
  3: 'the listing does not describe an agent framework, tool-calling orchestration or how actions are authorised; framework-level threats depend on how it is wired.',
  4: 'hosting, sandboxing, network exposure and secret handling are not specified; they depend on the deploying environment.',
  5: 'the listing does not mention runtime evaluation, logging, guardrails or monitoring that would catch misuse or drift.',
  6: 'there is no mention of access control, compliance certifications or data-protection commitments.',
  7: 'the listing does not place it in a wider ecosystem of agents, plugins or marketplaces, so ecosystem-level threats are not established.',
};

const DEFAULT_THREATS: Readonly<Record<LayerNumber, readonly string[]>> = {
  1: ['prompt injection', 'jailbreak', 'hallucinated or toxic output'],
  2: ['data poisoning', 'data exfiltration'],
  3: ['tool misuse', 'API abuse', 'input validation flaws'],
  4: ['credential exposure', 'host compromise', 'supply-chain compromise'],
  5: ['no observability', 'malicious actions unnoticed', 'silent data exfiltration', 'no content moderation'],
  6: ['unclear access control'],
  7: ['untrusted third-party components'],
};

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
export function capabilitySignals(fired: readonly FiredSignal[]): FiredSignal[] {
  return fired.filter(({ signal }) => CAPABILITY_FACTORS.some((key) => (signal.factors[key] ?? 0) > 0));
}

function factorFor(key: ListingFactorKey, fired: readonly FiredSignal[], breadth: number): FactorAssessment {
  const base = FACTOR_BASE[key];
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
  const extra = Math.max(0, Math.min(BREADTH.cap, breadth) - BREADTH.after);
  const uplift = extra * BREADTH.perSignal[key];
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

function layerFor(layer: LayerNumber, name: string, fired: readonly FiredSignal[]): LayerAssessment {
  const grounding = fired.filter(({ signal }) => signal.grounds.includes(layer));
  const noting = fired.filter(({ signal }) => signal.notes[layer] !== undefined);
  const certain = grounding.length > 0;
  const threats = unique(fired.flatMap(({ signal }) => signal.threats[layer] ?? []));
  const finalThreats = (threats.length > 0 ? threats : DEFAULT_THREATS[layer]).slice(0, 8);
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
      `${UNCERTAIN_PREFIX}${capitalise(LAYER_GAPS[layer])}` +
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
function maturityFor(fired: readonly FiredSignal[]): Assessment['exploitMaturity'] {
  const known = fired.filter(({ signal }) => signal.poc === true).map(({ signal }) => signal.id);
  const agentic = capabilitySignals(fired)
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

/** Assesses one listing with the signal table (pure, synchronous, deterministic). */
export function assessWithRules(listing: Listing, table: readonly Signal[] = SIGNALS): Assessment {
  const fired = matchSignals(candidateSentences(listing), table);
  const breadth = capabilitySignals(fired).length;
  const factors = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorFor(key, fired, breadth)])) as Record<
    ListingFactorKey,
    FactorAssessment
  >;
  const name = listing.title.trim() || 'the agent';
  const layers = LAYER_NUMBERS.map((layer) => layerFor(layer, name, fired));
  const cvss = buildCvss(fired);

  const exploitMaturity = maturityFor(fired);
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

/** The offline, deterministic assessor behind `--assessor rules` (the default). */
export function createRulesAssessor(table: readonly Signal[] = SIGNALS): Assessor {
  return {
    id: 'rules',
    version: RULES_VERSION,
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
