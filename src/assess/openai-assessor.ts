/**
 * The openai assessor: any OpenAI-compatible chat completions endpoint (OpenAI, Azure, vLLM,
 * llama.cpp, Ollama, through their endpoint profile), structured outputs from the one answer
 * schema, the versioned prompt from `prompts/`, temperature 0, a seed and a `max_tokens` sized
 * from the schema. This adapter retries transient failures within the listing's time budget
 * (the SDK's retries are off), translates SDK errors once and names the endpoint and model in
 * every one, repairs a broken answer once, caches answers by (model, prompt hash, listing hash,
 * schema version, seed, hints version) and never lets the API key reach a log line, an error or
 * an outcome. `prepare` and `complete` let the Batch API runner send the same requests in bulk
 * and validate their answers exactly like live ones.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import OpenAI from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { countTokens } from 'gpt-tokenizer';
import { z } from 'zod';
import { ASSESSMENT_SCHEMA_VERSION, assessmentSchema, type Assessment } from '../../schemas/assessment.js';
import { LISTING_FACTORS, LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { startDeadline } from '../abort.js';
import { PermanentError, TransientError, type ErrorContext } from '../errors.js';
import type { CacheRepo } from '../store/store.js';
import { DEFAULT_LISTING_BUDGET_MS, runAtOnce, type AssessCallOptions, type AssessOutcome, type Assessor, type ModelSlot } from './assessor.js';
import { createEndpoint, type ChatBody, type ChatMessage, type Endpoint, type EndpointOptions } from './endpoint.js';
import { parseModelOutput, type ModelOutputResult } from './model-schema.js';
import { costFor, mergePrices, type PriceTable, type TokenUsage } from './prices.js';
import { redactSecrets, redactSecretsDeep } from './redact-secrets.js';
import { loadPrompt, renderCatalogueBlock, renderSystemMessage, renderUserMessage, usesCatalogue, type FactorHints, type LoadedPrompt } from './prompts.js';

/** Bump when request building, parsing or repair changes: part of `version`. */
const ADAPTER_VERSION = 2;
/** CacheRepo namespace of model responses. */
export const MODEL_RESPONSE_NAMESPACE = 'model-responses';
/** Model and rules factor values further apart than this raise an `assessor-disagreement` note. */
export const DISAGREEMENT_THRESHOLD = 0.4;

/** A pino-compatible logger (only the levels used here). */
export interface AssessorLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Options for `createOpenAIAssessor`: the endpoint's (key, base URL, model, profile, Azure api-version, max_tokens cap) and the assessor's own. */
export interface OpenAIAssessorOptions extends Omit<EndpointOptions, 'timeoutMs' | 'fetch'> {
  /** Per request (clipped to what is left of the listing's budget). @default 60000 */
  timeoutMs?: number;
  /** HTTP attempts per model request, first one included. @default 4 */
  maxAttempts?: number;
  /** Total time one listing may take across attempts, waits and the repair. @default 90000 */
  budgetMs?: number;
  /** First backoff step; doubles per attempt, with jitter. @default 500 */
  backoffBaseMs?: number;
  /** Cap of one backoff wait. @default 30000 */
  backoffMaxMs?: number;
  /** Price overrides merged over `DEFAULT_PRICES`. */
  prices?: PriceTable;
  cache?: CacheRepo | null;
  /** The rules assessor: its factor values go into the prompt as hints and into a cross-check. */
  hints?: Assessor | null;
  /** Sent with every request for best-effort reproducibility. @default 7 */
  seed?: number;
  /** Replaces the HTTP client (tests, proxies). @default createModelFetch() */
  fetch?: typeof fetch;
  /** Replaces the backoff wait (tests record waits instead of sleeping). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Clock for budgets (epoch ms). @default Date.now */
  now?: () => number;
  logger?: AssessorLogger;
  /** @default prompts/assess-listing.v2.md */
  prompt?: LoadedPrompt;
  /** A few-shot block drawn from approved drafts (static across listings, so it stays in the cached prefix). */
  fewShot?: string | null;
}

