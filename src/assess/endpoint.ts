/**
 * A model endpoint: the SDK client for it (OpenAI, or AzureOpenAI for a deployment URL), the
 * profile in use (configured, or detected once from the URL and `GET /v1/models`), and the chat
 * request body that profile takes. Shared by the openai assessor, the Batch API runner and
 * `threatdraft doctor`. The SDK's own retries are off: callers own retries.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import {
  ENDPOINT_PROFILES,
  contextLengthOf,
  detectProfile,
  isAzureUrl,
  limitsFor,
  type EndpointProfile,
  type ModelsListing,
  type ProfileId,
} from './endpoint-profiles.js';
import { createModelFetch } from './model-fetch.js';
import { assessmentJsonSchema, maxTokensForSchema, schemaForEngine, type JsonSchema } from './model-schema.js';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** The Azure OpenAI GA api-version with structured outputs and the Batch API. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/** Output tokens most chat models allow (gpt-4o, gpt-4o-mini, gpt-4.1). */
export const DEFAULT_MAX_TOKENS_CAP = 16_384;

/** Options of {@link createEndpoint}. */
export interface EndpointOptions {
  apiKey?: string | undefined;
  /** @default https://api.openai.com/v1 */
  baseUrl?: string | undefined;
  model: string;
  /** A profile id, or `auto` (from the URL, else `GET /v1/models`). @default auto */
  profile?: ProfileId | 'auto' | undefined;
  /** Azure only. @default 2024-10-21 */
  azureApiVersion?: string | undefined;
  /** Upper bound of `max_tokens`; the schema sizes it below that. @default 16384 */
  maxTokensCap?: number | undefined;
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

/** The profile in use and what the engine said about itself. */
export interface ResolvedProfile {
  profile: EndpointProfile;
  /** Where the choice came from. */
  source: 'configured' | 'url' | 'detected';
  /** The model's context length when the engine reports it. */
  contextLength: number | null;
  /** The models listing, when it was read (detection). */
  models: ModelsListing | null;
}

/** A model endpoint ready for requests. */
export interface Endpoint {
  readonly client: OpenAI;
  /** Base URL without credentials or query: safe for errors and logs. */
  readonly baseUrl: string;
  /** The model name (prices, provenance). */
  readonly model: string;
  /** What goes into `model` of a request (the deployment on Azure). */
  readonly requestModel: string;
  /** The profile, resolved once (detection reads `GET /v1/models`). */
  resolveProfile(signal?: AbortSignal): Promise<ResolvedProfile>;
  /** `GET /v1/models` (not on Azure, which has deployments instead). */
  listModels(signal?: AbortSignal): Promise<ModelsListing>;
  /** The chat request body for messages, as the profile takes it (pure once resolved). */
  chatBody(resolved: ResolvedProfile, messages: ChatMessage[], options?: { seed?: number; promptTokens?: number; cacheKey?: string }): ChatBody;
  close(): Promise<void>;
}

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };
export type ChatBody = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

const modelsListingSchema = z.object({
  data: z.array(
    z.looseObject({
      id: z.string(),
      owned_by: z.string().optional(),
      max_model_len: z.number().optional(),
      meta: z.looseObject({ n_ctx: z.number().optional(), n_ctx_train: z.number().optional() }).nullish().transform((meta) => meta ?? undefined),
    }),
  ),
});

/** Strips credentials and query from a URL before it goes into an error, log or report. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Splits an Azure URL into the resource origin and the deployment it names (if any). */
export function azureParts(baseUrl: string): { origin: string; deployment: string | null } {
  const url = new URL(baseUrl);
  const match = /\/openai\/deployments\/([^/]+)/.exec(url.pathname);
  return { origin: `${url.protocol}//${url.host}`, deployment: match?.[1] === undefined ? null : decodeURIComponent(match[1]) };
}

/**
 * Creates an endpoint.
 * @throws ConfigError for an empty model, a missing key on api.openai.com or Azure, or a bad profile.
 */
