import { z } from 'zod';
import { factorCertaintySchema, taxonomiesSchema } from './assessment.js';
import { namedThreatSchema } from './catalogue/index.js';
import { DRAFT_STATUSES } from './draft.js';
import { FORMULAS, SEVERITIES, scoreSchema, severitySchema } from './score.js';

/** Bump when the published JSON changes shape; consumers check it. */
export const PUBLISHED_SCHEMA_VERSION = 2;

const rangeSchema = z.object({ low: z.number(), high: z.number() });

export const publishedFactorSchema = z.object({
  key: z.string(),
  name: z.string(),
  value: z.number().min(0).max(1),
  /** How firmly the listing pins the value: field, stated, inferred or unknown. */
  certainty: factorCertaintySchema,
  /** The plausible low and high of the value, from its certainty. */
  range: rangeSchema,
  rationale: z.string(),
  evidence: z.array(z.string()),
});

export const publishedLayerSchema = z.object({
  layer: z.number().int().min(1).max(7),
  name: z.string(),
  certain: z.boolean(),
  /** Catalogue threats with their OWASP ASI and T ids and mitigations. */
  threats: z.array(namedThreatSchema),
  /** Threats named in words that the catalogue does not hold. */
  otherThreats: z.array(z.string()),
  text: z.string(),
  evidence: z.array(z.string()),
});

/** A cross-layer chain: a threat on one layer that enables one on another. */
export const publishedChainSchema = z.object({
  from: z.object({ id: z.string(), layer: z.number().int().min(1).max(7) }),
  to: z.object({ id: z.string(), layer: z.number().int().min(1).max(7) }),
  how: z.string(),
});

/** Where a page, its JSON, its Markdown and its Open Threat Model export live, relative to the site root. */
export const publishedPathsSchema = z.object({ html: z.string(), json: z.string(), markdown: z.string(), otm: z.string() });

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
  /** True when the listing was too thin for a confident draft: the page carries a banner. */
  insufficientEvidence: z.boolean(),
  /** The versions of AIVSS, MAESTRO, the ASI list, the T taxonomy and the threat catalogue used. */
  taxonomies: taxonomiesSchema,
  /** The Score of schemas/score.ts, with the score itself named `value`; `range` is its plausible low and high. */
  score: scoreSchema.omit({ score: true, range: true }).extend({ value: z.number().min(0).max(10), range: rangeSchema }),
  factors: z.array(publishedFactorSchema).length(10),
  cvss: z.object({ vector: z.string(), rationale: z.string() }),
  exploitMaturity: z.object({ value: z.enum(['attacked', 'poc', 'unreported']), rationale: z.string() }),
  mitigation: z.object({ value: z.enum(['none', 'partial', 'strong']), rationale: z.string() }),
  layers: z.array(publishedLayerSchema).length(7),
  chains: z.array(publishedChainSchema),
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
  /** Set when this revision applies a vendor's correction: when it was accepted. */
  correction: z.object({ id: z.string(), correctedAt: z.string() }).nullable(),
  /** Where the vendor can ask for a correction of this report. */
  correctionsUrl: z.string(),
  /** Earlier published revisions of the same listing, newest first, each with what it changed from the one before. */
  previous: z.array(
    z.object({
      revision: z.number().int().min(1),
      publishedAt: z.string().nullable(),
      score: z.number().min(0).max(10),
      severity: severitySchema,
      corrected: z.boolean(),
      /** Fields this revision changed from the revision before it (empty for the first). */
      changes: z.array(z.string()),
      paths: publishedPathsSchema,
    }),
  ),
  /** Fields this revision changed from the previous published one (empty for the first). */
  changes: z.array(z.string()),
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
  range: rangeSchema,
  severity: z.enum(SEVERITIES),
  formula: z.enum(FORMULAS),
  insufficientEvidence: z.boolean(),
  /** The OWASP ASI ids of every threat the report names. */
  asi: z.array(z.string()),
  publishedAt: z.string().nullable(),
  paths: publishedPathsSchema,
});

/** `agents.json`: the current published report of every agent, highest score first. */
export const publishedIndexSchema = z.object({
  schemaVersion: z.literal(PUBLISHED_SCHEMA_VERSION),
  agents: z.array(publishedIndexEntrySchema),
});
export type PublishedIndex = z.infer<typeof publishedIndexSchema>;
