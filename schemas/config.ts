import { z } from 'zod';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from './namespace.js';

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
      z.object({ inputPerMTokUsd: z.number().min(0), outputPerMTokUsd: z.number().min(0) }).strict(),
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
  /** Model calls in flight at once. @default 4 */
  THREATDRAFT_MODEL_CONCURRENCY: positiveInt(4),
  /** Model request timeout. @default 60000 */
  THREATDRAFT_MODEL_TIMEOUT_MS: positiveInt(60_000),
  /** Time one listing may take in the stage that handles it (crawl: fetch, extract, README; `assess`: the whole input). @default 300000 */
  THREATDRAFT_LISTING_BUDGET_MS: positiveInt(300_000),
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