export function createEndpoint(options: EndpointOptions): Endpoint {
  const configuredBase = options.baseUrl ?? DEFAULT_BASE_URL;
  if (!options.model.trim()) throw new ConfigError('E_CONFIG', 'Expected a model name (THREATDRAFT_MODEL), got an empty string');
  if (!URL.canParse(configuredBase)) {
    throw new ConfigError('E_CONFIG', `Expected OPENAI_BASE_URL to be an http(s) URL, got ${JSON.stringify(configuredBase)}`);
  }
  const azure = options.profile === 'azure' || ((options.profile ?? 'auto') === 'auto' && isAzureUrl(configuredBase));
  if (!options.apiKey && (new URL(configuredBase).hostname === 'api.openai.com' || azure)) {
    throw new ConfigError('E_CONFIG', `OPENAI_API_KEY is not set; ${azure ? 'Azure OpenAI' : 'api.openai.com'} needs it (${safeUrl(configuredBase)})`);
  }
  const modelFetch = options.fetch ?? createModelFetch();
  const common = { maxRetries: 0, timeout: options.timeoutMs, logLevel: 'off' as const, fetch: modelFetch };
  let client: OpenAI;
  let requestModel = options.model;
  let baseUrl = safeUrl(configuredBase);
  if (azure) {
    const { origin, deployment } = azureParts(configuredBase);
    requestModel = deployment ?? options.model;
    // The base URL is given, so the client reads no environment variable of its own.
    client = new AzureOpenAI({ ...common, baseURL: `${origin}/openai`, apiKey: options.apiKey ?? '', apiVersion: options.azureApiVersion ?? DEFAULT_AZURE_API_VERSION });
    baseUrl = `${origin}/openai/deployments/${requestModel}`;
  } else {
    // Local servers ignore the key, but the SDK insists on one.
    client = new OpenAI({ ...common, apiKey: options.apiKey ?? 'no-key', baseURL: configuredBase, organization: null, project: null });
  }
  const cap = options.maxTokensCap ?? DEFAULT_MAX_TOKENS_CAP;
  const schemas = new Map<ProfileId, JsonSchema>();
  let resolving: Promise<ResolvedProfile> | undefined;

  const listModels = async (signal?: AbortSignal): Promise<ModelsListing> => {
    const raw = await client.get('/models', { ...(signal === undefined ? {} : { signal }), maxRetries: 0 });
    const parsed = modelsListingSchema.safeParse(raw);
    return parsed.success ? parsed.data : { data: [] };
  };

  const resolveProfile = (signal?: AbortSignal): Promise<ResolvedProfile> => {
    resolving ??= (async (): Promise<ResolvedProfile> => {
      const setting = options.profile ?? 'auto';
      if (azure) return { profile: ENDPOINT_PROFILES.azure, source: setting === 'auto' ? 'url' : 'configured', contextLength: null, models: null };
      if (setting !== 'auto' && setting !== 'vllm' && setting !== 'llamacpp') {
        return { profile: ENDPOINT_PROFILES[setting], source: 'configured', contextLength: null, models: null };
      }
      // vLLM and llama.cpp report the context length, which bounds max_tokens: read it too.
      const models = await listModels(signal);
      const id = setting === 'auto' ? detectProfile(configuredBase, models) : setting;
      return { profile: ENDPOINT_PROFILES[id], source: setting === 'auto' ? 'detected' : 'configured', contextLength: contextLengthOf(models, options.model), models };
    })();
    // A failed detection (endpoint down) is tried again on the next call, not remembered.
    resolving.catch(() => {
      resolving = undefined;
    });
    return resolving;
  };

  const schemaFor = (profile: EndpointProfile): JsonSchema => {
    let schema = schemas.get(profile.id);
    if (schema === undefined) {
      schema = schemaForEngine(assessmentJsonSchema(), limitsFor(profile, options.model));
      schemas.set(profile.id, schema);
    }
    return schema;
  };

  return {
    client,
    baseUrl,
    model: options.model,
    requestModel,
    resolveProfile,
    listModels,
    chatBody(resolved, messages, extra = {}) {
      const { profile } = resolved;
      const schema = schemaFor(profile);
      let maxTokens = maxTokensForSchema(schema, cap);
      // vLLM refuses a request whose prompt plus max_tokens exceeds the context; leave room.
      if (resolved.contextLength !== null && extra.promptTokens !== undefined) {
        maxTokens = Math.max(256, Math.min(maxTokens, resolved.contextLength - Math.ceil(extra.promptTokens * 1.1) - 64));
      }
      const body: Record<string, unknown> = {
        model: requestModel,
        messages,
        temperature: 0,
        ...(extra.seed === undefined ? {} : { seed: extra.seed }),
        [profile.tokenParam]: maxTokens,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'assessment', ...(profile.strict ? { strict: true } : {}), schema },
        },
        // Routes requests with the same static prefix to the same cache (OpenAI prompt caching).
        ...(profile.id === 'openai' && extra.cacheKey !== undefined ? { prompt_cache_key: extra.cacheKey } : {}),
      };
      return body as unknown as ChatBody;
    },
    close: async () => {
      const closable = modelFetch as { close?: () => Promise<void> };
      if (options.fetch === undefined) await closable.close?.();
    },
  };
}
