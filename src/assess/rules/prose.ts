/**
 * The rules assessor's words (pure): the summary, factor rationales, layer texts, and the
 * rationales of maturity, mitigation and an edited CVSS vector. Every sentence is derived from the
 * reading of the listing and the draft's current values, so a reviewer's edit regenerates them
 * deterministically (regenerate.ts), and the summary's wording always follows the computed band.
 */
import type { Assessment, FactorAssessment, FactorCertainty, LayerAssessment } from '../../../schemas/assessment.js';
import { namedThreat } from '../../../schemas/catalogue/index.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber, type ListingFactorKey } from '../../../schemas/factors.js';
import type { Listing } from '../../../schemas/listing.js';
import type { Score } from '../../../schemas/score.js';
import { UNCERTAIN_PREFIX } from '../checks.js';
import { BAND_PHRASES } from '../summary-band.js';
import { INSUFFICIENT_SENTENCE } from '../uncertainty.js';
import { ASPECTS } from './data/layers.js';
import { DEFAULT_THREATS, THREATS, type Threat } from './data/threats.js';
import type { FactorEstimate } from './model.js';
import type { Contribution, Reading } from './read.js';

const THREAT_BY_ID: ReadonlyMap<string, Threat> = new Map(THREATS.map((threat) => [threat.id, threat]));

