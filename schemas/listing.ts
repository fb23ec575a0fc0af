import { z } from 'zod';

/** A code repository linked from a listing, with its README when enrichment fetched it. */
export const repoSchema = z.object({
  url: z.string(),
  readme: z.string().nullable(),
  /** Why the README could not be attached (enrichment failures are recorded, never fatal). */
  error: z.string().nullable(),
  truncated: z.boolean(),
  /**
   * What the repository's manifests say (package.json, pyproject.toml, requirements.txt,
   * Dockerfile, server.json): one line of facts per manifest found, as `<file>: …`.
   */
  manifests: z.array(z.object({ path: z.string(), facts: z.string() })).optional(),
});
export type Repo = z.infer<typeof repoSchema>;

/** What extraction noticed about a page: `markup-capped` when a cap on its shape left markup out. */
export const LISTING_WARNING_CODES = ['markup-capped'] as const;

export const listingWarningSchema = z.object({
  code: z.enum(LISTING_WARNING_CODES),
  message: z.string(),
});
export type ListingWarning = z.infer<typeof listingWarningSchema>;

/** The kinds of structured document a listing can come from. */
export const DOCUMENT_TYPES = ['a2a-agent-card', 'mcp-server'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/**
 * The structured document a listing came from (an A2A agent card, an MCP server.json), as
 * published: unknown fields are kept; fields that broke the schema are left out and named in
 * `warnings`.
 */
export const listingDocumentSchema = z.object({
  type: z.enum(DOCUMENT_TYPES),
  /** The schema the document follows (`a2a 1.0`, `a2a 0.3 (legacy)`, `server.json 2025-12-11`). */
  schema: z.string(),
  data: z.record(z.string(), z.unknown()),
  /** What the publisher's registry says about it (MCP registry `_meta`), when it came from one. */
  meta: z.record(z.string(), z.unknown()).optional(),
  /** Fields left out because they broke the schema, each named with what was expected. */
  warnings: z.array(z.string()),
});
export type ListingDocument = z.infer<typeof listingDocumentSchema>;

/** A clean, hashed listing, extracted from one page of a directory. */
export const listingSchema = z.object({
  /** Stable id derived from the source and the normalised URL: safe in file names and URLs. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/),
  sourceId: z.string(),
  url: z.string(),
  fetchedAt: z.string(),
  /** sha256 over the normalised text and fields: unchanged hash, unchanged listing. */
  contentHash: z.string().regex(/^[a-f0-9]{64}$/),
  title: z.string(),
  summary: z.string(),
  /** Cleaned readable text, capped by a token budget; a cut is marked in the text and by `truncated`. */
  text: z.string(),
  truncated: z.boolean(),
  fields: z.object({
    capabilities: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    repositories: z.array(z.string()),
    category: z.string().nullable(),
  }),
  repo: repoSchema.optional(),
  /** Present only when extraction left something out (a hostile or broken page); not hashed. */
  warnings: z.array(listingWarningSchema).optional(),
  /** The validated structured source (agent card or server.json), when the listing came from one. */
  document: listingDocumentSchema.optional(),
});
export type Listing = z.infer<typeof listingSchema>;

/** One field that differs between two versions of a listing. */
export const listingChangeSchema = z.object({
  /** `title`, `metadata.License`, `capabilities`, `document.skills[book-flight].description`, … */
  path: z.string(),
  change: z.enum(['added', 'removed', 'altered']),
  before: z.string().nullable(),
  after: z.string().nullable(),
});
export type ListingChange = z.infer<typeof listingChangeSchema>;

/** Why a change needs a closer look. */
export const LISTING_FLAGS = ['possible-rug-pull'] as const;
export type ListingFlag = (typeof LISTING_FLAGS)[number];

/** One stored version of a listing: when it was seen, what it held, and what changed from the version before. */
export const listingVersionSchema = z.object({
  contentHash: z.string().regex(/^[a-f0-9]{64}$/),
  fetchedAt: z.string(),
  /** Against the previous version; empty for the first. */
  changes: z.array(listingChangeSchema),
  flags: z.array(z.enum(LISTING_FLAGS)),
  /** The listing's facts at this version, flattened (`path` → value), so any two versions can be compared. */
  facts: z.record(z.string(), z.string()),
});
export type ListingVersion = z.infer<typeof listingVersionSchema>;
