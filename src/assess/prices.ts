/**
 * Model prices in USD per one million tokens, and the cost of a call. Pure. The table is a default
 * that configuration overrides; prices change, so treat these as estimates for accounting.
 */
import { z } from 'zod';

/** USD per 1M input and output tokens for one model. */
export const modelPriceSchema = z
  .object({
    inputPerMTokUsd: z.number().min(0),
    outputPerMTokUsd: z.number().min(0),
    /** Input tokens served from the provider's prompt cache. @default inputPerMTokUsd */
    cachedInputPerMTokUsd: z.number().min(0).optional(),
  })
  .strict();
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** A price table keyed by model name (a dated snapshot such as gpt-4o-mini-2024-07-18 matches its base name). */
export const priceTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Default prices (standard tier list prices, USD per 1M tokens; cached input where the provider lists it). */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': { inputPerMTokUsd: 0.15, outputPerMTokUsd: 0.6, cachedInputPerMTokUsd: 0.075 },
  'gpt-4o': { inputPerMTokUsd: 2.5, outputPerMTokUsd: 10, cachedInputPerMTokUsd: 1.25 },
  'gpt-4.1': { inputPerMTokUsd: 2, outputPerMTokUsd: 8, cachedInputPerMTokUsd: 0.5 },
  'gpt-4.1-mini': { inputPerMTokUsd: 0.4, outputPerMTokUsd: 1.6, cachedInputPerMTokUsd: 0.1 },
  'gpt-4.1-nano': { inputPerMTokUsd: 0.1, outputPerMTokUsd: 0.4, cachedInputPerMTokUsd: 0.025 },
  'o4-mini': { inputPerMTokUsd: 1.1, outputPerMTokUsd: 4.4, cachedInputPerMTokUsd: 0.275 },
  'gpt-5': { inputPerMTokUsd: 1.25, outputPerMTokUsd: 10, cachedInputPerMTokUsd: 0.125 },
  'gpt-5-mini': { inputPerMTokUsd: 0.25, outputPerMTokUsd: 2, cachedInputPerMTokUsd: 0.025 },
  'gpt-5-nano': { inputPerMTokUsd: 0.05, outputPerMTokUsd: 0.4, cachedInputPerMTokUsd: 0.005 },
};

/** The Batch API's price as a share of the synchronous price (OpenAI and Azure: half). */
export const BATCH_PRICE_FACTOR = 0.5;

/** Tokens of one call: `tokensCached` of `tokensIn` came from the prompt cache. */
export interface TokenUsage {
  tokensIn: number;
  tokensOut: number;
  tokensCached?: number | undefined;
}

/** Merges overrides over the defaults (an override replaces a model's whole entry). */
export function mergePrices(overrides: PriceTable = {}): PriceTable {
  return { ...DEFAULT_PRICES, ...overrides };
}

/** The price entry for a model: an exact match, else the longest table key that prefixes a dated name. */
export function priceFor(model: string, table: PriceTable): ModelPrice | null {
  const exact = table[model];
  if (exact) return exact;
  let best: { key: string; price: ModelPrice } | null = null;
  for (const [key, price] of Object.entries(table)) {
    if (model.startsWith(`${key}-`) && (best === null || key.length > best.key.length)) best = { key, price };
  }
  return best?.price ?? null;
}

/**
 * The cost of a call: uncached input, cached input (at its own rate) and output; through the Batch
 * API at `BATCH_PRICE_FACTOR`. An unknown model costs 0 and says so in `note`.
 */
export function costFor(
  model: string,
  usage: TokenUsage,
  table: PriceTable,
  options: { batch?: boolean } = {},
): { costUsd: number; note: string | null } {
  const price = priceFor(model, table);
  if (!price) return { costUsd: 0, note: `no price for model ${model}; cost counted as 0` };
  const cached = Math.min(usage.tokensIn, usage.tokensCached ?? 0);
  // tokens × USD per 1M tokens = micro-dollars; round to whole nano-dollars to drop float noise.
  const micro =
    (usage.tokensIn - cached) * price.inputPerMTokUsd +
    cached * (price.cachedInputPerMTokUsd ?? price.inputPerMTokUsd) +
    usage.tokensOut * price.outputPerMTokUsd;
  const factor = options.batch === true ? BATCH_PRICE_FACTOR : 1;
  return { costUsd: Math.round(micro * factor * 1_000) / 1e9, note: null };
}
