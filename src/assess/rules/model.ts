/**
 * From what the listing says to factor values (pure). Each factor starts where the listing's kind
 * puts it (a prior level, 0 none to 4 top), then every fired signal moves it by its level (1 weak,
 * 2 medium, 3 strong, or lowers it), and a breadth term adds for listings that state many distinct
 * capabilities (further signals on the same factor count less and less, so one capability said
 * three ways is not three capabilities). The table says which factors and how strongly; the calibration, fitted from data by
 * fit.ts, says what each level is worth for each factor: twelve numbers per factor in all, so the
 * table learns principles, not cases. Levels are cumulative steps, so a stronger level is never
 * worth less than a weaker one.
 */
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../../schemas/factors.js';
import type { EffectLevel, PriorLevel } from './data/types.js';
import type { KindReading } from './kind.js';
import type { Firing } from './match.js';

/** Factors whose raises make a signal count as an agentic capability for the breadth term. */
export const CAPABILITY_FACTORS: readonly ListingFactorKey[] = ['autonomyOfAction', 'goalDrivenPlanning', 'dynamicToolUse', 'multiAgentInteractions'];
/** Capability signals beyond which breadth saturates. */
export const BREADTH_CAP = 6;

/** What the levels are worth for one factor. */
export interface FactorCalibration {
  /** The value of a kind at prior level 0 with nothing stated. */
  base: number;
  /** What each prior level step adds: level L adds the first L steps. */
  kindSteps: readonly [number, number, number, number];
  /** What each raising level step adds (level L adds the first L steps), times the signal's strength. */
  upSteps: readonly [number, number, number];
  /** What each lowering level step takes away. */
  downSteps: readonly [number, number, number];
  /** Added at full breadth (BREADTH_CAP capability signals or more), pro rata below. */
  breadth: number;
}

/** The fitted table the assessor reads (written by `npm run calibrate`). */
export interface Calibration {
  factors: Readonly<Record<ListingFactorKey, FactorCalibration>>;
  /** How the table was fitted and how well it did, for the record. */
  fit: {
    cases: number;
    referenceCases: number;
    lambda: number;
    inSampleMae: number;
    crossValidatedMae: number;
    folds: number;
  };
}

/** A listing's levels: its kind's prior level per factor and each fired signal's level and strength. */
export interface Levels {
  kind: { id: string; label: string; priors: Readonly<Record<ListingFactorKey, PriorLevel>> };
  signals: readonly { id: string; label: string; effect: Readonly<Partial<Record<ListingFactorKey, EffectLevel>>>; strength: number; hedged: boolean }[];
  /** The lowest ceiling stated limitations put on each factor, with the signal that put it. */
  ceilings: Partial<Record<ListingFactorKey, { value: number; id: string }>>;
  /** Capability signals (strength-weighted), capped, as a share of BREADTH_CAP. */
  breadth: number;
}

/** The capability signals that count towards breadth. */
export function capabilityFirings(firings: readonly Firing[]): Firing[] {
  return firings.filter(({ signal }) => CAPABILITY_FACTORS.some((key) => (signal.effects[key] ?? 0) > 0));
}

/** The levels a listing's kind and fired signals give. */
export function levelsOf(kinds: KindReading, firings: readonly Firing[]): Levels {
  const breadth = capabilityFirings(firings).reduce((sum, { strength }) => sum + strength, 0);
  const ceilings: Levels['ceilings'] = {};
  for (const { signal, strength } of firings) {
    if (strength < 1) continue;
    for (const [key, value] of Object.entries(signal.ceilings ?? {}) as [ListingFactorKey, number][]) {
      if ((ceilings[key]?.value ?? Infinity) > value) ceilings[key] = { value, id: signal.id };
    }
  }
  return {
    ceilings,
    kind: { id: kinds.primary.id, label: kinds.primary.label, priors: kinds.primary.priors },
    signals: firings
      .filter(({ signal }) => Object.keys(signal.effects).length > 0)
      .map(({ signal, strength }) => ({ id: signal.id, label: signal.label, effect: signal.effects, strength, hedged: strength < 1 })),
    breadth: Math.min(BREADTH_CAP, breadth) / BREADTH_CAP,
  };
}

/**
 * The design row of one factor: cumulative level indicators, so the fitted step weights (all
 * non-negative) make stronger levels worth at least as much as weaker ones.
 * [kind≥1, kind≥2, kind≥3, kind≥4, up≥1, up≥2, up≥3, −down≥1, −down≥2, −down≥3, breadth]
 */
export function designRow(levels: Levels, key: ListingFactorKey): number[] {
  const prior = levels.kind.priors[key];
  const row = [prior >= 1 ? 1 : 0, prior >= 2 ? 1 : 0, prior >= 3 ? 1 : 0, prior >= 4 ? 1 : 0, 0, 0, 0, 0, 0, 0, levels.breadth];
  for (const { level, weight } of discounted(levels, key)) {
    const offset = level > 0 ? 4 : 7;
    for (let step = 0; step < Math.abs(level); step++) row[offset + step]! += (level > 0 ? 1 : -1) * weight;
  }
  return row;
}

