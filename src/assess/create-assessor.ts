/**
 * Builds the assessor a command asked for, from the parsed environment: `rules` (offline) or
 * `openai` (any OpenAI-compatible endpoint). The openai SDK is imported only when used.
 */
import type { Env } from '../../schemas/config.js';
import { ConfigError } from '../errors.js';
import type { CacheRepo } from '../store/store.js';
import type { Assessor } from './assessor.js';
import type { ProfileId } from './endpoint-profiles.js';
import type { AssessorLogger } from './openai-assessor.js';
import type { PriceTable } from './prices.js';
import { createRulesAssessor } from './rules/assess.js';

export const ASSESSOR_IDS = ['rules', 'openai'] as const;
export type AssessorId = (typeof ASSESSOR_IDS)[number];

export interface AssessorIdentity {
  model: string | null;
  promptId: string | null;
  promptHash: string | null;
}

export interface CreatedAssessor {
  assessor: Assessor;
  identity: AssessorIdentity;
}

export interface CreateAssessorOptions {
  env: Readonly<Env>;
  cache?: CacheRepo | null;
  /** Where the model assessor logs retries, repairs and cache hits. */
  logger?: AssessorLogger | undefined;
  /** Overrides for the openai assessor (tests and replays point it at the fake server). */
  openai?: OpenAIOverrides;
  /** A few-shot block drawn from approved drafts (see `few-shot.ts`). */
  fewShot?: string | null;
}

/** Settings a caller may override for the openai assessor (tests, replays, the pipeline). */
export interface OpenAIOverrides {
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  maxAttempts?: number;
  timeoutMs?: number;
  budgetMs?: number;
  prices?: PriceTable;
  profile?: ProfileId | 'auto';
}

/**
 * @throws ConfigError for an unknown assessor, or `openai` without an endpoint or key.
 */
export async function createAssessor(id: string, options: CreateAssessorOptions): Promise<CreatedAssessor> {
  if (id === 'rules') return { assessor: createThreadedRulesAssessor(), identity: { model: null, promptId: null, promptHash: null } };
  if (id !== 'openai') {
    throw new ConfigError('E_USAGE', `Unknown assessor "${id}": expected one of ${ASSESSOR_IDS.join(', ')}`, { assessor: id });
  }
  const baseUrl = options.openai?.baseUrl ?? options.env.OPENAI_BASE_URL;
  const apiKey = options.openai?.apiKey ?? options.env.OPENAI_API_KEY;
  if (baseUrl === undefined && apiKey === undefined) {
    throw new ConfigError(
      'E_CONFIG',
      'The openai assessor needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL (for a local OpenAI-compatible endpoint)',
    );
  }
  const [{ createOpenAIAssessor }, { loadPrompt }] = await Promise.all([import('./openai-assessor.js'), import('./prompts.js')]);
  const prompt = loadPrompt('assess-listing', options.env.THREATDRAFT_PROMPT_VERSION);
  const model = options.openai?.model ?? options.env.THREATDRAFT_MODEL;
  const assessor = createOpenAIAssessor({
    apiKey,
    baseUrl,
    model,
    prompt,
    profile: options.openai?.profile ?? options.env.THREATDRAFT_ENDPOINT_PROFILE,
    azureApiVersion: options.env.THREATDRAFT_AZURE_API_VERSION,
    maxTokensCap: options.env.THREATDRAFT_MAX_TOKENS,
    budgetMs: options.openai?.budgetMs ?? options.env.THREATDRAFT_LISTING_BUDGET_MS,
    fewShot: options.fewShot ?? null,
    cache: options.cache ?? null,
    hints: createRulesAssessor(),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.env.THREATDRAFT_PRICES === undefined && options.openai?.prices === undefined
      ? {}
      : { prices: { ...options.env.THREATDRAFT_PRICES, ...options.openai?.prices } }),
    timeoutMs: options.openai?.timeoutMs ?? options.env.THREATDRAFT_MODEL_TIMEOUT_MS,
    ...(options.openai?.maxAttempts === undefined ? {} : { maxAttempts: options.openai.maxAttempts }),
  });
  return { assessor, identity: { model, promptId: prompt.id, promptHash: assessor.promptHash } };
}

/**
 * The rules assessor with its committed tables, as commands build it: a worker thread rebuilds
 * the same one from this module (see Assessor.thread), so a local run can assess on other cores.
 */
export function createThreadedRulesAssessor(): Assessor {
  return { ...createRulesAssessor(), thread: { module: import.meta.url, factory: 'createThreadedRulesAssessor' } };
}
