/** The shapes of the rules assessor's data tables (kinds, signals). */
import type { LayerNumber, ListingFactorKey } from '../../../../schemas/factors.js';
import type { FieldKind } from './fields.js';
import type { Tells } from './layers.js';

type ImpactLevels = Partial<Record<'VC' | 'VI' | 'VA' | 'SC' | 'SI' | 'SA', 'L' | 'H'>>;

/**
 * How a statement shapes the CVSS v4.0 vector of the most plausible exploit path (see cvss.ts):
 * impacts only ever rise (the highest wins); AV, AT and UI are decided by which statements ask for what.
 */
export interface CvssNudge {
  /** Attack vector: L when the agent is said to run only locally; N when it takes network input (N wins). */
  AV?: 'N' | 'L';
  /** Attack requirements: P for a component others deploy (model, skill, protocol); N for a deployed service (N wins). */
  AT?: 'N' | 'P';
  /** User interaction: N when untrusted content reaches the agent without a user step (wins), A with a human approving. */
  UI?: 'N' | 'A';
  /** Impacts on the agent (V*) and on the systems it acts on (S*). */
  impact?: ImpactLevels;
  /** Impacts that apply only when some fired statement is an exfiltration channel (held data becomes leakable). */
  withChannel?: ImpactLevels;
  /** The agent can send data out (outbound tools, messages, fetches, code). */
  channel?: boolean;
}

/** How strongly a signal moves a factor: 1 weak, 2 medium, 3 strong; negative lowers it. */
export type EffectLevel = 1 | 2 | 3 | -1 | -2 | -3;
/** The factors a signal moves and how strongly: the calibration fits what each level is worth. */
export type Effects = Partial<Record<ListingFactorKey, EffectLevel>>;
/** Where a kind puts a factor before any signal: 0 none, 1 low, 2 mid, 3 high, 4 top. */
export type PriorLevel = 0 | 1 | 2 | 3 | 4;
export type Priors = Readonly<Record<ListingFactorKey, PriorLevel>>;

/** Sentences a pattern must match and must not match: run as tests for every entry. */
export interface Examples {
  match: readonly string[];
  noMatch: readonly string[];
}

/** What a kind or signal contributes to the layer texts, threats, CVSS and mitigation. */
export interface Meaning {
  /** Layers it pins (makes certain, with its quote as evidence). */
  pins: readonly LayerNumber[];
  /** The aspects of each layer it speaks to (for the layer text's "does not say …"). */
  tells: Tells;
  /** A clause per layer for the layer text ("it runs shell commands on the host"). */
  notes: Partial<Record<LayerNumber, string>>;
  /** Threat ids per layer (data/threats.ts). */
  threats: Partial<Record<LayerNumber, readonly string[]>>;
  cvss?: CvssNudge;
}

export interface Kind extends Meaning {
  /** Stable kebab-case id (expected.json `kind`). */
  id: string;
  /** How a summary names it ("coding agent"). */
  label: string;
  /** Matched against the listing's category field and the head of its lead sentence. */
  cues: readonly RegExp[];
  /**
   * True for a kind that says what form a thing takes (a skill, a plugin) rather than what it
   * does: it is primary only when no what-it-does kind matches.
   */
  form?: boolean;
  /** Where each factor starts for this kind of thing, as a level the calibration gives a value. */
  priors: Priors;
  examples: Examples;
}

export interface Signal extends Meaning {
  /** Stable kebab-case id, named in rationales. */
  id: string;
  /** What the signal means, in words used in rationales and summaries ("executes code or shell commands"). */
  label: string;
  patterns: readonly RegExp[];
  /** A match overlapped by one of these is another sense of the words ("8,192 tokens" is not a credential). */
  unless?: readonly RegExp[];
  /** A statement matching one of these is about something else altogether (routing to a model is not running on it). */
  unlessStatement?: readonly RegExp[];
  /** Only statements of these field kinds are read (default: sentences and every field). */
  fields?: readonly FieldKind[];
  /** Fires on any field of these kinds whose value is explicitly absent ("Tools: None"). */
  absentFields?: readonly FieldKind[];
  /** Fires on any field of these kinds whose value is stated ("Models: GPT-4o"). */
  statedFields?: readonly FieldKind[];
  /** True when the patterns state an absence themselves ("No tools"): their own negation is part of the match. */
  absence?: boolean;
  /** Factors it moves and how strongly; what a level is worth is fitted. */
  effects: Effects;
  /**
   * Bounds a stated limitation puts on a factor however much else the listing says ("a human
   * approves every payment" keeps autonomy moderate; "Tools: None" keeps tool use near zero).
   * Principles, set by hand, not fitted; a hedged statement bounds nothing.
   */
  ceilings?: Partial<Record<ListingFactorKey, number>>;
  /** A preventive control on the exploit path (human approval, read-only scope, sandbox, guardrail). */
  mitigates?: boolean;
  /** Public proof-of-concept attacks exist for this capability class. */
  poc?: boolean;
  /**
   * True for what is said of nearly every listing in an agent directory (it is AI-driven): the
   * signal moves factors, but pins none of them (their certainty stays inferred).
   */
  generic?: boolean;
  examples: Examples;
}