function fmt(value: number): string {
  return value.toFixed(2);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

export function quoteShort(quote: string): string {
  return quote.length > 160 ? `${quote.slice(0, 157)}…` : quote;
}

function capitalise(value: string): string {
  return value.length === 0 ? value : value[0]!.toUpperCase() + value.slice(1);
}

export function listWords(values: readonly string[], conjunction = 'and'): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} ${conjunction} ${values[values.length - 1]!}`;
}

function article(phrase: string): string {
  return /^[aeiou]/i.test(phrase) && !/^(?:one|uni|use)/i.test(phrase) ? 'an' : 'a';
}

/** The name a draft calls the listing by. */
export function nameOf(listing: Listing): string {
  return listing.title.trim() || 'This listing';
}

/** Quotes behind the parts of an estimate: the statements that fired its signals and placed its kind. */
function quotesFor(estimate: FactorEstimate, reading: Reading): string[] {
  const quotes: string[] = [...(estimate.ceiling === null ? [] : (reading.firings.find(({ signal }) => signal.id === estimate.ceiling?.id)?.quotes ?? []))];
  for (const { id } of estimate.parts) {
    if (id.startsWith('kind:')) {
      if (reading.kinds.quote !== null) quotes.push(reading.kinds.quote);
    } else quotes.push(...(reading.firings.find(({ signal }) => signal.id === id)?.quotes ?? []));
  }
  return unique(quotes).slice(0, 8);
}

/**
 * A factor's rationale and evidence. When the value is the rules estimate, it names every part of
 * the calibrated sum; when a reviewer set another value, it says so and keeps the estimate's basis.
 */
export function factorAssessment(key: ListingFactorKey, value: number, estimate: FactorEstimate, reading: Reading): FactorAssessment {
  const name = LISTING_FACTORS[key];
  const parts = estimate.parts.slice(0, 6).map(({ label, contribution }) => `${label} ${signed(contribution)}`);
  const basis =
    `base ${fmt(estimate.base)}` +
    (parts.length > 0 ? `; ${parts.join('; ')}${estimate.parts.length > 6 ? `; ${estimate.parts.length - 6} smaller parts` : ''}` : '; nothing in the listing moves it');
  const capped = estimate.ceiling === null ? '' : `, capped at ${fmt(estimate.ceiling.value)} by ${estimate.ceiling.id}`;
  const rationale =
    value === estimate.value
      ? `${name} ${fmt(value)}: ${basis}; the sum ${fmt(estimate.raw)} is rounded to 0.05${capped}. What each level is worth is fitted from labelled listings (npm run calibrate).`
      : `${name} ${fmt(value)}, set by a reviewer. The rules estimate was ${fmt(estimate.value)} (${basis}).`;
  return { value, rationale: rationale.slice(0, 1200), evidence: quotesFor(estimate, reading), certainty: factorCertainty(estimate, reading) };
}

/**
 * How firmly the listing pins a factor: `field` when a stated (not hedged) signal moving it, or a
 * limitation capping it, was read from a labelled field; `stated` when one was read from a
 * sentence; `inferred` when only the kind's prior (placed by a statement) or hedged statements move
 * it; `unknown` when nothing in the listing does. What the listing says it is (its category, or the
 * statement that placed its kind) names a kind of product, not a capability of this one, so a
 * signal read only from it pins nothing; nor does a generic signal (that it is AI-driven).
 */
export function factorCertainty(estimate: FactorEstimate, reading: Reading): FactorCertainty {
  const pins = pinsOf(reading);
  let best: FactorCertainty = reading.kinds.quote === null ? 'unknown' : 'inferred';
  for (const id of [...estimate.parts.map((part) => part.id), ...(estimate.ceiling === null ? [] : [estimate.ceiling.id])]) {
    const pin = pins.get(id);
    if (pin === 'field') return 'field';
    if (pin === 'stated') best = 'stated';
    else if (pin === 'inferred' && best === 'unknown') best = 'inferred';
  }
  return best;
}

const PINS = new WeakMap<Reading, Map<string, FactorCertainty>>();

/** How firmly each fired signal pins what it moves (see {@link factorCertainty}), worked out once per reading. */
function pinsOf(reading: Reading): Map<string, FactorCertainty> {
  const known = PINS.get(reading);
  if (known !== undefined) return known;
  const fieldQuotes = new Set(reading.statements.filter((statement) => statement.field !== null).map((statement) => statement.quote));
  const kindQuotes = new Set([
    ...(reading.kinds.quote === null ? [] : [reading.kinds.quote]),
    ...reading.statements.filter((statement) => statement.field?.kind === 'category').map((statement) => statement.quote),
  ]);
  const pins = new Map<string, FactorCertainty>();
  for (const { signal, strength, quotes } of reading.firings) {
    const own = strength === 1 && signal.generic !== true ? quotes.filter((quote) => !kindQuotes.has(quote)) : [];
    pins.set(signal.id, own.some((quote) => fieldQuotes.has(quote)) ? 'field' : own.length > 0 ? 'stated' : 'inferred');
  }
  PINS.set(reading, pins);
  return pins;
}

/** Catalogue threat ids for a layer from what the listing establishes, without those it rules out. */
export function threatsFor(layer: LayerNumber, contributions: readonly Contribution[]): string[] {
  const fired = new Set(contributions.filter(({ strength }) => strength === 1).map(({ id }) => id));
  const applicable = (id: string): boolean => {
    const threat = THREAT_BY_ID.get(id);
    return threat !== undefined && !(threat.suppressedBy ?? []).some((signal) => fired.has(signal));
  };
  const named = unique(contributions.flatMap(({ meaning }) => meaning.threats[layer] ?? [])).filter(applicable);
  const ids = named.length > 0 ? named : DEFAULT_THREATS[layer].filter(applicable);
  return ids.slice(0, 8);
}

/**
 * One MAESTRO layer. Certain when something stated (not hedged) pins it, with those statements as
 * evidence; otherwise "Not certain from the listing — " followed by what the listing does say near
 * the layer (quoted) and which of the layer's aspects it leaves open, never one it speaks to.
 */
export function layerAssessment(layer: LayerNumber, name: string, contributions: readonly Contribution[]): LayerAssessment {
  const pinning = contributions.filter(({ meaning, strength }) => strength === 1 && meaning.pins.includes(layer));
  const speaking = contributions.filter(({ meaning }) => meaning.notes[layer] !== undefined || (meaning.tells[layer]?.length ?? 0) > 0);
  const certain = pinning.length > 0;
  const ids = threatsFor(layer, contributions);
  const threats = ids.map((id) => THREAT_BY_ID.get(id)!.name);
  const aspects = ASPECTS[layer] as Record<string, string>;
  const told = new Set(speaking.flatMap(({ meaning }) => (meaning.tells[layer] ?? []) as readonly string[]));
  const missing = Object.entries(aspects)
    .filter(([aspect]) => !told.has(aspect))
    .map(([, phrase]) => phrase);
  const sources = unique([...pinning, ...speaking]);
  const evidence = unique((certain ? sources : speaking).flatMap(({ quotes }) => quotes)).slice(0, 8);
  const clause = ({ meaning, label, quotes, strength }: Contribution): string => {
    const note = meaning.notes[layer] ?? label;
    const quote = quotes[0] === undefined ? '' : ` (“${quoteShort(quotes[0])}”)`;
    return strength < 1 ? `it may be that ${note}${quote}, though the listing hedges this` : `${note}${quote}`;
  };
  const title = MAESTRO_LAYERS[layer];
  let text: string;
  if (certain) {
    const open = missing.length > 0 ? ` It does not say ${listWords(missing.slice(0, 2), 'or')}.` : '';
    text = `${title}: ${name} — ${sources.slice(0, 4).map(clause).join('; ')}.${open} This exposes the layer to ${listWords(threats)}.`;
  } else {
    const said = speaking.slice(0, 3).map(clause);
    const gap = missing.length > 0 ? `does not say ${listWords(missing, 'or')}` : 'does not pin this layer down';
    text =
      UNCERTAIN_PREFIX +
      (said.length > 0 ? `The listing states that ${said.join('; ')}, but ${gap}.` : `The listing ${gap}.`) +
      ` Plausible threats for ${name} here, if deployed without further controls: ${listWords(threats)}.`;
  }
  return { layer, certain, threats: ids.map(namedThreat), otherThreats: [], text: text.slice(0, 2000), evidence };
}

/**
 * Public proof-of-concept attacks (direct and indirect prompt injection, tool and memory poisoning)
 * exist for every LLM-driven or tool-using agent; a listing alone cannot show attacks in the wild.
 */
export function maturityFor(contributions: readonly Contribution[], capabilityIds: readonly string[]): Assessment['exploitMaturity'] {
  const stated = contributions.filter(({ strength }) => strength === 1);
  const known = stated.filter(({ poc }) => poc).map(({ id }) => id);
  const agentic = capabilityIds.filter((id) => !known.includes(id));
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
 * Only preventive controls on the exploit path count (human approval, limits, read-only scope,
 * sandboxing, guardrails, access control); logs, monitoring and certifications detect or attest
 * after the fact and are named but not counted. A hedged control does not count.
 */
export function mitigationFor(contributions: readonly Contribution[]): Assessment['mitigation'] {
  const preventive = contributions.filter(({ mitigates, strength }) => mitigates && strength === 1);
  const detective = contributions.filter(
    ({ mitigates, meaning, strength }) => strength === 1 && !mitigates && (meaning.pins.includes(5) || meaning.pins.includes(6)),
  );
  const value = preventive.length >= 3 ? 'strong' : preventive.length >= 1 ? 'partial' : 'none';
  const stated = preventive.map(({ id, quotes }) => `${id} (“${quoteShort(quotes[0] ?? '')}”)`);
  const noted = detective.map(({ id }) => id);
  const rationale =
    (preventive.length > 0
      ? `${preventive.length} preventive control(s) stated: ${stated.join('; ')}.`
      : 'The listing states no preventive control on the exploit path (human approval, limits, read-only scope, sandbox, guardrail, access control).') +
    (noted.length > 0 ? ` Not counted, since they detect or attest rather than prevent: ${noted.join(', ')}.` : '');
  return { value, rationale: rationale.slice(0, 1200) };
}

/** The rationale of a mitigation or maturity level a reviewer set by hand. */
export function reviewerLevelRationale(what: 'Mitigation' | 'Exploit maturity', value: string, estimate: { value: string; rationale: string }): string {
  return `${what} ${value}, set by a reviewer. The rules estimate was ${estimate.value}: ${estimate.rationale}`.slice(0, 1200);
}

const METRIC_WORDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  AV: { N: 'reachable over the network', A: 'reachable from an adjacent network', L: 'reachable only locally', P: 'needing physical access' },
  AC: { L: 'with low attack complexity', H: 'with high attack complexity' },
  AT: { N: 'with no special attack requirements', P: 'when the integrator’s deployment allows it' },
  PR: { N: 'needing no privileges', L: 'needing low privileges', H: 'needing high privileges' },
  UI: { N: 'with no user interaction', P: 'when a user submits or opens the content', A: 'only when a user actively approves' },
};
const IMPACT_WORDS: Readonly<Record<string, string>> = { H: 'high', L: 'low', N: 'no' };

/** Explains a CVSS v4.0 base vector in words (for a vector a reviewer edited). */
export function describeVector(vector: string): string {
  const metrics = Object.fromEntries(vector.split('/').slice(1).map((part) => part.split(':') as [string, string]));
  const path = ['AV', 'AC', 'AT', 'PR', 'UI'].map((metric) => METRIC_WORDS[metric]?.[metrics[metric] ?? ''] ?? `${metric}:${metrics[metric] ?? '?'}`);
  const impact = (prefix: 'V' | 'S') =>
    ['C', 'I', 'A'].map((part) => `${IMPACT_WORDS[metrics[`${prefix}${part}`] ?? 'N'] ?? '?'} ${{ C: 'confidentiality', I: 'integrity', A: 'availability' }[part]}`).join(', ');
  return `${vector}, set by a reviewer: an exploit path ${path.join(', ')}; on the agent ${impact('V')} impact; on the systems it acts on ${impact('S')} impact.`.slice(0, 1200);
}

/** The summary: what the listing is, its score in the words of its band, what drives it, what is open. */
export function summaryFor(
  listing: Listing,
  reading: Reading,
  contributions: readonly Contribution[],
  factors: Readonly<Record<ListingFactorKey, { value: number }>>,
  score: Score,
  uncertainLayers: number,
  insufficient: boolean,
): string {
  const name = nameOf(listing);
  const category = reading.statements.find((statement) => statement.field?.kind === 'category' && statement.field.state === 'stated')?.field?.value;
  const kind = reading.kinds.primary.label;
  const placed = `${name} is ${article(kind)} ${kind}${category !== undefined && category.toLowerCase() !== kind ? ` (listed as “${quoteShort(category)}”)` : ''}.`;
  const sum = LISTING_FACTOR_KEYS.reduce((total, key) => total + factors[key].value, 0);
  const drivers = [...LISTING_FACTOR_KEYS]
    .sort((a, b) => factors[b].value - factors[a].value || LISTING_FACTOR_KEYS.indexOf(a) - LISTING_FACTOR_KEYS.indexOf(b))
    .slice(0, 3)
    .map((key) => `${LISTING_FACTORS[key]} ${fmt(factors[key].value)}`);
  const scored =
    `Its draft AIVSS score is ${score.score.toFixed(1)} (${score.severity}), ${BAND_PHRASES[score.severity]}: ` +
    `a CVSS base of ${score.cvssBase.toFixed(1)} for its most plausible exploit path, with agentic factors summing to ${fmt(sum)} of 10, led by ${listWords(drivers)}.`;
  const stated = contributions.filter(({ raises, strength }) => raises && strength === 1);
  const hedged = contributions.filter(({ raises, strength }) => raises && strength < 1);
  const does =
    stated.length > 0
      ? `According to its listing it ${listWords(unique(stated.map(({ label }) => label)).slice(0, 4))}` +
        (hedged.length > 0 ? `; it suggests, without stating it firmly, that it ${listWords(unique(hedged.map(({ label }) => label)).slice(0, 2), 'or')}.` : '.')
      : 'Its listing states few concrete capabilities, so much of this draft rests on what such products usually do.';
  const open = `${uncertainLayers} of the seven MAESTRO layers are not pinned by the listing and are marked not certain.`;
  const thin = insufficient ? ` ${INSUFFICIENT_SENTENCE}` : '';
  return `${placed} ${scored} ${does} ${capitalise(open)}`.slice(0, 1500 - thin.length) + thin;
}
