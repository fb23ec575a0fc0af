import { z } from 'zod';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import { SEVERITIES } from '../../schemas/score.js';

const unit = z.number().min(0).max(1);

/** A factor expectation: a value with an optional tolerance, or a range. */
export const factorExpectationSchema = z.union([
  unit,
  z.object({ value: unit, tolerance: unit.optional() }).strict(),
  z
    .object({ min: unit, max: unit })
    .strict()
    .refine((range) => range.min <= range.max, { message: 'expected min <= max' }),
]);
export type FactorExpectation = z.infer<typeof factorExpectationSchema>;

const factorShape = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorExpectationSchema.optional()])) as Record<
  ListingFactorKey,
  z.ZodOptional<typeof factorExpectationSchema>
>;

const layerNumber = z.number().int().min(1).max(7);

/** `evals/cases/<id>/expected.json`. */
export const expectedSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected lowercase letters, digits and dashes' }),
    title: z.string().min(1),
    origin: z.enum(['reference-dev', 'handwritten', 'promoted']),
    /** Why these values: what in the listing supports them. */
    rationale: z.string().min(1),
    /** The URL the listing is extracted as coming from. */
    url: z.string().url().default('https://directory.example/agents/case'),
    /** Default tolerance for factor values given without one. */
    tolerance: unit.default(0.15),
    factors: z.object(factorShape).strict().default({}),
    score: z
      .object({
        band: z.enum(SEVERITIES).optional(),
        value: z.number().min(0).max(10).optional(),
        tolerance: z.number().min(0).max(10).default(1),
      })
      .strict()
      .optional(),
    uncertainLayers: z.array(layerNumber).optional(),
    layersVisible: z.array(layerNumber).default([1, 2, 3, 4, 5, 6, 7]),
    keywords: z.record(z.string().regex(/^[1-7]$/, { message: 'expected a layer number 1 to 7' }), z.array(z.string().min(1))).default({}),
    /** For a listing with injected instructions: the id of its clean twin. */
    twinOf: z.string().optional(),
    tags: z.array(z.string()).default([]),
  })
  .strict();

export type Expected = z.infer<typeof expectedSchema>;

/** A loaded case: its files and parsed expectations. */
export interface EvalCase {
  id: string;
  dir: string;
  html: string;
  expected: Expected;
  /** A recorded model answer for offline replay, when present. */
  modelResponse: unknown;
  /** sha256 of the recorded model response (null without one): a replay's input too. */
  responseHash: string | null;
}