/** One listing's request, ready to send live or in a batch. */
export interface PreparedRequest {
  listing: Listing;
  /** The response-cache key; also the batch line's `custom_id`. */
  key: string;
  messages: ChatMessage[];
  /** The rules assessment given as hints (for the cross-check), if any. */
  rules: Assessment | null;
}

/** An answer received for a prepared request (live or from a batch output file). */
export interface ReceivedAnswer extends TokenUsage {
  content: string | null;
}

/** The openai assessor, with the parts the Batch API runner needs. */
export interface OpenAIAssessor extends Assessor {
  readonly id: 'openai';
  readonly endpoint: Endpoint;
  readonly model: string;
  readonly prompt: LoadedPrompt;
  /** The prompt file's hash, combined with the few-shot block's when there is one. */
  readonly promptHash: string;
  /** The cached outcome of a listing, or its prepared request. */
  prepare(listing: Listing, options?: AssessCallOptions): Promise<{ cached: AssessOutcome } | { request: PreparedRequest }>;
  /** The request body for a prepared request, as the endpoint's profile takes it. */
  requestBody(request: PreparedRequest, signal?: AbortSignal): Promise<ChatBody>;
  /**
   * Validates an answer like a live one (a broken one gets one live repair call), caches it and
   * returns the outcome; `batchId` prices the answer at the batch rate.
   * @throws PermanentError E_MODEL_OUTPUT when the repair breaks the schema too.
   */
  complete(request: PreparedRequest, answer: ReceivedAnswer, options?: AssessCallOptions & { batchId?: string }): Promise<AssessOutcome>;
  close(): Promise<void>;
}

const cachedResponseSchema = z.object({
  v: z.literal(1),
  model: z.string(),
  assessment: assessmentSchema,
  tokensIn: z.number().int().min(0),
  tokensOut: z.number().int().min(0),
});

const silentLogger: AssessorLogger = { debug: () => {}, info: () => {}, warn: () => {} };

/** Builds the system and user messages for one listing (pure): the static part first, byte-identical across listings. */
export function buildAssessMessages(prompt: LoadedPrompt, listing: Listing, hints: FactorHints | null = null, fewShot: string | null = null): ChatMessage[] {
  return [
    { role: 'system', content: renderSystemMessage(prompt, fewShot) },
    { role: 'user', content: renderUserMessage(prompt, listing, hints) },
  ];
}

/** Estimates prompt tokens for chat messages with the o200k tokenizer (plus the per-message framing). */
export function estimatePromptTokens(messages: readonly { content: string }[]): number {
  return messages.reduce((total, message) => total + countTokens(message.content) + 4, 3);
}

/** The cache key of a model response: sha256 over model, prompt hash, listing hash, schema version and what else shapes the request. */
export function responseCacheKey(parts: {
  model: string;
  promptHash: string;
  contentHash: string;
  seed: number;
  hintsVersion: string | null;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([parts.model, parts.promptHash, parts.contentHash, ASSESSMENT_SCHEMA_VERSION, parts.seed, parts.hintsVersion]),
    )
    .digest('hex');
}

/** Notes where model and rules factor values differ by more than the threshold (pure). */
export function crossCheck(model: Assessment, rules: Assessment): AssessOutcome['notes'] {
  const notes: AssessOutcome['notes'] = [];
  for (const key of LISTING_FACTOR_KEYS) {
    const a = model.factors[key].value;
    const b = rules.factors[key].value;
    if (Math.abs(a - b) > DISAGREEMENT_THRESHOLD + 1e-9) {
      notes.push({
        code: 'assessor-disagreement',
        message: `Model and rules assessors differ on ${LISTING_FACTORS[key]}: ${a.toFixed(2)} vs ${b.toFixed(2)}`,
        where: `factors.${key}`,
      });
    }
  }
  return notes;
}

/** Parses Retry-After / retry-after-ms into milliseconds; null when absent or unreadable. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, nowMs: number): number | null {
  if (!headers) return null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

export { redactSecrets } from './redact-secrets.js';

/** The repair request: the first messages, the broken answer and the issues to fix, one per line. */
export function repairMessages(messages: readonly ChatMessage[], answer: string | null, result: Extract<ModelOutputResult, { ok: false }>): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: answer ?? '' },
    {
      role: 'user',
      content: [
        'Your previous answer does not match the required schema:',
        ...result.issues.map((issue) => `- ${issue}`),
        'Return the corrected JSON object only, complete, following the same schema and rules.',
      ].join('\n'),
    },
  ];
}

