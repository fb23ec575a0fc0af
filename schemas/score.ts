import { z } from 'zod';
import { LISTING_FACTOR_KEYS, V08_FACTOR_KEYS } from './factors.js';

export const FORMULAS = ['v0.8', 'v0.8-floor', 'v0.5'] as const;
export const formulaSchema = z.enum(FORMULAS);
export type Formula = z.infer<typeof formulaSchema>;

export const ROUNDINGS = ['half-up', 'float-half-even'] as const;
export const roundingSchema = z.enum(ROUNDINGS);
export type Rounding = z.infer<typeof roundingSchema>;

export const SEVERITIES = ['None', 'Low', 'Medium', 'High', 'Critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

export const THREAT_LEVELS = { attacked: 1, poc: 0.97, unreported: 0.5 } as const;
export type ThreatLevel = keyof typeof THREAT_LEVELS;
export const MITIGATION_LEVELS = { none: 1, partial: 0.83, strong: 0.67 } as const;
export type MitigationLevel = keyof typeof MITIGATION_LEVELS;

const finite = z.number().refine(Number.isFinite, { message: 'expected a finite number' });

/** The CVSS input: a CVSS v4.0 vector, or a base score in [0, 10] with at most one decimal. */
export const cvssInputSchema = z.union([z.string(), finite]);

/** Factor values keyed by either the ten listing keys or the ten v0.8 keys (validated in src/aivss). */
export const factorsInputSchema = z.record(z.string(), z.unknown());

/** What `threatdraft score` reads. */
export const scoreInputSchema = z
  .object({
    formula: formulaSchema.default('v0.8'),
    cvss: cvssInputSchema,
    factors: factorsInputSchema,
    thm: z.union([z.enum(['attacked', 'poc', 'unreported']), finite]).optional(),
    mf: z.union([z.enum(['none', 'partial', 'strong']), finite]).optional(),
    rounding: roundingSchema.default('half-up'),
    /** A stated AARS that replaces the one computed from the factors (to reproduce published examples). */
    aars: finite.optional(),
  })
  .strict();
export type ScoreInput = z.input<typeof scoreInputSchema>;

/** The whole score, every part as data so a reader can recompute it by hand. */
export const scoreSchema = z.object({
  formula: formulaSchema,
  cvssBase: z.number(),
  cvssVector: z.string().nullable(),
  factorSum: z.number(),
  aars: z.number(),
  thm: z.number(),
  mf: z.number().nullable(),
  raw: z.number(),
  score: z.number(),
  severity: severitySchema,
  rounding: roundingSchema,
  /** The score recomputed with every factor at its plausible low and high (drafts; `threatdraft score` prints none). */
  range: z.object({ low: z.number().min(0).max(10), high: z.number().min(0).max(10) }).optional(),
});
export type Score = z.infer<typeof scoreSchema>;

export const LISTING_KEYS: readonly string[] = LISTING_FACTOR_KEYS;
export const V08_KEYS: readonly string[] = V08_FACTOR_KEYS;
