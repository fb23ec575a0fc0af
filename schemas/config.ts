import { z } from 'zod';

/** An empty string counts as unset, so `REDIS_URL=` behaves like no REDIS_URL. */
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

const positiveInt = (fallback: number) =>
  z.preprocess((value) => (value === '' || value === undefined ? fallback : Number(value)), z.number().int().positive());

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
  /** File store root. @default ./.threatdraft */
  THREATDRAFT_DATA: optionalString,
  /** Contact URL named in the crawler's User-Agent. */
  THREATDRAFT_CONTACT_URL: optionalString,
  /** Model calls in flight at once. @default 4 */
  THREATDRAFT_MODEL_CONCURRENCY: positiveInt(4),
  /** Model request timeout. @default 60000 */
  THREATDRAFT_MODEL_TIMEOUT_MS: positiveInt(60_000),
  /** pino level for logs on stderr. @default warn */
  LOG_LEVEL: z.preprocess(
    (value) => (value === '' || value === undefined ? 'warn' : value),
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ),
});

export type Env = z.infer<typeof envSchema>;
