import { z } from 'zod';

/** A code repository linked from a listing, with its README when enrichment fetched it. */
export const repoSchema = z.object({
  url: z.string(),
  readme: z.string().nullable(),
  /** Why the README could not be attached (enrichment failures are recorded, never fatal). */
  error: z.string().nullable(),
  truncated: z.boolean(),
});
export type Repo = z.infer<typeof repoSchema>;

/** What extraction noticed about a page: `markup-capped` when a cap on its shape left markup out. */
export const LISTING_WARNING_CODES = ['markup-capped'] as const;

export const listingWarningSchema = z.object({
  code: z.enum(LISTING_WARNING_CODES),
  message: z.string(),
});
export type ListingWarning = z.infer<typeof listingWarningSchema>;

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
});
export type Listing = z.infer<typeof listingSchema>;
