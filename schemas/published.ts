import { z } from 'zod';
import { DRAFT_STATUSES } from './draft.js';
import { FORMULAS, SEVERITIES, scoreSchema } from './score.js';

/** Bump when the published JSON changes shape; consumers check it. */
export const PUBLISHED_SCHEMA_VERSION = 1;

export const publishedFactorSchema = z.object({
  key: z.string(),
  name: z.string(),
  value: z.number().min(0).max(1),
  rationale: z.string(),
  evidence: z.array(z.string()),
});

export const publishedLayerSchema = z.object({
  layer: z.number().int().min(1).max(7),
  name: z.string(),
  certain: z.boolean(),
  threats: z.array(z.string()),
  text: z.string(),
  evidence: z.array(z.string()),
});

/** Where a page, its JSON and its Markdown live, relative to the site root. */
export const publishedPathsSchema = z.object({ html: z.string(), json: z.string(), markdown: z.string() });

/** One published report: what `agents/<id>/index.json` holds (and each versioned copy). */
export const publishedAgentSchema = z.object({
  schemaVersion: z.literal(PUBLISHED_SCHEMA_VERSION),
  id: z.string(),
  draftId: z.string(),
  revision: z.number().int().min(1),
  status: z.enum(DRAFT_STATUSES),
  title: z.string(),
  url: z.string(),
  source: z.string(),
  category: z.string().nullable(),
  summary: z.string(),
  /** The Score of schemas/score.ts, with the score itself named `value`. */
  score: scoreSchema.omit({ score: true }).extend({ value: z.number().min(0).max(10) }),
  factors: z.array(publishedFactorSchema).length(10),
  cvss: z.object({ vector: z.string(), rationale: z.string() }),
  exploitMaturity: z.object({ value: z.enum(['attacked', 'poc', 'unreported']), rationale: z.string() }),
  mitigation: z.object({ value: z.enum(['none', 'partial', 'strong']), rationale: z.string() }),
  layers: z.array(publishedLayerSchema).length(7),
  provenance: z.object({
    assessor: z.string(),
    assessorVersion: z.string(),
    model: z.string().nullable(),
    promptId: z.string().nullable(),
    promptHash: z.string().nullable(),
    listingContentHash: z.string(),
    assessedAt: z.string(),
    threatdraftVersion: z.string(),
  }),
  review: z.object({
    reviewers: z.array(z.string()),
    approvedAt: z.string().nullable(),
    publishedAt: z.string().nullable(),
  }),
  paths: publishedPathsSchema,
  /** Earlier published revisions of the same listing, newest first. */
  previous: z.array(z.object({ revision: z.number().int().min(1), publishedAt: z.string().nullable(), paths: publishedPathsSchema })),
});
export type PublishedAgent = z.infer<typeof publishedAgentSchema>;

/** One row of `agents.json`. */
export const publishedIndexEntrySchema = z.object({
  id: z.string(),
  title: z.string(),
  category: z.string().nullable(),
  source: z.string(),
  revision: z.number().int().min(1),
  score: z.number().min(0).max(10),
  severity: z.enum(SEVERITIES),
  formula: z.enum(FORMULAS),
  publishedAt: z.string().nullable(),
  paths: publishedPathsSchema,
});

/** `agents.json`: the current published report of every agent, highest score first. */
export const publishedIndexSchema = z.object({
  schemaVersion: z.literal(PUBLISHED_SCHEMA_VERSION),
  agents: z.array(publishedIndexEntrySchema),
});
export type PublishedIndex = z.infer<typeof publishedIndexSchema>;
