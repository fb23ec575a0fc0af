/**
 * One schema for model answers, sent and validated. `modelAnswerSchema` is built from the zod
 * definitions of `schemas/assessment.ts` (factor values on the 0.05 grid, layer numbers, enums),
 * made exact and tighter where a model must be: the CVSS vector is the full base vector, the
 * seven layers name each layer 1 to 7 once, and texts and quote lists are bounded so that the
 * longest answer the schema allows fits a model's output limit (about 11,000 tokens, so
 * `max_tokens` sized from the schema never cuts a schema-valid answer short). Every model answer
 * is also a valid `Assessment`. The JSON schema sent to an endpoint is generated from it
 * (`assessmentJsonSchema`), so every string has a `maxLength`, every array a `maxItems`, the
 * layers exactly seven items and small integer ranges become enums. An endpoint profile may then
 * leave out keywords its engine refuses (`schemaForEngine`); answers are always validated against
 * the whole `modelAnswerSchema`, whose issues drive the one repair request.
 */
import { z } from 'zod';
import { factorAssessmentSchema, factorCertaintySchema, exploitMaturitySchema, mitigationSchema, type Assessment } from '../../schemas/assessment.js';
import { namedThreat, TAXONOMIES, THREAT_BY_ID, THREAT_IDS } from '../../schemas/catalogue/index.js';
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import { BASE_METRICS } from '../aivss/cvss.js';
import { withoutInsufficientSentence } from './uncertainty.js';

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The full CVSS v4.0 base vector (the eleven mandatory metrics in order), from the metric table. */
export const CVSS_BASE_VECTOR_PATTERN = `^${escapeRegex('CVSS:4.0')}${BASE_METRICS.map(([name, values]) => `/${name}:[${values.join('')}]`).join('')}$`;

/** Bounds of the model's texts and lists (tighter than the stored Assessment's, which reviewers and the rules assessor share). */
export const MODEL_BOUNDS = { summary: 800, rationale: 400, quote: 300, quotes: 3, threats: 5, other: 80, others: 2, layerText: 900 } as const;

const rationale = z.string().min(1).max(MODEL_BOUNDS.rationale);
const quotes = z.array(z.string().min(1).max(MODEL_BOUNDS.quote)).max(MODEL_BOUNDS.quotes);
const modelFactorSchema = factorAssessmentSchema.extend({ certainty: factorCertaintySchema, rationale, evidence: quotes });
const modelFactorsSchema = z.object(
  Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, modelFactorSchema])) as Record<ListingFactorKey, typeof modelFactorSchema>,
);
/**
 * A layer as the model writes it: catalogue threat ids (an enum of the whole catalogue) and, for
 * what the catalogue lacks, a bounded free-text `otherThreats` a reviewer can map.
 */
const modelLayerSchema = z.object({
  layer: z.number().int().min(1).max(7),
  certain: z.boolean(),
  threats: z.array(z.enum(THREAT_IDS)).max(MODEL_BOUNDS.threats),
  otherThreats: z.array(z.string().min(1).max(MODEL_BOUNDS.other)).max(MODEL_BOUNDS.others),
  text: z.string().min(1).max(MODEL_BOUNDS.layerText),
  evidence: quotes,
});

/**
 * Exactly seven layers naming each of 1 to 7 once, in order (the message says which are missing or
 * repeated), each naming only catalogue threats that belong to it.
 */
const layersSchema = z
  .array(modelLayerSchema)
  .length(7)
  .superRefine((layers, context) => {
    layers.forEach((layer, index) =>
      layer.threats.forEach((id, position) => {
        const threat = THREAT_BY_ID.get(id);
        if (threat !== undefined && !(threat.layers as readonly number[]).includes(layer.layer)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'threats', position],
            message: `${id} belongs to layer${threat.layers.length > 1 ? 's' : ''} ${threat.layers.join(', ')}, not ${layer.layer}; name it there, or use otherThreats`,
          });
        }
      }),
    );
    const numbers = layers.map((layer) => layer.layer);
    if (numbers.every((number, index) => number === index + 1)) return;
    const repeated = LAYER_NUMBERS.filter((number) => numbers.filter((seen) => seen === number).length > 1);
    const missing = LAYER_NUMBERS.filter((number) => !numbers.includes(number));
    const parts = [
      repeated.length > 0 ? `repeated: ${repeated.join(', ')}` : '',
      missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    ].filter(Boolean);
    context.addIssue({
      code: 'custom',
      message: `expected one entry for each layer 1 to 7, in order; got layers ${numbers.join(', ')}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`,
    });
  });

