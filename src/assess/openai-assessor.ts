/**
 * The openai assessor: any OpenAI-compatible chat completions endpoint, strict structured outputs,
 * the versioned prompt from `prompts/`, temperature 0 and a seed. This adapter is the one owner of
 * retries (the SDK's are off), translates SDK errors once, repairs schema-breaking output once,
 * caches responses by (model, prompt hash, listing hash, schema version) and never lets the API
 * key reach a log line, an error or an outcome.
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
import { ConfigError, PermanentError, TransientError, type ErrorContext } from '../errors.js';
import type { CacheRepo } from '../store/store.js';
import { runAtOnce, type AssessOutcome, type Assessor, type ModelSlot } from './assessor.js';
import { createModelFetch } from './model-fetch.js';
import { assessmentResponseFormat, parseModelOutput } from './model-schema.js';
import { redactSecrets, redactSecretsDeep } from './redact-secrets.js';
import { costFor, mergePrices, type PriceTable } from './prices.js';
import { loadPrompt, renderUserMessage, type FactorHints, type LoadedPrompt } from './prompts.js';

/** Bump when request building, parsing or repair changes: part of `version`. */
const ADAPTER_VERSION = 1;
/** CacheRepo namespace of model responses. */
export const MODEL_RESPONSE_NAMESPACE = 'model-responses';
/** Model and rules factor values further apart than this raise an `assessor-disagreement` note. */
export const DISAGREEMENT_THRESHOLD = 0.4;
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** A pino-compatible logger (only the levels used here). */
export interface AssessorLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Options for `createOpenAIAssessor`. */
export interface OpenAIAssessorOptions {
  /** Required for api.openai.com; local endpoints (vLLM, Ollama) may omit it. Never logged. */
  apiKey?: string | undefined;
  /** @default https://api.openai.com/v1 */
  baseUrl?: string | undefined;
  model: string;
  /** Per request. @default 60000 */
  timeoutMs?: number;
  /** HTTP attempts per model request, first one included. @default 4 */
  maxAttempts?: number;
  /** First backoff step; doubles per attempt, with jitter. @default 500 */
  backoffBaseMs?: number;
  /** Cap of one backoff wait and of an honoured Retry-After. @default 30000 */
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
  logger?: AssessorLogger;
  /** @default prompts/assess-listing.v1.md */
  prompt?: LoadedPrompt;
}

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

const cachedResponseSchema = z.object({
  v: z.literal(1),
  model: z.string(),
  assessment: assessmentSchema,
  tokensIn: z.number().int().min(0),
  tokensOut: z.number().int().min(0),
});

const silentLogger: AssessorLogger = { debug: () => {}, info: () => {}, warn: () => {} };

