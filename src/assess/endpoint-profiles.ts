/**
 * Endpoint profiles: how each OpenAI-compatible engine takes a structured-output request, which
 * JSON-schema keywords it enforces, which token-limit parameter it reads and whether it has the
 * Batch API. A table of data (one test per entry), and a pure detection from the base URL and
 * `GET /v1/models`. Checked against each engine's documentation (see README "Plug in a model
 * endpoint"):
 *
 * - OpenAI: strict `json_schema`; strings take `pattern`/`format` and lengths, numbers
 *   `minimum`/`maximum`/`multipleOf`, arrays `minItems`/`maxItems`, none of which fine-tuned
 *   models (`ft:` names) accept; `max_completion_tokens` (`max_tokens` is deprecated); Files +
 *   Batches (`/v1/chat/completions`, window 24h) at half price.
 * - Azure OpenAI: the same subset as OpenAI behind a deployment URL
 *   (`…/openai/deployments/NAME/chat/completions?api-version=…`, `api-key` header); Batch with
 *   endpoint `/chat/completions` and the deployment as `model`.
 * - vLLM: `response_format` json_schema through its guided decoding backends (xgrammar, guidance),
 *   which enforce bounds; `max_tokens` plus the prompt must fit `max_model_len`; no Batch API server.
 * - llama.cpp server: `json_schema` → GBNF grammar; `minimum`/`maximum` only on integers, not
 *   numbers; patterns must be anchored `^…$`; unsupported keywords are skipped silently.
 * - Ollama: `response_format` json_schema on `/v1` becomes its `format` parameter, turned into a
 *   llama.cpp grammar, so the same limits; `max_tokens` becomes `num_predict`.
 */
import type { KeywordLimits } from './model-schema.js';

export const PROFILE_IDS = ['openai', 'azure', 'vllm', 'llamacpp', 'ollama'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

/** How one engine takes our request. */
export interface EndpointProfile {
  id: ProfileId;
  label: string;
  /** `strict: true` in `response_format.json_schema` (OpenAI, Azure); others ignore or refuse it. */
  strict: boolean;
  /** The request field that bounds output tokens. */
  tokenParam: 'max_completion_tokens' | 'max_tokens';
  /** Keywords the engine refuses or does not enforce: left out of the sent schema. */
  limits: KeywordLimits;
  /** Extra keywords left out for fine-tuned models (`ft:` names). */
  fineTunedLimits?: KeywordLimits;
  /** Files + Batches API available (half price, separate limits). */
  batch: boolean;
  /** The `endpoint` of a batch and the `url` of its lines. */
  batchEndpoint: '/v1/chat/completions' | '/chat/completions';
}

const OPENAI_FINE_TUNED: KeywordLimits = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  number: ['minimum', 'maximum', 'multipleOf', 'exclusiveMinimum', 'exclusiveMaximum'],
  integer: ['minimum', 'maximum', 'multipleOf', 'exclusiveMinimum', 'exclusiveMaximum'],
  array: ['minItems', 'maxItems'],
};

const GRAMMAR_LIMITS: KeywordLimits = {
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  anchoredPatternsOnly: true,
};

/** Every profile, keyed by id. */
export const ENDPOINT_PROFILES: Readonly<Record<ProfileId, EndpointProfile>> = {
  openai: {
    id: 'openai',
    label: 'OpenAI (strict json_schema)',
    strict: true,
    tokenParam: 'max_completion_tokens',
    limits: {},
    fineTunedLimits: OPENAI_FINE_TUNED,
    batch: true,
    batchEndpoint: '/v1/chat/completions',
  },
  azure: {
    id: 'azure',
    label: 'Azure OpenAI (deployment URL, api-version)',
    strict: true,
    tokenParam: 'max_completion_tokens',
    limits: {},
    fineTunedLimits: OPENAI_FINE_TUNED,
    batch: true,
    batchEndpoint: '/chat/completions',
  },
  vllm: {
    id: 'vllm',
    label: 'vLLM (guided JSON)',
    strict: false,
    tokenParam: 'max_tokens',
    limits: {},
    batch: false,
    batchEndpoint: '/v1/chat/completions',
  },
  llamacpp: {
    id: 'llamacpp',
    label: 'llama.cpp server (json_schema grammar)',
    strict: false,
    tokenParam: 'max_tokens',
    limits: GRAMMAR_LIMITS,
    batch: false,
    batchEndpoint: '/v1/chat/completions',
  },
  ollama: {
    id: 'ollama',
    label: 'Ollama (format)',
    strict: false,
    tokenParam: 'max_tokens',
    limits: GRAMMAR_LIMITS,
    batch: false,
    batchEndpoint: '/v1/chat/completions',
  },
};

/** True for a fine-tuned OpenAI model name (`ft:gpt-4o-mini:org::id`). */
export function isFineTuned(model: string): boolean {
  return model.startsWith('ft:');
}

/** The keyword limits for a profile and model (fine-tuned models refuse more). */
export function limitsFor(profile: EndpointProfile, model: string): KeywordLimits {
  if (!isFineTuned(model) || profile.fineTunedLimits === undefined) return profile.limits;
  const merged: KeywordLimits = { ...profile.limits };
  for (const kind of ['string', 'number', 'integer', 'array'] as const) {
    merged[kind] = [...(profile.limits[kind] ?? []), ...(profile.fineTunedLimits[kind] ?? [])];
  }
  return merged;
}

/** True when the base URL is an Azure OpenAI resource (deployment URL or resource endpoint). */
export function isAzureUrl(baseUrl: string): boolean {
  try {
    const url = new URL(baseUrl);
    return /\.openai\.azure\.com$/i.test(url.hostname) || /\.cognitiveservices\.azure\.com$/i.test(url.hostname) || /\/openai\/deployments\/[^/]+/.test(url.pathname);
  } catch {
    return false;
  }
}

/** What `GET /v1/models` says about an engine (the fields detection reads). */
export interface ModelsListing {
  data: ReadonlyArray<{ id: string; owned_by?: string | undefined; max_model_len?: number | undefined; meta?: { n_ctx?: number | undefined; n_ctx_train?: number | undefined } | undefined }>;
}

/**
 * Picks a profile from the base URL and, when the URL does not settle it, the `owned_by` of
 * `GET /v1/models` (vLLM says `vllm`, llama.cpp `llamacpp`, Ollama `library`); anything else is
 * taken as OpenAI-compatible with strict structured outputs.
 */
export function detectProfile(baseUrl: string, models: ModelsListing | null): ProfileId {
  if (isAzureUrl(baseUrl)) return 'azure';
  const owners = new Set((models?.data ?? []).map((entry) => entry.owned_by ?? ''));
  if (owners.has('vllm')) return 'vllm';
  if (owners.has('llamacpp') || (models?.data ?? []).some((entry) => entry.meta !== undefined && entry.meta !== null)) return 'llamacpp';
  if (owners.has('library') || owners.has('ollama')) return 'ollama';
  return 'openai';
}

/** The model's context length when the engine reports it (vLLM `max_model_len`, llama.cpp `meta.n_ctx`). */
export function contextLengthOf(models: ModelsListing | null, model: string): number | null {
  const entry = models?.data.find((candidate) => candidate.id === model) ?? (models?.data.length === 1 ? models.data[0] : undefined);
  const value = entry?.max_model_len ?? entry?.meta?.n_ctx ?? null;
  return typeof value === 'number' && value > 0 ? value : null;
}