/** What a model must return: the Assessment's content, with an exact CVSS base vector, exactly-once layers and catalogue ids. */
export const modelAnswerSchema = z.object({
  summary: z.string().min(1).max(MODEL_BOUNDS.summary),
  factors: modelFactorsSchema,
  cvss: z.object({
    vector: z.string().max(128).regex(new RegExp(CVSS_BASE_VECTOR_PATTERN), { message: `expected a CVSS v4.0 base vector matching ${CVSS_BASE_VECTOR_PATTERN}` }),
    rationale,
  }),
  exploitMaturity: z.object({ value: exploitMaturitySchema, rationale }),
  mitigation: z.object({ value: mitigationSchema, rationale }),
  layers: layersSchema,
});

/** A JSON schema node (only what this module reads or writes). */
export type JsonSchema = { [keyword: string]: unknown };

/** Integer ranges at most this wide are sent as enums: a closed set every engine can enforce. */
const MAX_ENUM_SPAN = 16;

function mapSchema(node: unknown, visit: (node: JsonSchema) => JsonSchema): unknown {
  if (Array.isArray(node)) return node.map((item) => mapSchema(item, visit));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    // enum and required hold values, not schemas.
    out[key] = key === 'enum' || key === 'required' ? value : mapSchema(value, visit);
  }
  return visit(out);
}

let cached: JsonSchema | null = null;

/**
 * The JSON schema of `modelAnswerSchema` as sent: draft-07, every object closed with all
 * properties required, small integer ranges as enums. Pure and memoised.
 */
export function assessmentJsonSchema(): JsonSchema {
  if (cached !== null) return structuredClone(cached);
  const generated = z.toJSONSchema(modelAnswerSchema, { target: 'draft-7', io: 'output' }) as JsonSchema;
  delete generated['$schema'];
  cached = mapSchema(generated, (node) => {
    if (node['type'] === 'object' && typeof node['properties'] === 'object' && node['properties'] !== null) {
      return { ...node, required: Object.keys(node['properties'] as object), additionalProperties: false };
    }
    const { minimum, maximum } = node;
    if (node['type'] === 'integer' && typeof minimum === 'number' && typeof maximum === 'number' && maximum - minimum <= MAX_ENUM_SPAN) {
      const { minimum: _min, maximum: _max, ...rest } = node;
      return { ...rest, enum: Array.from({ length: maximum - minimum + 1 }, (_, index) => minimum + index) };
    }
    return node;
  }) as JsonSchema;
  return structuredClone(cached);
}

/** Keywords an engine refuses or ignores, by the type of node they sit on. */
export interface KeywordLimits {
  /** Left out of `type: string` nodes. */
  string?: readonly string[];
  /** Left out of `type: number` nodes (not integers). */
  number?: readonly string[];
  /** Left out of `type: integer` nodes. */
  integer?: readonly string[];
  /** Left out of `type: array` nodes. */
  array?: readonly string[];
  /** A `pattern` is left out unless it starts with `^` and ends with `$` (llama.cpp's grammar). */
  anchoredPatternsOnly?: boolean;
}

/** The schema with the keywords an engine refuses left out (pure). */
export function schemaForEngine(schema: JsonSchema, limits: KeywordLimits): JsonSchema {
  return mapSchema(schema, (node) => {
    const type = node['type'];
    const drop = new Set<string>(
      type === 'string' ? (limits.string ?? []) : type === 'number' ? (limits.number ?? []) : type === 'integer' ? (limits.integer ?? []) : type === 'array' ? (limits.array ?? []) : [],
    );
    const pattern = node['pattern'];
    if (limits.anchoredPatternsOnly === true && typeof pattern === 'string' && !(pattern.startsWith('^') && pattern.endsWith('$'))) drop.add('pattern');
    if (drop.size === 0) return node;
    return Object.fromEntries(Object.entries(node).filter(([key]) => !drop.has(key)));
  }) as JsonSchema;
}

/**
 * The longest answer a schema allows, in characters of compact JSON: strings at their
 * `maxLength` (plus quotes), arrays at their `maxItems`, numbers at 20 characters. Unbounded
 * strings or arrays make it infinite.
 */
