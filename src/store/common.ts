/**
 * Rules every store shares (no I/O): record schemas, validation with errors that name the
 * record, draft ids, filter and sort order, the compare-and-set version rule.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { correctionSchema, type Correction, type CorrectionStatus } from '../../schemas/correction.js';
import { DRAFT_STATUSES, draftId, draftSchema, type Draft, type DraftStatus } from '../../schemas/draft.js';
import { listingSchema, listingVersionSchema, type Listing, type ListingVersion } from '../../schemas/listing.js';
import { ConflictError, ExtractionError, InputError } from '../errors.js';
import type { AuditEntry, DraftFilter, DraftSummary, ListingSummary, Reviewer, ReviewPolicy } from './store.js';

/** The audit entry shape, checked on append and on read. */
export const auditEntrySchema = z.object({
  at: z.string().min(1),
  actor: z.string().min(1),
  action: z.string().min(1),
  subject: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A reviewer record; `tokenHash` is a hex sha256. A record written before reviewers had ids reads
 * with one derived from its token hash, which is unique and never changes for that reviewer.
 */
export const reviewerSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected letters, digits, "_" or "-"' }).optional(),
    name: z.string().min(1).max(128),
    tokenHash: z.string().regex(/^[a-f0-9]{64}$/, { message: 'expected a hex sha256' }),
    createdAt: z.string().min(1),
  })
  .transform(({ id, ...rest }) => ({ id: id ?? `legacy-${rest.tokenHash.slice(0, 24)}`, ...rest }));

/** The review policy record (`policy.json`, Redis key `policy`). */
export const reviewPolicySchema = z.object({
  twoPerson: z.boolean(),
  setBy: z.string().min(1).max(128),
  at: z.iso.datetime({ offset: true }),
});

/** Listing ids and draft listing ids become file names and key parts: the listing id rule applies. */
const SAFE_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
/** Cache namespaces become directory names. */
const SAFE_NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9._:@-]{0,127}$/;

/** Validates a value read from or written to a store; `where` names the file or key in the error. */
export function parseRecord<S extends z.ZodType>(schema: S, value: unknown, what: string, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ExtractionError(`${what} in ${where}`, result.error.issues, { where });
  return result.data;
}

/** Parses JSON text read from `where`; a truncated or corrupt file becomes an error naming it. */
export function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ExtractionError(
      `Corrupt JSON in ${where}`,
      [{ code: 'custom', path: [], message: error instanceof Error ? error.message : String(error), input: undefined }],
      { where },
    );
  }
}

/** Versions kept per listing (the oldest go first). */
export const MAX_LISTING_VERSIONS = 10;

/** Checks a listing version and the id it belongs to before it is stored. */
export function checkVersion(id: string, version: ListingVersion): ListingVersion {
  if (!SAFE_ID.test(id)) throw new InputError('E_LISTING_ID', `Listing id must match ${SAFE_ID.source}, got ${JSON.stringify(id)}`, { id });
  const result = listingVersionSchema.safeParse(version);
  if (!result.success) throw new ExtractionError(`Version of listing ${id}`, result.error.issues, { id });
  return result.data;
}

/** A listing's history after appending `version` (unless the newest has its hash), trimmed to the cap; null when unchanged. */
export function appendVersion(history: readonly ListingVersion[], version: ListingVersion): ListingVersion[] | null {
  if (history.at(-1)?.contentHash === version.contentHash) return null;
  return [...history, version].slice(-MAX_LISTING_VERSIONS);
}

/** Checks a listing before it is stored. */
export function checkListing(listing: Listing): Listing {
  const result = listingSchema.safeParse(listing);
  if (!result.success) throw new ExtractionError(`Listing ${String(listing?.id)}`, result.error.issues, { id: listing?.id });
  return result.data;
}

/**
 * Checks a draft before it is stored: the schema, a listing id safe as a file name, and an id
 * equal to `<listingId>.r<revision>`.
 */
export function checkDraft(draft: Draft): Draft {
  const result = draftSchema.safeParse(draft);
  if (!result.success) throw new ExtractionError(`Draft ${String(draft?.id)}`, result.error.issues, { id: draft?.id });
  const checked = result.data;
  if (!SAFE_ID.test(checked.listingId)) {
    throw new InputError('E_DRAFT_ID', `Draft listingId must match ${SAFE_ID.source}, got ${JSON.stringify(checked.listingId)}`, {
      id: checked.id,
    });
  }
  const expected = draftId(checked.listingId, checked.revision);
  if (checked.id !== expected) {
    throw new InputError('E_DRAFT_ID', `Draft id must be ${JSON.stringify(expected)}, got ${JSON.stringify(checked.id)}`, {
      id: checked.id,
    });
  }
  return checked;
}

/** Splits `<listingId>.r<revision>`; null when the id is not of that form. */
export function parseDraftId(id: string): { listingId: string; revision: number } | null {
  const match = /^(.+)\.r([1-9][0-9]{0,8})$/.exec(id);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  if (!SAFE_ID.test(match[1])) return null;
  return { listingId: match[1], revision: Number(match[2]) };
}

/** True when `id` is safe to use as a listing id in a path or key. */
export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id);
}

/** Rejects cache namespaces that could escape their directory. */
export function checkNamespace(namespace: string): string {
  if (!SAFE_NAMESPACE.test(namespace)) {
    throw new InputError('E_CACHE_NAMESPACE', `Cache namespace must match ${SAFE_NAMESPACE.source}, got ${JSON.stringify(namespace)}`);
  }
  return namespace;
}

