/**
 * Shared by the structured-document readers (pure): tolerant field-by-field validation (a field
 * that breaks its schema is left out and named in a warning; unknown fields are kept as published),
 * text cleaning, and building a `Listing` from what a document says.
 */
import type { z } from 'zod';
import type { Listing, ListingDocument } from '../../../schemas/listing.js';
import { formatIssues } from '../../errors.js';
import { DEFAULT_MAX_TOKENS, capTokens, computeContentHash, listingId, normalizeListingUrl } from '../listing-identity.js';

/** Control characters (C0 but tab and newline, DEL, C1) and bidi overrides: never text, never on a terminal. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** A string from a document as one clean line: control characters dropped, whitespace collapsed, clipped. */
export function line(value: string, maxChars = 500): string {
  const clean = value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return clean.length <= maxChars ? clean : `${clean.slice(0, maxChars - 1).trimEnd()}…`;
}

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How one known field of a document is validated. */
export interface FieldRule {
  schema: z.ZodType;
  /** Validate an array element by element, keeping the good ones. */
  each?: boolean;
  /** The field the spec requires: its absence is named in a warning (the listing is still read). */
  required?: boolean;
}

/**
 * Validates the known fields of `raw` one by one. A field (or, for `each`, an element) that breaks
 * its schema is left out of `valid` and named in `warnings`; the published document itself is
 * returned whole (unknown fields kept).
 */
export function validateFields(raw: Record<string, unknown>, rules: Readonly<Record<string, FieldRule>>, where = ''): { valid: Record<string, unknown>; warnings: string[] } {
  const valid: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, rule] of Object.entries(rules)) {
    const path = `${where}${key}`;
    const value = raw[key];
    if (value === undefined || value === null) {
      if (rule.required === true) warnings.push(`\`${path}\`: missing (the spec requires it)`);
      continue;
    }
    if (rule.each === true) {
      if (!Array.isArray(value)) {
        warnings.push(`\`${path}\`: expected an array, got ${kindOf(value)}`);
        continue;
      }
      const kept: unknown[] = [];
      value.forEach((element, index) => {
        const parsed = rule.schema.safeParse(element);
        if (parsed.success) kept.push(parsed.data);
        else warnings.push(`\`${path}[${index}]\` left out: ${formatIssues(parsed.error.issues)}`);
      });
      valid[key] = kept;
      continue;
    }
    const parsed = rule.schema.safeParse(value);
    if (parsed.success) valid[key] = parsed.data;
    else warnings.push(`\`${path}\` left out: ${formatIssues(parsed.error.issues)}`);
  }
  return { valid, warnings };
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** What a structured document says, in the shape a listing holds it. */
export interface DocumentRendering {
  title: string;
  summary: string;
  category: string | null;
  capabilities: string[];
  /** Single facts (`provider`, `version`, …); they are in `lines` too. */
  metadata: Record<string, string>;
  repositories: string[];
  /** Readable text after title and summary: one `field: value` line per fact, prose for descriptions. */
  lines: string[];
  /** A short name for the listing id (the card's or server's name). */
  slug: string;
}

/** Options of {@link listingFromDocument}. */
export interface DocumentListingOptions {
  url: string;
  /** The URL the listing id derives from, when it is not `url` (an agent found at one of several card paths). */
  idUrl?: string | undefined;
  sourceId: string;
  fetchedAt: string;
  /** @default 6000 */
  maxTokens?: number | undefined;
}

/**
 * The listing a structured document stands for: readable text for every assessor (title, summary,
 * then one line per fact, so each fact can be quoted as evidence), the document itself, and a
 * content hash over both.
 */
export function listingFromDocument(rendering: DocumentRendering, document: ListingDocument, options: DocumentListingOptions): Listing {
  const maxTokens = Math.max(64, Math.floor(options.maxTokens ?? DEFAULT_MAX_TOKENS));
  const assembled = [rendering.title, rendering.summary, ...rendering.lines].filter((part) => part !== '').join('\n');
  const { text, truncated } = capTokens(assembled, maxTokens);
  const fields: Listing['fields'] = {
    capabilities: rendering.capabilities,
    metadata: rendering.metadata,
    repositories: rendering.repositories,
    category: rendering.category,
  };
  // The registry's `_meta` (publishedAt, updatedAt) changes without the server changing; what of it
  // matters (the lifecycle status) is in the text.
  const { meta: _meta, ...hashed } = document;
  const contentHash = computeContentHash({ title: rendering.title, summary: rendering.summary, text, fields, document: hashed });
  return {
    id: listingId(options.sourceId, normalizeListingUrl(options.idUrl ?? options.url), rendering.slug),
    sourceId: options.sourceId,
    url: options.url,
    fetchedAt: options.fetchedAt,
    contentHash,
    title: rendering.title,
    summary: rendering.summary,
    text,
    truncated,
    fields,
    document,
  };
}

/** Parses JSON text into a value; `null` with the reason when it is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (thrown) {
    const detail = thrown instanceof Error ? (thrown.message.replace(/, "[\s\S]*$/, '').split('\n')[0] ?? '') : '';
    return { ok: false, reason: detail.slice(0, 160) };
  }
}
