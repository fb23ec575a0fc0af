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
const because = z.string().min(1);

/**
 * A fact stated by the listing that a draft must not contradict (the contradiction metric counts
 * the facts a draft breaks). Each names why the listing establishes it.
 */
export const factSchema = z.discriminatedUnion('type', [
  /** A factor bound the listing fixes ("Tools: None" caps Dynamic Tool Use). */
  z
    .object({ type: z.literal('factor'), factor: z.enum(LISTING_FACTOR_KEYS as [ListingFactorKey, ...ListingFactorKey[]]), min: unit.optional(), max: unit.optional(), because })
    .strict()
    .refine((fact) => fact.min !== undefined || fact.max !== undefined, { message: 'expected min or max' }),
  /** A layer the listing pins (it must be certain) or leaves open (it must not be). */
  z.object({ type: z.literal('layer'), layer: layerNumber, certain: z.boolean(), because }).strict(),
  /**
   * A threat that must (or must not) be named: matched against the threat names and text of the
   * given layer, or of every layer when none is given (case-insensitive; `present: true` uses the
   * keyword rule of the recall metric, `present: false` an exact phrase).
   */
  z.object({ type: z.literal('threat'), text: z.string().min(1), layer: layerNumber.optional(), present: z.boolean(), because }).strict(),
  /** The least mitigation level the listing's stated controls earn. */
  z.object({ type: z.literal('mitigation'), atLeast: z.enum(['partial', 'strong']), because }).strict(),
  /** A phrase that must not occur in the summary or a layer's text (a claim the listing refutes). */
  z.object({ type: z.literal('text'), where: z.union([z.literal('summary'), layerNumber]), absent: z.string().min(1), because }).strict(),
]);
export type Fact = z.infer<typeof factSchema>;

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
    /** The case this one describes in other words (the same agent, other wording or layout): a paraphrase pair. */
    paraphraseOf: z.string().optional(),
    /** The agent kind the listing describes (an id of the rules assessor's kind table), when the case pins it. */
    kind: z.string().regex(/^[a-z][a-z-]*$/).optional(),
    /** Facts the listing states that a draft must not contradict. */
    facts: z.array(factSchema).default([]),
    tags: z.array(z.string()).default([]),
  })
  .strict();

export type Expected = z.infer<typeof expectedSchema>;

/**
 * The files a case's listing can come from: an HTML page, or a structured document read as the
 * a2a and mcp-registry sources read it (an agent card, a bare server.json, a registry entry
 * `{ server, _meta }`). A case holds exactly one.
 */
export const LISTING_FILES = {
  'listing.html': 'html',
  'agent-card.json': 'a2a-agent-card',
  'server.json': 'mcp-server',
  'registry-entry.json': 'mcp-registry-entry',
} as const;
export type ListingFile = keyof typeof LISTING_FILES;

/** A loaded case: its files and parsed expectations. */
export interface EvalCase {
  id: string;
  dir: string;
  /** The listing page (empty for a case whose listing is a structured document). */
  html: string;
  /** The structured document the listing comes from, when the case holds one instead of a page. */
  document?: { file: Exclude<ListingFile, 'listing.html'>; text: string } | undefined;
  expected: Expected;
  /** A recorded model answer for offline replay, when present. */
  modelResponse: unknown;
  /** sha256 of the recorded model response (null without one): a replay's input too. */
  responseHash: string | null;
}