export function maxAnswerChars(node: JsonSchema): number {
  if (Array.isArray(node['enum'])) return Math.max(...node['enum'].map((value) => JSON.stringify(value).length));
  switch (node['type']) {
    case 'object': {
      const properties = Object.entries((node['properties'] ?? {}) as Record<string, JsonSchema>);
      return 2 + properties.reduce((sum, [key, child]) => sum + key.length + 4 + maxAnswerChars(child), 0);
    }
    case 'array': {
      const maxItems = typeof node['maxItems'] === 'number' ? node['maxItems'] : Number.POSITIVE_INFINITY;
      return 2 + maxItems * (maxAnswerChars((node['items'] ?? {}) as JsonSchema) + 1);
    }
    case 'string':
      return typeof node['maxLength'] === 'number' ? node['maxLength'] + 2 : Number.POSITIVE_INFINITY;
    case 'boolean':
      return 5;
    default:
      return 20;
  }
}

/**
 * `max_tokens` sized from the schema: its longest answer at 3 characters a token (JSON and
 * prose tokenise at 3 to 4), plus 5%, capped at `cap` (what the engine allows for output).
 */
export function maxTokensForSchema(schema: JsonSchema, cap: number): number {
  const chars = maxAnswerChars(schema);
  return Number.isFinite(chars) ? Math.min(cap, Math.ceil((chars / 3) * 1.05)) : cap;
}

/** The result of mapping raw model output onto the answer schema. */
export type ModelOutputResult =
  | { ok: true; assessment: Assessment }
  | { ok: false; kind: 'not-json' | 'schema'; issues: string[] };

/** Rounds a factor value that is within float noise of the 0.05 grid, leaving real misses to the schema. */
function snap(value: unknown): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const steps = Math.round(value * 20);
  return Math.abs(value * 20 - steps) < 1e-6 ? steps / 20 : value;
}

/** Float noise on the factor grid is rounded; layers naming 1 to 7 once are put in order. Nothing else changes. */
function normalise(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const answer = raw as { factors?: unknown; layers?: unknown };
  if (answer.factors !== null && typeof answer.factors === 'object') {
    for (const factor of Object.values(answer.factors as Record<string, unknown>)) {
      if (factor !== null && typeof factor === 'object' && 'value' in factor) {
        (factor as { value: unknown }).value = snap((factor as { value: unknown }).value);
      }
    }
  }
  if (Array.isArray(answer.layers)) {
    const numbers = answer.layers.map((layer: unknown) => (layer !== null && typeof layer === 'object' ? (layer as { layer?: unknown }).layer : undefined));
    const isPermutation = numbers.length === 7 && LAYER_NUMBERS.every((number) => numbers.filter((seen) => seen === number).length === 1);
    if (isPermutation) answer.layers = [...(answer.layers as { layer: number }[])].sort((a, b) => a.layer - b.layer);
  }
  return answer;
}

/** A model answer. */
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/**
 * The Assessment of a valid answer: catalogue ids become stored catalogue threats (their names,
 * ASI and T ids and mitigations, once each), with this catalogue's taxonomies; whether the
 * evidence suffices is decided after the checks (`assessListing`).
 */
export function toAssessment(answer: ModelAnswer): Assessment {
  return {
    ...answer,
    layers: answer.layers.map((layer) => ({ ...layer, threats: [...new Set(layer.threats)].map(namedThreat) })),
    insufficientEvidence: false,
    taxonomies: { ...TAXONOMIES },
  };
}

/**
 * The model answer an assessment came from (what eval recordings keep, so a replay sends what a
 * model sent): catalogue threats back to their ids, without what the pipeline adds after the
 * model (the taxonomies, the evidence verdict and its sentence in the summary).
 */
export function toModelAnswer(assessment: Assessment): ModelAnswer {
  const { taxonomies: _taxonomies, insufficientEvidence: _verdict, ...rest } = assessment;
  return {
    ...rest,
    summary: withoutInsufficientSentence(assessment.summary),
    layers: assessment.layers.map((layer) => ({ ...layer, threats: layer.threats.map((threat) => threat.id) })),
  } as ModelAnswer;
}

/** Parses the model's content and validates it against `modelAnswerSchema` (pure). */
export function parseModelOutput(content: string | null): ModelOutputResult {
  if (content === null || content.trim() === '') {
    return { ok: false, kind: 'not-json', issues: ['the answer was empty; expected one JSON object'] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    return { ok: false, kind: 'not-json', issues: [`the answer is not valid JSON (${reason})`] };
  }
  const parsed = modelAnswerSchema.safeParse(normalise(raw));
  if (parsed.success) return { ok: true, assessment: toAssessment(parsed.data) };
  const issues = parsed.error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  return { ok: false, kind: 'schema', issues };
}
