/**
 * The stage contracts as zod schemas: what each stage takes and returns. Queue payloads and job
 * return values are parsed with these, so a malformed job fails with the field named.
 */
import { z } from 'zod';
import { sourceConfigSchema } from '../../schemas/source.js';

/** Input of the crawl stage (discover + fetch + extract): one source, optionally capped. */
export const crawlInputSchema = z
  .object({
    source: sourceConfigSchema,
    limit: z.number().int().positive().optional(),
    /** Where GitHub READMEs are fetched from (the demo serves them itself). */
    rawBase: z.string().url().optional(),
    /** Time budget of each listing in the crawl (THREATDRAFT_LISTING_BUDGET_MS of the run). */
    listingBudgetMs: z.number().int().positive().optional(),
    /** Listing ids of URLs on `from` derive as if on `to` (the demo, whose port varies between runs). */
    idOrigin: z.object({ from: z.string().url(), to: z.string().url() }).strict().optional(),
  })
  .strict();
export type CrawlInput = z.infer<typeof crawlInputSchema>;

/** A URL the crawl could not use, with why. */
export const stageFailureSchema = z.object({
  id: z.string().optional(),
  url: z.string().optional(),
  reason: z.string(),
  code: z.string(),
  attempts: z.number().int().min(0).optional(),
});
export type StageFailure = z.infer<typeof stageFailureSchema>;

/** A URL or entry the crawl skipped, with why (robots.txt, a document that is not JSON or breaks its schema, …). */
export const stageSkipSchema = z.object({ url: z.string(), code: z.string(), reason: z.string() });

/** A stored listing a reviewer should look at twice (a possible rug pull, a document with fields left out). */
export const stageWarningSchema = z.object({ id: z.string(), url: z.string(), code: z.string(), message: z.string() });

/** Output of the crawl stage: the listings now stored for the source, and per-URL failures. */
export const crawlOutputSchema = z.object({
  listings: z.array(z.object({ id: z.string(), contentHash: z.string() })),
  found: z.number().int().min(0),
  fetched: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failures: z.array(stageFailureSchema),
  skips: z.array(stageSkipSchema).default([]),
  warnings: z.array(stageWarningSchema).default([]),
});
export type CrawlOutput = z.infer<typeof crawlOutputSchema>;

/** Input of the assess stage: which listing, at which content (a newer stored hash wins). */
export const assessInputSchema = z
  .object({
    listingId: z.string().min(1),
    contentHash: z.string().regex(/^[a-f0-9]{64}$/),
    assessor: z.enum(['rules', 'openai']),
    /** Epoch ms when the first attempt started (set by the worker): the listing's time budget counts from it. */
    startedAt: z.number().int().positive().optional(),
  })
  .strict();
export type AssessInput = z.infer<typeof assessInputSchema>;

/** Output of the assess stage: the listing's current draft and whether an assessor was called. */
export const assessOutputSchema = z.object({
  listingId: z.string(),
  outcome: z.enum(['assessed', 'unchanged']),
  draftId: z.string(),
  revision: z.number().int().min(1),
  tokensIn: z.number().int().min(0),
  tokensOut: z.number().int().min(0),
  costUsd: z.number().min(0),
  /** Attempts this result took (1 when the first try succeeded). */
  attempts: z.number().int().min(1),
  /** The listing content the draft was made from (for the rerun index). */
  contentHash: z.string().optional(),
});
export type AssessOutput = z.infer<typeof assessOutputSchema>;

/** Input of a Batch API job (BullMQ): every listing of a run, one job owning the batch. */
export const batchInputSchema = z
  .object({
    assessor: z.literal('openai'),
    listings: z.array(z.object({ id: z.string().min(1), contentHash: z.string().regex(/^[a-f0-9]{64}$/) }).strict()),
  })
  .strict();
export type BatchInput = z.infer<typeof batchInputSchema>;

/** What an executor's assess phase did (also the return value of a Batch API job). */
export const assessTallySchema = z.object({
  assessed: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  failed: z.number().int().min(0),
  failures: z.array(stageFailureSchema),
  tokensIn: z.number().int().min(0),
  tokensOut: z.number().int().min(0),
  costUsd: z.number().min(0),
  retried: z.record(z.string(), z.number().int()),
});

/** The summary of `threatdraft run`. */
export interface RunSummary {
  listings: number;
  assessed: number;
  unchanged: number;
  failed: number;
  failures: Array<{ id?: string; url?: string; reason: string; code?: string; attempts?: number }>;
  drafts: number;
  tokens: number;
  costUsd: number;
  wallMs: number;
}