/**
 * How much each signal on a factor counts: the strongest raise counts fully, the next half, the
 * next a quarter, and so on (lowerings alike), so several wordings of one capability saturate
 * instead of adding up, and a listing that says more about the same thing does not score higher.
 */
export function discounted(levels: Levels, key: ListingFactorKey): { id: string; level: number; weight: number }[] {
  const entries = levels.signals
    .filter(({ effect }) => effect[key] !== undefined)
    .map(({ id, effect, strength }) => ({ id, level: effect[key]!, strength }));
  const out: { id: string; level: number; weight: number }[] = [];
  for (const sign of [1, -1]) {
    const side = entries
      .filter(({ level }) => Math.sign(level) === sign)
      .sort((a, b) => Math.abs(b.level) * b.strength - Math.abs(a.level) * a.strength || a.id.localeCompare(b.id));
    side.forEach(({ id, level, strength }, rank) => out.push({ id, level, weight: strength * DISCOUNT ** rank }));
  }
  return out;
}

/** Each further signal on the same factor and side counts this much of the one before it. */
export const DISCOUNT = 0.5;

/** The weights of a factor calibration, in design-row order. */
export function weightsOf(factor: FactorCalibration): number[] {
  return [...factor.kindSteps, ...factor.upSteps, ...factor.downSteps, factor.breadth];
}

/** Rounds to the 0.05 grid the schema requires, clamped to [0, 1]. */
export function toStep(value: number): number {
  const clamped = Math.min(1, Math.max(0, value));
  return Math.round(clamped * 20) / 20;
}

/** The unrounded linear value of a factor. */
export function rawValue(levels: Levels, factor: FactorCalibration, key: ListingFactorKey): number {
  const row = designRow(levels, key);
  return weightsOf(factor).reduce((sum, weight, index) => sum + weight * row[index]!, factor.base);
}

/** A factor's value: the linear value on the 0.05 grid, within any ceiling a stated limitation puts on it. */
export function valueOf(levels: Levels, factor: FactorCalibration, key: ListingFactorKey): number {
  const value = toStep(rawValue(levels, factor, key));
  const ceiling = levels.ceilings[key];
  return ceiling === undefined ? value : Math.min(value, toStep(ceiling.value));
}

/** One factor's value and the parts that made it. */
export interface FactorEstimate {
  value: number;
  raw: number;
  base: number;
  parts: { id: string; label: string; contribution: number }[];
  /** The stated limitation that capped the value, when one did. */
  ceiling: { value: number; id: string } | null;
}

const sumSteps = (steps: readonly number[], level: number): number => steps.slice(0, level).reduce((sum, step) => sum + step, 0);
const PRIOR_NAMES = ['none', 'low', 'mid', 'high', 'top'] as const;
const EFFECT_NAMES: Readonly<Record<number, string>> = { 1: 'weak', 2: 'medium', 3: 'strong' };

/** Estimates every factor with the calibration table, naming each part. */
export function estimate(levels: Levels, calibration: Calibration): Record<ListingFactorKey, FactorEstimate> {
  const out = {} as Record<ListingFactorKey, FactorEstimate>;
  for (const key of LISTING_FACTOR_KEYS) {
    const factor = calibration.factors[key];
    const parts: FactorEstimate['parts'] = [];
    const prior = levels.kind.priors[key];
    const kindPart = sumSteps(factor.kindSteps, prior);
    parts.push({ id: `kind:${levels.kind.id}`, label: `${levels.kind.label} prior (${PRIOR_NAMES[prior]})`, contribution: kindPart });
    const signals = new Map(levels.signals.map((signal) => [signal.id, signal]));
    for (const { id, level, weight } of discounted(levels, key)) {
      const { label, hedged } = signals.get(id)!;
      const contribution = (level > 0 ? sumSteps(factor.upSteps, level) : -sumSteps(factor.downSteps, -level)) * weight;
      if (contribution !== 0) parts.push({ id, label: `${id} (${label}; ${level > 0 ? '' : 'lowers, '}${EFFECT_NAMES[Math.abs(level)]}${hedged ? ', hedged' : ''})`, contribution });
    }
    if (levels.breadth > 0 && factor.breadth > 0) parts.push({ id: 'breadth', label: 'breadth of stated capabilities', contribution: factor.breadth * levels.breadth });
    const raw = parts.reduce((sum, part) => sum + part.contribution, factor.base);
    const [kind, ...rest] = parts;
    rest.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.id.localeCompare(b.id));
    const ceiling = levels.ceilings[key] ?? null;
    const capped = ceiling !== null && toStep(raw) > ceiling.value;
    out[key] = {
      value: capped ? toStep(ceiling.value) : toStep(raw),
      raw,
      base: factor.base,
      parts: [kind!, ...rest].filter((part) => Math.abs(part.contribution) >= 0.005),
      ceiling: capped ? ceiling : null,
    };
  }
  return out;
}
