import { z } from 'zod';
import { assessmentSchema } from './assessment.js';
import { scoreSchema, severitySchema } from './score.js';

export const DRAFT_STATUSES = ['draft', 'changes-requested', 'approved', 'rejected', 'published', 'superseded'] as const;
export const draftStatusSchema = z.enum(DRAFT_STATUSES);
export type DraftStatus = z.infer<typeof draftStatusSchema>;

export const WARNING_CODES = [
  'ungrounded-evidence',
  'layer-forced-uncertain',
  'prompt-injection',
  'assessor-disagreement',
  'listing-truncated',
  'listing-capped',
  'repo-enrichment-failed',
  'band-wording',
  'certainty-demoted',
  'document-fields',
  'possible-rug-pull',
] as const;

export const warningSchema = z.object({
  code: z.enum(WARNING_CODES),
  message: z.string(),
  /** Where the warning applies, e.g. `factors.dynamicToolUse` or `layers.3`. */
  where: z.string().nullable(),
});
export type Warning = z.infer<typeof warningSchema>;

export const groundingSchema = z.object({
  where: z.string(),
  quote: z.string(),
  grounded: z.boolean(),
});
export type Grounding = z.infer<typeof groundingSchema>;

export const checksSchema = z.object({
  grounding: z.array(groundingSchema),
  groundingRate: z.number().min(0).max(1),
  injection: z.object({ suspected: z.boolean(), matches: z.array(z.string()) }),
  warnings: z.array(warningSchema),
});
export type Checks = z.infer<typeof checksSchema>;

export const provenanceSchema = z.object({
  assessor: z.enum(['rules', 'openai']),
  assessorVersion: z.string(),
  model: z.string().nullable(),
  promptId: z.string().nullable(),
  promptHash: z.string().nullable(),
  listingContentHash: z.string(),
  tokensIn: z.number().int().min(0),
  tokensOut: z.number().int().min(0),
  /** Of tokensIn, those the provider served from its prompt cache (absent: none reported). */
  tokensCached: z.number().int().min(0).optional(),
  costUsd: z.number().min(0),
  cached: z.boolean(),
  /** The Batch API batch the answer came from, when it did. */
  batchId: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  threatdraftVersion: z.string(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

export const reviewActionSchema = z.object({
  reviewer: z.string(),
  action: z.enum(['edit', 'approve', 'reject', 'request-changes', 'publish', 'regenerate', 'confirm-text', 'correction']),
  comment: z.string().nullable(),
  at: z.string(),
});
export type ReviewAction = z.infer<typeof reviewActionSchema>;

/** A draft threat model for one listing, at one assessment revision. */
export const draftSchema = z.object({
  /** `<listingId>.r<revision>` */
  id: z.string(),
  listingId: z.string(),
  /** Assessment revision for the listing: a changed listing gets revision + 1. */
  revision: z.number().int().min(1),
  /** Store version for compare-and-set: bumps on every save of this draft. */
  version: z.number().int().min(1),
  status: draftStatusSchema,
  assessment: assessmentSchema,
  score: scoreSchema,
  /**
   * The highest severity this draft had since it was drafted; edits that lower the score keep it,
   * so they never lower the approvals it needs. Absent until the first edit (the score's severity).
   */
  peakSeverity: severitySchema.optional(),
  checks: checksSchema,
  provenance: provenanceSchema,
  reviews: z.array(reviewActionSchema),
  /**
   * Texts (by path, e.g. `summary`, `factors.autonomyOfAction.rationale`) written against values that
   * have since changed, or that describe another band than the score's: publish refuses the draft
   * until each is regenerated or a reviewer confirms it.
   */
  staleText: z.array(z.string()).default([]),
  /** Texts a reviewer wrote by hand: a later edit of the values marks them stale instead of rewriting them. */
  reviewerText: z.array(z.string()).default([]),
  /** The vendor correction this revision applies, when a reviewer accepted one (`Corrected on DATE`). */
  correction: z.object({ id: z.string(), acceptedAt: z.string(), acceptedBy: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Draft = z.infer<typeof draftSchema>;

export function draftId(listingId: string, revision: number): string {
  return `${listingId}.r${revision}`;
}