/**
 * Creates the openai assessor.
 * @throws ConfigError when no API key is given for api.openai.com or Azure, or the prompt file is malformed.
 */
export function createOpenAIAssessor(options: OpenAIAssessorOptions): OpenAIAssessor {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const endpoint = createEndpoint({
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    model: options.model,
    profile: options.profile,
    azureApiVersion: options.azureApiVersion,
    maxTokensCap: options.maxTokensCap,
    timeoutMs,
    fetch: options.fetch,
  });
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const budgetMs = options.budgetMs ?? DEFAULT_LISTING_BUDGET_MS;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 30_000;
  const seed = options.seed ?? 7;
  const prices = mergePrices(options.prices);
  const cache = options.cache ?? null;
  const hintsAssessor = options.hints ?? null;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal ? { signal } : {}));
  const prompt = options.prompt ?? loadPrompt('assess-listing', 2);
  const fewShot = options.fewShot ?? null;
  // The threat catalogue and the few-shot block are part of what the model is asked: they go into the prompt hash.
  const parts = [...(usesCatalogue(prompt) ? [renderCatalogueBlock()] : []), ...(fewShot === null ? [] : [fewShot])];
  const promptHash = parts.length === 0 ? prompt.hash : parts.reduce((hash, part) => hash.update('\0').update(part), createHash('sha256').update(prompt.hash)).digest('hex');
  const apiKey = options.apiKey;
  const model = options.model;
  const where = `${endpoint.baseUrl}, model ${model}`;
  const redact = (text: string): string => redactSecrets(text, apiKey);
  const warnedNotes = new Set<string>();
  const promptCacheKey = `threatdraft-${promptHash.slice(0, 16)}`;

  // The rules' hints are part of what the model is asked, so their version is part of ours: a
  // changed rule set reassesses (the model-response cache is keyed on it too).
  const version = `openai-${ADAPTER_VERSION}/${prompt.id}.v${prompt.version}/${promptHash.slice(0, 12)}${
    hintsAssessor ? `+hints:${hintsAssessor.id}@${hintsAssessor.version}` : ''
  }`;

  /** Translates anything one request threw into a TransientError or PermanentError, once; every message names the endpoint and model. */
  const translate = (thrown: unknown, context: ErrorContext, signal: AbortSignal | undefined, timedOut: boolean, attemptTimeoutMs: number): Error => {
    if (thrown instanceof TransientError || thrown instanceof PermanentError) return thrown;
    const sanitizedCause = (error: unknown): Error => {
      const copy = new Error(redact(error instanceof Error ? error.message : String(error)));
      copy.name = error instanceof Error ? error.name : 'Error';
      return copy;
    };
    const cause = sanitizedCause(thrown);
    const detail = redact(thrown instanceof Error ? thrown.message : String(thrown)).slice(0, 300);
    const transient = (code: string, message: string, retryAfter?: number | null) =>
      new TransientError(code, `${message} [${where}]`, context, { cause, retryAfterMs: retryAfter ?? undefined });
    const permanent = (code: string, message: string) => new PermanentError(code, `${message} [${where}]`, context, { cause });
    if (signal?.aborted) return transient('E_ABORTED', 'Model request aborted by the caller');
    if (thrown instanceof OpenAI.APIConnectionTimeoutError || (thrown instanceof OpenAI.APIUserAbortError && timedOut)) {
      return transient('E_MODEL_TIMEOUT', `Model request timed out after ${attemptTimeoutMs} ms`);
    }
    if (thrown instanceof OpenAI.APIConnectionError) return transient('E_MODEL_CONNECTION', `Model connection failed: ${detail}`);
    if (thrown instanceof OpenAI.RateLimitError) {
      return transient('E_MODEL_RATE_LIMIT', 'Model endpoint rate-limited the request (429)', retryAfterMs(thrown.headers, Date.now()));
    }
    if (thrown instanceof OpenAI.InternalServerError) {
      return transient('E_MODEL_SERVER', `Model endpoint failed with ${thrown.status}`, retryAfterMs(thrown.headers, Date.now()));
    }
    if (thrown instanceof OpenAI.AuthenticationError) return permanent('E_MODEL_AUTH', `Model endpoint refused the API key (401): ${detail}`);
    if (thrown instanceof OpenAI.PermissionDeniedError) return permanent('E_MODEL_PERMISSION', `Model endpoint denied access (403): ${detail}`);
    if (thrown instanceof OpenAI.NotFoundError) return permanent('E_MODEL_NOT_FOUND', `Model, deployment or endpoint not found (404): ${detail}`);
    if (thrown instanceof OpenAI.BadRequestError || thrown instanceof OpenAI.UnprocessableEntityError) {
      return permanent('E_MODEL_BAD_REQUEST', `Model endpoint rejected the request (${thrown.status}): ${detail}`);
    }
    if (thrown instanceof LengthFinishReasonError) return permanent('E_MODEL_LENGTH', 'Model output hit the token limit before the JSON was complete');
    if (thrown instanceof ContentFilterFinishReasonError) return permanent('E_MODEL_CONTENT_FILTER', 'Model output was stopped by the content filter');
    if (thrown instanceof OpenAI.APIError && (thrown.status === 408 || thrown.status === 409)) {
      return transient('E_MODEL_SERVER', `Model endpoint answered ${thrown.status}`, retryAfterMs(thrown.headers, Date.now()));
    }
    // Any other 4xx: retrying the same request cannot help.
    if (thrown instanceof OpenAI.APIError) return permanent('E_MODEL_REQUEST', `Model request failed (${String(thrown.status)}): ${detail}`);
    // A body cut mid-way surfaces as a JSON SyntaxError or an undici "terminated" TypeError.
    if (thrown instanceof SyntaxError) return transient('E_MODEL_BAD_RESPONSE', 'Model endpoint sent an unreadable response body');
    if (thrown instanceof TypeError || (thrown instanceof Error && thrown.name === 'AbortError')) {
      return transient('E_MODEL_CONNECTION', `Model connection failed: ${detail}`);
    }
    return permanent('E_MODEL_UNEXPECTED', `Unexpected model client failure: ${detail}`);
  };

  const requestBody = async (messages: ChatMessage[], signal?: AbortSignal): Promise<ChatBody> => {
    const resolved = await endpoint.resolveProfile(signal);
    return endpoint.chatBody(resolved, messages, {
      seed,
      cacheKey: promptCacheKey,
      // Counted only when the engine's context bounds max_tokens (vLLM, llama.cpp).
      ...(resolved.contextLength === null ? {} : { promptTokens: estimatePromptTokens(messages) }),
    });
  };

  /** One HTTP attempt (profile detection included); returns content and usage, or throws a translated error. */
  const once = async (messages: ChatMessage[], context: ErrorContext, signal: AbortSignal | undefined, attemptTimeoutMs: number): Promise<ReceivedAnswer> => {
    if (signal?.aborted) throw new TransientError('E_ABORTED', `Model request aborted by the caller [${where}]`, context);
    // A deadline of our own, a little after the SDK's, also covers a body that stalls after the headers.
    const deadline = startDeadline(signal, attemptTimeoutMs + 1_000);
    try {
      const body = await requestBody(messages, deadline.signal);
      const completion = await endpoint.client.chat.completions.create(body, { signal: deadline.signal, timeout: attemptTimeoutMs, maxRetries: 0 });
      const choice = completion.choices[0];
      const usage: TokenUsage = {
        tokensIn: completion.usage?.prompt_tokens ?? 0,
        tokensOut: completion.usage?.completion_tokens ?? 0,
        tokensCached: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      };
      if (!choice) return { content: null, ...usage };
      if (choice.message.refusal) {
        throw new PermanentError('E_MODEL_REFUSAL', `Model refused to assess the listing: ${redact(choice.message.refusal).slice(0, 200)} [${where}]`, context);
      }
      if (choice.finish_reason === 'length') {
        throw new PermanentError('E_MODEL_LENGTH', `Model output hit max_tokens before the JSON was complete [${where}]`, context);
      }
      if (choice.finish_reason === 'content_filter') {
        throw new PermanentError('E_MODEL_CONTENT_FILTER', `Model output was stopped by the content filter [${where}]`, context);
      }
      return { content: choice.message.content, ...usage };
    } catch (thrown) {
      throw translate(thrown, context, signal, deadline.timedOut(), attemptTimeoutMs);
    } finally {
      deadline.dispose();
    }
  };

  const budgetSpent = (context: ErrorContext, attempts: number, started: number, deadline: number, last: Error | null): PermanentError =>
    new PermanentError(
      'E_MODEL_BUDGET',
      `Gave up on listing ${String(context['listingId'])} after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${((now() - started) / 1000).toFixed(1)} s: its time budget ran out${
        last ? ` (last error: ${last.message})` : ` [${where}]`
      }`,
      { ...context, attempts, budgetMs: Math.max(0, deadline - started) },
      last ? { cause: last } : undefined,
    );

  /**
   * Bounded attempts with exponential backoff and jitter, honouring Retry-After, all within the
   * listing's deadline: no attempt starts, and no wait is begun, that the deadline cannot hold.
   */
  const request = async (messages: ChatMessage[], context: ErrorContext, signal: AbortSignal | undefined, slot: ModelSlot, deadline: number, started: number): Promise<ReceivedAnswer> => {
    let last: Error | null = null;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - now();
      if (left <= 0) throw budgetSpent(context, attempt - 1, started, deadline, last);
      try {
        // Only the HTTP attempt holds a model slot: backoff waits free it for other listings.
        return await slot(() => once(messages, context, signal, Math.max(1, Math.min(timeoutMs, deadline - now()))));
      } catch (error) {
        if (!(error instanceof TransientError) || error.code === 'E_ABORTED') throw error;
        last = error;
        if (attempt >= maxAttempts) {
          throw new TransientError(
            error.code,
            `${error.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`,
            { ...context, attempts: attempt },
            { cause: error, retryAfterMs: error.retryAfterMs },
          );
        }
        const exponential = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
        // Equal jitter: at least half the step, so retries never stampede at ~0 ms.
        const jittered = exponential / 2 + random() * (exponential / 2);
        const waitMs = Math.round(error.retryAfterMs ?? jittered);
        if (now() + waitMs >= deadline) throw budgetSpent(context, attempt, started, deadline, last);
        logger.warn({ ...context, code: error.code, attempt, waitMs }, 'model request failed; retrying');
        try {
          await sleep(waitMs, signal);
        } catch (sleepError) {
          throw new TransientError('E_ABORTED', `Model request aborted by the caller [${where}]`, context, { cause: sleepError });
        }
      }
    }
  };

  const hintsFor = async (listing: Listing, signal: AbortSignal | undefined): Promise<Assessment | null> => {
    if (!hintsAssessor) return null;
    try {
      return (await hintsAssessor.assess(listing, signal ? { signal } : {})).assessment;
    } catch (error) {
      logger.warn({ listingId: listing.id, hints: hintsAssessor.id, error: redact(String(error)) }, 'hints assessor failed; assessing without hints');
      return null;
    }
  };

  const noteCost = (usage: TokenUsage, batch: boolean): number => {
    const { costUsd, note } = costFor(model, usage, prices, { batch });
    if (note && !warnedNotes.has(note)) {
      warnedNotes.add(note);
      logger.warn({ model }, note);
    }
    return costUsd;
  };

  const contextOf = (listing: Listing): ErrorContext => ({ listingId: listing.id, model, baseUrl: endpoint.baseUrl, promptId: prompt.id });
  const base = { model, promptId: prompt.id, promptHash };

  const prepare: OpenAIAssessor['prepare'] = async (listing, callOptions = {}) => {
    const rules = await hintsFor(listing, callOptions.signal);
    const key = responseCacheKey({
      model,
      promptHash,
      contentHash: listing.contentHash,
      seed,
      hintsVersion: hintsAssessor ? `${hintsAssessor.id}@${hintsAssessor.version}` : null,
    });
    if (cache) {
      const hit = cachedResponseSchema.safeParse(await cache.get(MODEL_RESPONSE_NAMESPACE, key));
      if (hit.success) {
        logger.debug({ listingId: listing.id, model }, 'model response cache hit');
        // Entries cached before answers were redacted are redacted on the way out.
        const cachedAssessment = redactSecretsDeep(hit.data.assessment, apiKey);
        return {
          cached: {
            ...base,
            assessment: cachedAssessment,
            usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 },
            cached: true,
            notes: rules ? crossCheck(cachedAssessment, rules) : [],
          },
        };
      }
    }
    const hints: FactorHints | null = rules ? Object.fromEntries(LISTING_FACTOR_KEYS.map((factor) => [factor, rules.factors[factor].value])) : null;
    return { request: { listing, key, messages: buildAssessMessages(prompt, listing, hints, fewShot), rules } };
  };

  const complete: OpenAIAssessor['complete'] = async (prepared, answer, callOptions = {}) => {
    const { listing, messages } = prepared;
    const context = contextOf(listing);
    const started = now();
    const deadline = Math.min(callOptions.deadline ?? Number.POSITIVE_INFINITY, started + budgetMs);
    const slot = callOptions.modelSlot ?? runAtOnce;
    const batch = callOptions.batchId !== undefined;
    let costUsd = noteCost(answer, batch);
    let tokensIn = answer.tokensIn;
    let tokensOut = answer.tokensOut;
    let tokensCached = answer.tokensCached ?? 0;
    let result = parseModelOutput(answer.content);
    if (!result.ok) {
      logger.warn({ ...context, kind: result.kind, issues: result.issues.length }, 'model output broke the schema; asking for a repair');
      // The repair is always a live call, priced at the live rate.
      const second = await request(repairMessages(messages, answer.content, result), context, callOptions.signal, slot, deadline, started);
      tokensIn += second.tokensIn;
      tokensOut += second.tokensOut;
      tokensCached += second.tokensCached ?? 0;
      costUsd = Math.round((costUsd + noteCost(second, false)) * 1e9) / 1e9;
      result = parseModelOutput(second.content);
      if (!result.ok) {
        throw new PermanentError(
          'E_MODEL_OUTPUT',
          `Model output for listing ${listing.id} broke the assessment schema after one repair: ${redact(result.issues.slice(0, 5).join('; '))} [${where}]`,
          // What the two calls spent, so reports count it even though no draft came of it.
          { ...context, tokensIn, tokensOut, tokensCached, costUsd },
        );
      }
    }
    // A key the model echoes back (the configured one, or any credential-shaped string) is never
    // stored: not in the cache, the draft or an eval recording.
    const assessment = redactSecretsDeep(result.assessment, apiKey);
    if (cache) {
      await cache.set(MODEL_RESPONSE_NAMESPACE, prepared.key, { v: 1, model, assessment, tokensIn, tokensOut });
    }
    logger.info({ listingId: listing.id, model, tokensIn, tokensOut, tokensCached, costUsd, batch }, 'assessed listing with model');
    return {
      ...base,
      assessment,
      usage: { tokensIn, tokensOut, tokensCached, costUsd },
      cached: false,
      ...(callOptions.batchId === undefined ? {} : { batchId: callOptions.batchId }),
      notes: prepared.rules ? crossCheck(assessment, prepared.rules) : [],
    };
  };

  return {
    id: 'openai',
    version,
    endpoint,
    model,
    prompt,
    promptHash,
    prepare,
    requestBody: (prepared, signal) => requestBody(prepared.messages, signal),
    complete,
    async assess(listing, assessOptions = {}) {
      const started = now();
      const deadline = Math.min(assessOptions.deadline ?? Number.POSITIVE_INFINITY, started + budgetMs);
      const prepared = await prepare(listing, assessOptions);
      if ('cached' in prepared) return prepared.cached;
      const first = await request(prepared.request.messages, contextOf(listing), assessOptions.signal, assessOptions.modelSlot ?? runAtOnce, deadline, started);
      return complete(prepared.request, first, { ...assessOptions, deadline });
    },
    close: () => endpoint.close(),
  };
}
