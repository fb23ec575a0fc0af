/**
 * How the fake server behaves per engine mode, each like the engine it stands for, limits
 * included (documented behaviour, checked with each engine's docs):
 *
 * - `openai`: strict `json_schema` required; a schema outside the strict subset is refused with
 *   400 (open objects, optional properties, unsupported keywords), and for fine-tuned models
 *   (`ft:`) string, number and array bounds too; Files and Batches.
 * - `azure`: as `openai`, behind `/openai/deployments/NAME/…?api-version=…` with an `api-key`
 *   header; batches take endpoint `/chat/completions`.
 * - `vllm`: `response_format` json_schema through guided decoding, every bound enforced; a prompt
 *   plus `max_tokens` beyond `max_model_len` is refused with vLLM's 400; no Files or Batches.
 * - `llamacpp`: the schema becomes a grammar: number `minimum`/`maximum` are not enforced, a
 *   `pattern` not anchored `^…$` fails the conversion (400); a prompt longer than `n_ctx` is
 *   refused; no Files or Batches.
 * - `ollama`: `response_format` json_schema becomes `format`, the same grammar limits; no Files
 *   or Batches.
 */
import type { IgnoredKeywords } from './schema-answer.js';

export const ENGINE_MODES = ['openai', 'azure', 'vllm', 'llamacpp', 'ollama'] as const;
export type EngineMode = (typeof ENGINE_MODES)[number];

type Node = { [keyword: string]: unknown };

/** What one engine mode does. */
export interface Engine {
  mode: EngineMode;
  /** `owned_by` in `GET /v1/models`. */
  ownedBy: string;
  /** `strict: true` is required in `response_format.json_schema`. */
  strictRequired: boolean;
  /** Keywords the engine's decoder does not enforce (answers may break them). */
  ignores: IgnoredKeywords;
  /** Files + Batches. */
  batch: boolean;
  /** Why the engine refuses this schema, or null. */
  refuseSchema(schema: Node, model: string): string | null;
  /** The context length reported and enforced (null: not enforced). */
  contextLength: number | null;
}

/** Keywords outside OpenAI's strict subset. */
const STRICT_UNSUPPORTED = [
  'allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'uniqueItems', 'contains',
  'minContains', 'maxContains', 'minProperties', 'maxProperties', 'prefixItems', 'unevaluatedItems', 'unevaluatedProperties', 'propertyNames',
];
/** Keywords strict mode refuses for fine-tuned models. */
const FINE_TUNED_REFUSED = ['minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum', 'multipleOf', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems'];

function walk(node: unknown, path: string[], visit: (node: Node, path: string[]) => string | null): string | null {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return null;
  const own = visit(node as Node, path);
  if (own !== null) return own;
  const record = node as Node;
  for (const [key, child] of Object.entries((record['properties'] ?? {}) as Record<string, unknown>)) {
    const found = walk(child, [...path, 'properties', key], visit);
    if (found !== null) return found;
  }
  if (record['items'] !== undefined) return walk(record['items'], [...path, 'items'], visit);
  return null;
}

function strictRefusal(schema: Node, model: string): string | null {
  const fineTuned = model.startsWith('ft:');
  return walk(schema, [], (node, path) => {
    const where = `context=(${path.map((part) => `'${part}'`).join(', ')})`;
    for (const keyword of Object.keys(node)) {
      if (STRICT_UNSUPPORTED.includes(keyword)) return `In ${where}, '${keyword}' is not permitted.`;
      if (fineTuned && FINE_TUNED_REFUSED.includes(keyword)) return `In ${where}, '${keyword}' is not permitted for fine-tuned models.`;
    }
    if (node['type'] === 'object') {
      if (node['additionalProperties'] !== false) return `In ${where}, 'additionalProperties' is required to be supplied and to be false.`;
      const keys = Object.keys((node['properties'] ?? {}) as object);
      const required = Array.isArray(node['required']) ? (node['required'] as string[]) : [];
      const missing = keys.filter((key) => !required.includes(key));
      if (missing.length > 0) return `In ${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0] ?? ''}'.`;
    }
    return null;
  });
}

function grammarRefusal(schema: Node): string | null {
  return walk(schema, [], (node) => {
    const pattern = node['pattern'];
    if (typeof pattern === 'string' && !(pattern.startsWith('^') && pattern.endsWith('$'))) {
      return `JSON schema conversion failed:\nPattern must start with '^' and end with '$'`;
    }
    return null;
  });
}

const GRAMMAR_IGNORES: IgnoredKeywords = { number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] };

/** The engine of a mode; `contextLength` overrides the mode's default. */
export function engineFor(mode: EngineMode, contextLength?: number): Engine {
  switch (mode) {
    case 'openai':
    case 'azure':
      return { mode, ownedBy: 'system', strictRequired: true, ignores: {}, batch: true, refuseSchema: strictRefusal, contextLength: null };
    case 'vllm':
      return { mode, ownedBy: 'vllm', strictRequired: false, ignores: {}, batch: false, refuseSchema: () => null, contextLength: contextLength ?? 32_768 };
    case 'llamacpp':
      return { mode, ownedBy: 'llamacpp', strictRequired: false, ignores: GRAMMAR_IGNORES, batch: false, refuseSchema: grammarRefusal, contextLength: contextLength ?? 16_384 };
    case 'ollama':
      return { mode, ownedBy: 'library', strictRequired: false, ignores: GRAMMAR_IGNORES, batch: false, refuseSchema: grammarRefusal, contextLength: null };
  }
}