/** Builds the system and user messages for one listing (pure). */
export function buildAssessMessages(prompt: LoadedPrompt, listing: Listing, hints: FactorHints | null = null): ChatMessage[] {
  return [
    { role: 'system', content: prompt.system },
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

/** Strips credentials and query from a URL before it goes into an error context. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Creates the openai assessor.
 * @throws ConfigError when no API key is given for api.openai.com, or the prompt file is malformed.
 */
export function createOpenAIAssessor(options: OpenAIAssessorOptions): Assessor {
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  if (!options.model.trim()) throw new ConfigError('E_CONFIG', 'Expected a model name (THREATDRAFT_MODEL), got an empty string');
  if (!options.apiKey && new URL(baseUrl).hostname === 'api.openai.com') {
    throw new ConfigError('E_CONFIG', 'OPENAI_API_KEY is not set; the openai assessor needs it for api.openai.com');
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 30_000;
  const seed = options.seed ?? 7;
  const prices = mergePrices(options.prices);
  const cache = options.cache ?? null;
  const hintsAssessor = options.hints ?? null;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal ? { signal } : {}));
  const prompt = options.prompt ?? loadPrompt('assess-listing', 1);
  const apiKey = options.apiKey;
  const model = options.model;
  const redact = (text: string): string => redactSecrets(text, apiKey);
  const responseFormat = assessmentResponseFormat();
  const warnedNotes = new Set<string>();

  const client = new OpenAI({
    // Local servers ignore the key, but the SDK insists on one.
    apiKey: apiKey ?? 'no-key',
    baseURL: baseUrl,
    organization: null,
    project: null,
    // Retries have one owner: this adapter.
    maxRetries: 0,
    timeout: timeoutMs,
    logLevel: 'off',
    // A leaner fetch than the global one for the SDK's JSON calls (see model-fetch.ts).
    fetch: options.fetch ?? createModelFetch(),
  });

  // The rules' hints are part of what the model is asked, so their version is part of ours: a
  // changed rule set reassesses (the model-response cache is keyed on it too).
  const version = `openai-${ADAPTER_VERSION}/${prompt.id}.v${prompt.version}/${prompt.hash.slice(0, 12)}${
    hintsAssessor ? `+hints:${hintsAssessor.id}@${hintsAssessor.version}` : ''
  }`;

  /** Translates anything one request threw into a TransientError or PermanentError, once. */
  const translate = (thrown: unknown, context: ErrorContext, signal: AbortSignal | undefined, timedOut: boolean): Error => {
    if (thrown instanceof TransientError || thrown instanceof PermanentError) return thrown;
    const sanitizedCause = (error: unknown): Error => {
      const copy = new Error(redact(error instanceof Error ? error.message : String(error)));
      copy.name = error instanceof Error ? error.name : 'Error';
      return copy;
    };
    const cause = sanitizedCause(thrown);
    const detail = redact(thrown instanceof Error ? thrown.message : String(thrown)).slice(0, 300);
    if (signal?.aborted) return new TransientError('E_ABORTED', 'Model request aborted by the caller', context, { cause });
    if (thrown instanceof OpenAI.APIConnectionTimeoutError || (thrown instanceof OpenAI.APIUserAbortError && timedOut)) {
      return new TransientError('E_MODEL_TIMEOUT', `Model request timed out after ${timeoutMs} ms`, context, { cause });
    }
    if (thrown instanceof OpenAI.APIConnectionError) {
      return new TransientError('E_MODEL_CONNECTION', `Model connection failed: ${detail}`, context, { cause });
    }
    if (thrown instanceof OpenAI.RateLimitError) {
      const wait = retryAfterMs(thrown.headers, Date.now());
      return new TransientError('E_MODEL_RATE_LIMIT', 'Model endpoint rate-limited the request (429)', context, {
        cause,
        retryAfterMs: wait ?? undefined,
      });
    }
    if (thrown instanceof OpenAI.InternalServerError) {
      const wait = retryAfterMs(thrown.headers, Date.now());
      return new TransientError('E_MODEL_SERVER', `Model endpoint failed with ${thrown.status}`, context, {
        cause,
        retryAfterMs: wait ?? undefined,
      });
    }
    if (thrown instanceof OpenAI.AuthenticationError) {
      return new PermanentError('E_MODEL_AUTH', `Model endpoint refused the API key (401): ${detail}`, context, { cause });
    }
    if (thrown instanceof OpenAI.PermissionDeniedError) {
      return new PermanentError('E_MODEL_PERMISSION', `Model endpoint denied access (403): ${detail}`, context, { cause });
    }
    if (thrown instanceof OpenAI.NotFoundError) {
      return new PermanentError('E_MODEL_NOT_FOUND', `Model or endpoint not found (404): ${detail}`, context, { cause });
    }
    if (thrown instanceof OpenAI.BadRequestError || thrown instanceof OpenAI.UnprocessableEntityError) {
      return new PermanentError('E_MODEL_BAD_REQUEST', `Model endpoint rejected the request: ${detail}`, context, { cause });
    }
    if (thrown instanceof LengthFinishReasonError) {
      return new PermanentError('E_MODEL_LENGTH', 'Model output hit the token limit before the JSON was complete', context, { cause });
    }
    if (thrown instanceof ContentFilterFinishReasonError) {
      return new PermanentError('E_MODEL_CONTENT_FILTER', 'Model output was stopped by the content filter', context, { cause });
    }
    if (thrown instanceof OpenAI.APIError && (thrown.status === 408 || thrown.status === 409)) {
      return new TransientError('E_MODEL_SERVER', `Model endpoint answered ${thrown.status}`, context, { cause });
    }
    if (thrown instanceof OpenAI.APIError) {
      return new PermanentError('E_MODEL_REQUEST', `Model request failed (${String(thrown.status)}): ${detail}`, context, { cause });
    }
    // A body cut mid-way surfaces as a JSON SyntaxError or an undici "terminated" TypeError.
    if (thrown instanceof SyntaxError) {
      return new TransientError('E_MODEL_BAD_RESPONSE', 'Model endpoint sent an unreadable response body', context, { cause });
    }
    if (thrown instanceof TypeError || (thrown instanceof Error && thrown.name === 'AbortError')) {
      return new TransientError('E_MODEL_CONNECTION', `Model connection failed: ${detail}`, context, { cause });
    }
    return new PermanentError('E_MODEL_UNEXPECTED', `Unexpected model client failure: ${detail}`, context, { cause });
  };

  /** One HTTP attempt; returns content and usage, or throws a translated error. */
  const once = async (
    messages: ChatMessage[],
    context: ErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<{ content: string | null; tokensIn: number; tokensOut: number }> => {
    if (signal?.aborted) throw new TransientError('E_ABORTED', 'Model request aborted by the caller', context);
    // A deadline of our own, a little after the SDK's, also covers a body that stalls after the headers.
    const deadline = startDeadline(signal, timeoutMs + 1_000);
    try {
      const completion = await client.chat.completions.create(
        { model, messages, temperature: 0, seed, response_format: responseFormat },
        { signal: deadline.signal, timeout: timeoutMs, maxRetries: 0 },
      );
      const choice = completion.choices[0];
      const tokensIn = completion.usage?.prompt_tokens ?? 0;
      const tokensOut = completion.usage?.completion_tokens ?? 0;
      if (!choice) return { content: null, tokensIn, tokensOut };
      if (choice.message.refusal) {
        throw new PermanentError('E_MODEL_REFUSAL', `Model refused to assess the listing: ${redact(choice.message.refusal).slice(0, 200)}`, context);
      }
      if (choice.finish_reason === 'length') {
        throw new PermanentError('E_MODEL_LENGTH', 'Model output hit the token limit before the JSON was complete', context);
      }
      if (choice.finish_reason === 'content_filter') {
        throw new PermanentError('E_MODEL_CONTENT_FILTER', 'Model output was stopped by the content filter', context);
      }
      return { content: choice.message.content, tokensIn, tokensOut };
    } catch (thrown) {
      throw translate(thrown, context, signal, deadline.timedOut());
    } finally {
      deadline.dispose();
    }
  };

  /** Bounded attempts with exponential backoff and jitter, honouring Retry-After (capped). */
  const request = async (
    messages: ChatMessage[],
    context: ErrorContext,
    signal: AbortSignal | undefined,
    slot: ModelSlot,
  ): Promise<{ content: string | null; tokensIn: number; tokensOut: number; attempts: number }> => {
    for (let attempt = 1; ; attempt++) {
      try {
        // Only the HTTP attempt holds a model slot: backoff waits free it for other listings.
        return { ...(await slot(() => once(messages, context, signal))), attempts: attempt };
      } catch (error) {
        if (!(error instanceof TransientError) || error.code === 'E_ABORTED') throw error;
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
        const waitMs = Math.round(error.retryAfterMs !== undefined ? Math.min(backoffMaxMs, error.retryAfterMs) : jittered);
        logger.warn({ ...context, code: error.code, attempt, waitMs }, 'model request failed; retrying');
        try {
          await sleep(waitMs, signal);
        } catch (sleepError) {
          throw new TransientError('E_ABORTED', 'Model request aborted by the caller', context, { cause: sleepError });
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

  const noteCost = (tokensIn: number, tokensOut: number): number => {
    const { costUsd, note } = costFor(model, { tokensIn, tokensOut }, prices);
    if (note && !warnedNotes.has(note)) {
      warnedNotes.add(note);
      logger.warn({ model }, note);
    }
    return costUsd;
  };

  return {
    id: 'openai',
    version,
    async assess(listing, assessOptions = {}) {
      const signal = assessOptions.signal;
      const slot = assessOptions.modelSlot ?? runAtOnce;
      const context: ErrorContext = { listingId: listing.id, model, baseUrl: safeUrl(baseUrl), promptId: prompt.id };
      const rules = await hintsFor(listing, signal);
      const notes = (assessment: Assessment): AssessOutcome['notes'] => (rules ? crossCheck(assessment, rules) : []);
      const base = { model, promptId: prompt.id, promptHash: prompt.hash };

      const key = responseCacheKey({
        model,
        promptHash: prompt.hash,
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
            ...base,
            assessment: cachedAssessment,
            usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 },
            cached: true,
            notes: notes(cachedAssessment),
          };
        }
      }

      const hints: FactorHints | null = rules
        ? Object.fromEntries(LISTING_FACTOR_KEYS.map((factor) => [factor, rules.factors[factor].value]))
        : null;
      const messages = buildAssessMessages(prompt, listing, hints);
      const first = await request(messages, context, signal, slot);
      let tokensIn = first.tokensIn;
      let tokensOut = first.tokensOut;
      let result = parseModelOutput(first.content);

      if (!result.ok) {
        logger.warn({ ...context, kind: result.kind, issues: result.issues.length }, 'model output broke the schema; asking for a repair');
        const repair: ChatMessage[] = [
          ...messages,
          { role: 'assistant', content: first.content ?? '' },
          {
            role: 'user',
            content: [
              'Your previous answer does not match the required schema:',
              ...result.issues.map((issue) => `- ${issue}`),
              'Return the corrected JSON object only, complete, following the same schema and rules.',
            ].join('\n'),
          },
        ];
        const second = await request(repair, context, signal, slot);
        tokensIn += second.tokensIn;
        tokensOut += second.tokensOut;
        result = parseModelOutput(second.content);
        if (!result.ok) {
          noteCost(tokensIn, tokensOut);
          throw new PermanentError(
            'E_MODEL_OUTPUT',
            `Model output for listing ${listing.id} broke the assessment schema after one repair: ${redact(result.issues.slice(0, 5).join('; '))}`,
            context,
          );
        }
      }

      const costUsd = noteCost(tokensIn, tokensOut);
      // A key the model echoes back (the configured one, or any credential-shaped string) is never
      // stored: not in the cache, the draft or an eval recording.
      const assessment = redactSecretsDeep(result.assessment, apiKey);
      if (cache) {
        await cache.set(MODEL_RESPONSE_NAMESPACE, key, { v: 1, model, assessment, tokensIn, tokensOut });
      }
      logger.info({ listingId: listing.id, model, tokensIn, tokensOut, costUsd }, 'assessed listing with model');
      return {
        ...base,
        assessment,
        usage: { tokensIn, tokensOut, costUsd },
        cached: false,
        notes: notes(assessment),
      };
    },
  };
}