/** The cache key's file or key name: sha256 hex, so any key is safe and bounded. */
export function cacheKeyHash(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * Applies the compare-and-set rule: returns the version to write, or throws ConflictError.
 * @throws ConflictError when `stored` (null when absent) differs from `expected`.
 */
export function nextVersion(id: string, stored: number | null, expected: number | null, what = 'Draft'): number {
  if (stored !== expected) {
    throw new ConflictError(
      'E_CONFLICT',
      `${what} ${id} was changed by someone else: expected version ${expected ?? `none (new ${what.toLowerCase()})`}, stored ${stored ?? 'none'}`,
      { id, expectedVersion: expected, storedVersion: stored },
    );
  }
  return expected === null ? 1 : expected + 1;
}

/** Orders draft ids by listing id, then numeric revision. */
export function compareDraftIds(a: string, b: string): number {
  const pa = parseDraftId(a);
  const pb = parseDraftId(b);
  if (pa === null || pb === null) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.listingId !== pb.listingId) return pa.listingId < pb.listingId ? -1 : 1;
  return pa.revision - pb.revision;
}

/** True when a draft passes the filter's status and listing conditions. */
export function matchesFilter(draft: Pick<Draft, 'status' | 'listingId'>, filter: DraftFilter): boolean {
  if (filter.listingId !== undefined && draft.listingId !== filter.listingId) return false;
  if (filter.status !== undefined && !filter.status.includes(draft.status)) return false;
  return true;
}

/** Checks paging numbers and returns the slice bounds. */
export function pageBounds(filter: DraftFilter): { start: number; end: number } {
  const offset = filter.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InputError('E_INPUT', `Expected \`offset\` to be an integer from 0 and up, got ${offset}`);
  }
  if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) {
    throw new InputError('E_INPUT', `Expected \`limit\` to be an integer from 0 and up, got ${filter.limit}`);
  }
  return { start: offset, end: filter.limit === undefined ? Number.POSITIVE_INFINITY : offset + filter.limit };
}

/** A zero count for every draft status. */
export function emptyStatusCounts(): Record<DraftStatus, number> {
  return Object.fromEntries(DRAFT_STATUSES.map((status) => [status, 0])) as Record<DraftStatus, number>;
}

/** Validates an audit entry (on append and read). */
export function checkAuditEntry(entry: AuditEntry, where: string): AuditEntry {
  return stripUndefinedDetail(parseRecord(auditEntrySchema, entry, 'Audit entry', where));
}

function stripUndefinedDetail(entry: z.infer<typeof auditEntrySchema>): AuditEntry {
  const { detail, ...rest } = entry;
  return detail === undefined ? rest : { ...rest, detail };
}

/** Validates a reviewer record. */
export function checkReviewer(reviewer: Reviewer, where: string): Reviewer {
  return parseRecord(reviewerSchema, reviewer, 'Reviewer', where);
}

/** Validates a review policy (on set and on read); `where` names the file or key. */
export function checkPolicy(policy: ReviewPolicy, where: string): ReviewPolicy {
  return parseRecord(reviewPolicySchema, policy, 'Review policy', where);
}

/** The conflict raised when a reviewer name or token hash is taken. */
export function reviewerTaken(name: string, field: 'name' | 'tokenHash'): ConflictError {
  return new ConflictError(
    'E_REVIEWER_EXISTS',
    field === 'name' ? `Reviewer ${JSON.stringify(name)} already exists` : `Reviewer ${JSON.stringify(name)}: token hash already in use`,
    { name },
  );
}

/** Checks a correction before it is stored. */
export function checkCorrection(correction: Correction): Correction {
  const result = correctionSchema.safeParse(correction);
  if (!result.success) throw new ExtractionError(`Correction ${String(correction?.id)}`, result.error.issues, { id: correction?.id });
  return result.data;
}

/** Whether a correction matches a corrections filter. */
export function matchesCorrection(correction: Correction, filter: { status?: readonly CorrectionStatus[]; listingId?: string }): boolean {
  return (filter.status === undefined || filter.status.includes(correction.status)) && (filter.listingId === undefined || correction.listingId === filter.listingId);
}

/** Oldest first, ties by id. */
export function compareCorrections(a: Correction, b: Correction): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The index summary of a draft (pure). */
export function draftSummary(draft: Draft): DraftSummary {
  return {
    id: draft.id,
    listingId: draft.listingId,
    revision: draft.revision,
    version: draft.version,
    status: draft.status,
    score: draft.score.score,
    severity: draft.score.severity,
    range: draft.score.range ?? null,
    peakSeverity: draft.peakSeverity ?? null,
    insufficientEvidence: draft.assessment.insufficientEvidence,
    warnings: draft.checks.warnings.length,
    staleText: draft.staleText.length,
    reviews: draft.reviews.map((review) => ({ action: review.action, reviewer: review.reviewer })),
    listingContentHash: draft.provenance.listingContentHash,
    createdAt: draft.createdAt,
    updatedAt: draft.updatedAt,
  };
}

/** The index summary of a listing (pure). */
export function listingSummary(listing: Listing): ListingSummary {
  return { id: listing.id, title: listing.title, sourceId: listing.sourceId, contentHash: listing.contentHash, url: listing.url, repo: listing.repo !== undefined };
}
