import { z } from 'zod';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from './factors.js';

/** Bump when the shape changes: it keys the model response cache. */
export const ASSESSMENT_SCHEMA_VERSION = 1;

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

export const layerAssessmentSchema = z.object({
  layer: z.number().int().min(1).max(7),
  certain: z.boolean(),
  threats: z.array(z.string().min(1).max(120)).max(8),
  text: z.string().min(1).max(2000),
  evidence: z.array(quote).max(8),
});
export type LayerAssessment = z.infer<typeof layerAssessmentSchema>;

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
});
export type Assessment = z.infer<typeof assessmentSchema>;
