import { z } from 'zod';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from './namespace.js';
import { parseRedisNodes, type RedisNode } from './redis-nodes.js';

/** An empty string counts as unset, so `REDIS_URL=` behaves like no REDIS_URL. */
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

const positiveInt = (fallback: number) =>
  z.preprocess((value) => (value === '' || value === undefined ? fallback : Number(value)), z.number().int().positive());

/** USD per 1M input/output tokens per model, as a JSON object in one variable. */
const pricesJson = z.preprocess(
  (value) => {
    if (value === '' || value === undefined) return undefined;
    try {
      return JSON.parse(String(value)) as unknown;
    } catch {
      return Symbol.for('invalid-json');
    }
  },
  z
    .record(
      z.string().min(1),
      z.object({ inputPerMTokUsd: z.number().min(0), outputPerMTokUsd: z.number().min(0), cachedInputPerMTokUsd: z.number().min(0).optional() }).strict(),
      { message: 'expected JSON like {"my-model":{"inputPerMTokUsd":0.15,"outputPerMTokUsd":0.6}}' },
    )
    .optional(),
);

/**
 * Settings read from the environment, each with its env name, coercion and default.
 * Parsed once by `src/config.ts`; nothing below the CLI reads `process.env`.
 */
export const envSchema = z.object({
  /** Selects the Redis store and BullMQ queues. */
  REDIS_URL: optionalString.refine((value) => value === undefined || /^rediss?:\/\//.test(value), {
    message: 'expected a redis:// or rediss:// URL',
  }),
  /**
   * Seed nodes of a Redis Cluster besides REDIS_URL's (`host:port,host:port`); when set, threatdraft
   * connects as a cluster client without asking. Unset: a REDIS_URL node with `cluster_enabled:1` is
   * detected on connect.
   */
  REDIS_CLUSTER_NODES: optionalString.transform((value, context): RedisNode[] | undefined => {
    if (value === undefined) return undefined;
    try {
      return parseRedisNodes(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
  /** Key for the OpenAI-compatible endpoint; never logged. */
  OPENAI_API_KEY: optionalString,
  /** Base URL of the OpenAI-compatible endpoint. @default https://api.openai.com/v1 */
  OPENAI_BASE_URL: optionalString,
  /** Model name for the openai assessor. @default gpt-4o-mini */
  THREATDRAFT_MODEL: z.preprocess((value) => (value === '' || value === undefined ? 'gpt-4o-mini' : value), z.string()),
  /** Redis key namespace of the store and queues (keys `<ns>:…`, queues `<ns>:q:…`). @default threatdraft */
  THREATDRAFT_NAMESPACE: z.preprocess(
    (value) => (value === '' || value === undefined ? DEFAULT_NAMESPACE : value),
    z.string().regex(NAMESPACE_PATTERN, { message: `expected ${NAMESPACE_RULE}` }),
  ),
  /** File store root. @default ./.threatdraft */
  THREATDRAFT_DATA: optionalString,
  /** Contact URL named in the crawler's User-Agent. */
  THREATDRAFT_CONTACT_URL: optionalString,
  /** Chromium for sources with `render: browser | auto`. @default /usr/bin/chromium */
  THREATDRAFT_CHROMIUM_PATH: optionalString,
  /** Model calls in flight at once. @default 4 */
  THREATDRAFT_MODEL_CONCURRENCY: positiveInt(4),
  /** Worker threads the local executor runs the rules assessor in (0: in process). @default one per core beyond the first, at most 4 */
  THREATDRAFT_ASSESS_THREADS: z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : Number(value)),
    z.number({ message: 'expected a whole number from 0 to 64' }).int({ message: 'expected a whole number from 0 to 64' }).min(0).max(64).optional(),
  ),
  /** 0 turns off the V8 code cache `bin/threatdraft.js` keeps beside the CLI bundle (read by the binary before anything else; validated here). @default 1 */
  THREATDRAFT_CODE_CACHE: z.preprocess((value) => (value === '' || value === undefined ? '1' : value), z.enum(['0', '1'], { message: 'expected 0 or 1' })),
  /** Model request timeout. @default 60000 */
  THREATDRAFT_MODEL_TIMEOUT_MS: positiveInt(60_000),
  /** Which engine the endpoint is: auto (from the URL, else `GET /v1/models`), openai, azure, vllm, llamacpp, ollama. @default auto */
  THREATDRAFT_ENDPOINT_PROFILE: z.preprocess(
    (value) => (value === '' || value === undefined ? 'auto' : value),
    z.enum(['auto', 'openai', 'azure', 'vllm', 'llamacpp', 'ollama'], { message: 'expected auto, openai, azure, vllm, llamacpp or ollama' }),
  ),
  /** Azure OpenAI api-version. @default 2024-10-21 */
  THREATDRAFT_AZURE_API_VERSION: z.preprocess((value) => (value === '' || value === undefined ? '2024-10-21' : value), z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$|^v1$|^latest$|^preview$/, { message: 'expected an api-version such as 2024-10-21' })),
  /** Version of prompts/assess-listing.v<N>.md the openai assessor uses (compare versions with `eval`). @default 2 */
  THREATDRAFT_PROMPT_VERSION: positiveInt(2),
  /** Token budget of a few-shot block drawn from approved drafts (0: none). @default 0 */
  THREATDRAFT_FEW_SHOT_TOKENS: z.preprocess((value) => (value === '' || value === undefined ? 0 : Number(value)), z.number().int().min(0).max(8000)),
  /** Upper bound of max_tokens per model request (the schema sizes it below that). @default 16384 */
  THREATDRAFT_MAX_TOKENS: positiveInt(16_384),
  /** Between polls of a Batch API batch (`run --batch`). @default 30000 */
  THREATDRAFT_BATCH_POLL_MS: positiveInt(30_000),
  /** Time one listing may take in the stage that handles it (crawl: fetch, extract, README; model path: every attempt, wait and repair; `assess`: the whole input). @default 90000 */
  THREATDRAFT_LISTING_BUDGET_MS: positiveInt(90_000),
  /** Price overrides for cost accounting, merged over the built-in table. */
  THREATDRAFT_PRICES: pricesJson,
  /** `1`: this process requires two approvers for High and Critical, on top of the store's policy. */
  THREATDRAFT_TWO_PERSON: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
    z
      .enum(['', '1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'], { message: 'expected 1, true, yes or on (or 0, false, no, off)' })
      .optional()
      .transform((value) => value === '1' || value === 'true' || value === 'yes' || value === 'on'),
  ),
  /** pino level for logs on stderr. @default warn */
  LOG_LEVEL: z.preprocess(
    (value) => (value === '' || value === undefined ? 'warn' : value),
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ),
});

export type Env = z.infer<typeof envSchema>;
