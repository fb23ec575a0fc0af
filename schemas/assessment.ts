import { z } from 'zod';
import { catalogueIdFor, namedThreat, namedThreatSchema, TAXONOMIES } from './catalogue/index.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from './factors.js';

/** Bump when the shape changes: it keys the model response cache. */
export const ASSESSMENT_SCHEMA_VERSION = 2;

/**
 * How firmly the listing pins a factor: a labelled field states it (`field`), a sentence states it
 * (`stated`), only what such products usually do puts it there (`inferred`, the kind's prior or a
 * hedged statement), or nothing does (`unknown`).
 */
export const FACTOR_CERTAINTIES = ['field', 'stated', 'inferred', 'unknown'] as const;
export const factorCertaintySchema = z.enum(FACTOR_CERTAINTIES);
export type FactorCertainty = z.infer<typeof factorCertaintySchema>;

const quote = z.string().min(1).max(600);

/** A factor value in [0, 1], on a step of 0.05. */
export const steppedFactorValueSchema = z
  .number()
  .min(0)
  .max(1)
  .refine((value) => Math.abs(value * 20 - Math.round(value * 20)) < 1e-9, {
    message: 'expected a multiple of 0.05',
  });

export const factorAssessmentSchema = z.object({
  value: steppedFactorValueSchema,
  rationale: z.string().min(1).max(1200),
  evidence: z.array(quote).max(8),
  /** Drafts stored before certainty was recorded read as `unknown`. */
  certainty: factorCertaintySchema.default('unknown'),
});
export type FactorAssessment = z.infer<typeof factorAssessmentSchema>;

const factorShape = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorAssessmentSchema])) as Record<
  ListingFactorKey,
  typeof factorAssessmentSchema
>;
export const factorsSchema = z.object(factorShape);
export type Factors = z.infer<typeof factorsSchema>;

export const exploitMaturitySchema = z.enum(['attacked', 'poc', 'unreported']);
export const mitigationSchema = z.enum(['none', 'partial', 'strong']);

/** A threat name outside the catalogue (a model's "other", or a legacy name), for a reviewer to map. */
export const otherThreatSchema = z.string().min(1).max(120);

const layerObjectSchema = z.object({
  layer: z.number().int().min(1).max(7),
  certain: z.boolean(),
  /** Catalogue threats, each a snapshot of its catalogue entry. */
  threats: z.array(namedThreatSchema).max(8),
  /** Threats the catalogue does not hold, in free text, until a reviewer maps them. */
  otherThreats: z.array(otherThreatSchema).max(4).default([]),
  text: z.string().min(1).max(2000),
  evidence: z.array(quote).max(8),
});

/**
 * Drafts stored before the catalogue named threats as strings: a string that is a catalogue id or
 * name becomes that catalogue threat, any other goes to `otherThreats` for a reviewer to map.
 */
function readLegacyThreats(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { threats?: unknown }).threats)) return value;
  const layer = value as { threats: unknown[]; otherThreats?: unknown };
  if (!layer.threats.some((threat) => typeof threat === 'string')) return value;
  const threats: unknown[] = [];
  const others = Array.isArray(layer.otherThreats) ? [...(layer.otherThreats as unknown[])] : [];
  for (const threat of layer.threats) {
    if (typeof threat !== 'string') threats.push(threat);
    else {
      const id = catalogueIdFor(threat);
      if (id === null) others.push(threat);
      else if (!threats.some((known) => (known as { id?: unknown }).id === id)) threats.push(namedThreat(id));
    }
  }
  return { ...layer, threats, otherThreats: others.slice(0, 4) };
}

export const layerAssessmentSchema = z.preprocess(readLegacyThreats, layerObjectSchema);
export type LayerAssessment = z.infer<typeof layerObjectSchema>;

/** The versions of the taxonomies an assessment used (schemas/catalogue/taxonomies.ts). */
export const taxonomiesSchema = z.object({
  catalogue: z.string().min(1).max(120),
  aivss: z.string().min(1).max(40),
  maestro: z.string().min(1).max(120),
  asi: z.string().min(1).max(120),
  t: z.string().min(1).max(120),
});

/** What every assessor returns. All fields required (nullable where absent) for strict structured outputs. */
export const assessmentSchema = z.object({
  summary: z.string().min(1).max(1500),
  factors: factorsSchema,
  cvss: z.object({
    vector: z.string().regex(/^CVSS:4\.0\//, { message: 'expected a CVSS:4.0/ vector' }),
    rationale: z.string().min(1).max(1200),
  }),
  exploitMaturity: z.object({ value: exploitMaturitySchema, rationale: z.string().min(1).max(1200) }),
  mitigation: z.object({ value: mitigationSchema, rationale: z.string().min(1).max(1200) }),
  layers: z
    .array(layerAssessmentSchema)
    .length(7)
    .refine((layers) => layers.every((layer, index) => layer.layer === index + 1), {
      message: 'expected layers 1 to 7 in order',
    }),
  /** True when the listing is too thin for a confident draft (src/assess/uncertainty.ts states the rule). */
  insufficientEvidence: z.boolean().default(false),
  /** Drafts stored before taxonomies were recorded were made with this catalogue's first versions. */
  taxonomies: taxonomiesSchema.default({ ...TAXONOMIES }),
});
export type Assessment = z.infer<typeof assessmentSchema>;
