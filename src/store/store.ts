/**
 * The Store port: small repositories behind one handle, implemented by the file store
 * (default, `./.threatdraft/`), the Redis store (with REDIS_URL) and an in-memory store for tests.
 * Every implementation passes the one contract suite in `test/store/contract.ts`.
 */
import type { Correction, CorrectionStatus } from '../../schemas/correction.js';
import type { Draft, DraftStatus } from '../../schemas/draft.js';
import type { Listing, ListingVersion } from '../../schemas/listing.js';

export interface ListingRepo {
  /** Stores the listing; returns the contentHash it replaced (null when new). */
  put(listing: Listing): Promise<{ previousHash: string | null }>;
  get(id: string): Promise<Listing | null>;
  /** The listings for `ids`, in the same order, null where an id is not stored. */
  getMany(ids: readonly string[]): Promise<Array<Listing | null>>;
  /** Every stored listing id, sorted. */
  ids(): Promise<string[]>;
  /**
   * Appends a version to the listing's history, unless the newest stored version has the same
   * content hash (so a crawl repeated after a crash adds nothing twice); keeps the newest
   * `MAX_LISTING_VERSIONS`. Returns whether it was added.
   */
  addVersion(id: string, version: ListingVersion): Promise<boolean>;
  /** The listing's versions, oldest first; empty when it has none. */
  versions(id: string): Promise<ListingVersion[]>;
}

export interface DraftFilter {
  status?: readonly DraftStatus[];
  listingId?: string;
  /** Skip this many matching drafts (after sorting by listingId, then revision). @default 0 */
  offset?: number;
  /** Return at most this many drafts. @default unlimited */
  limit?: number;
}

export interface DraftRepo {
  get(id: string): Promise<Draft | null>;
  /** The newest revision for a listing, whatever its status. */
  current(listingId: string): Promise<Draft | null>;
  /**
   * The newest revision for each of `listingIds`, in the same order, null where a listing has
   * none: one batched read (the producer's unchanged check), not one round trip per listing.
   */
  currentMany(listingIds: readonly string[]): Promise<Array<Draft | null>>;
  /** Matching drafts sorted by listingId, then revision (ascending). */
  list(filter?: DraftFilter): Promise<Draft[]>;
  /**
   * Saves with compare-and-set: `expectedVersion` null means the draft must not exist yet;
   * otherwise the stored version must equal it. The saved draft has `version` + 1 (or 1 when new).
   * With `options.audit`, the audit entry recording this save is appended with it: only when the
   * save succeeds, never without it (the file store commits both in one batch).
   * @throws ConflictError when the stored version differs; nothing is written, no entry appended.
   */
  save(draft: Draft, expectedVersion: number | null, options?: SaveOptions): Promise<Draft>;
}

/** Options of {@link DraftRepo.save}. */
export interface SaveOptions {
  /** The audit entry recording this save, appended with it. */
  audit?: AuditEntry;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  /** Appends one entry as one whole record (for the file store, one write of one whole line); entries are never rewritten. */
  append(entry: AuditEntry): Promise<void>;
  /** Entries in the order they were appended, optionally only those about `subject`; torn records are skipped. */
  list(filter?: { subject?: string }): Promise<AuditEntry[]>;
}

/** A namespaced JSON cache (fetch cache, model responses, eval results). */
export interface CacheRepo {
  get<T = unknown>(namespace: string, key: string): Promise<T | null>;
  set(namespace: string, key: string, value: unknown): Promise<void>;
  delete(namespace: string, key: string): Promise<void>;
}

export interface Reviewer {
  /**
   * Immutable and never reused: a reviewer removed and added again under the same name is a new
   * reviewer with a new id. Records stored before ids existed get `legacy-<token hash prefix>`.
   */
  id: string;
  name: string;
  /** sha256 of the personal token; the token itself is never stored. */
  tokenHash: string;
  createdAt: string;
}

export interface ReviewerRepo {
  /**
   * Adds a reviewer.
   * @throws ConflictError when the name or the token hash is already taken.
   */
  add(reviewer: Reviewer): Promise<void>;
  list(): Promise<Reviewer[]>;
  remove(name: string): Promise<boolean>;
  findByTokenHash(tokenHash: string): Promise<Reviewer | null>;
}

/**
 * The review policy of a store: settings that belong to the data, not to whoever runs a command,
 * so every process that opens the store applies them.
 */
export interface ReviewPolicy {
  /** Two distinct approvers for High and Critical drafts. */
  twoPerson: boolean;
  /** Who set it (the OS account that ran `reviewers policy`). */
  setBy: string;
  /** When it was set (ISO 8601). */
  at: string;
}

export interface PolicyRepo {
  /** The stored policy, or null when none was ever set (the defaults apply). */
  get(): Promise<ReviewPolicy | null>;
  /**
   * Replaces the stored policy as a whole (last writer wins); readers see the old or the new one.
   * @throws ExtractionError naming the field when the policy is invalid; nothing is stored.
   */
  set(policy: ReviewPolicy): Promise<void>;
}

/** Vendors' correction requests (the corrections queue). */
export interface CorrectionRepo {
  get(id: string): Promise<Correction | null>;
  /** Matching corrections, oldest first (by `createdAt`, then id). */
  list(filter?: { status?: readonly CorrectionStatus[]; listingId?: string }): Promise<Correction[]>;
  /**
   * Saves with compare-and-set, as drafts do: `expectedVersion` null means it must not exist yet;
   * the saved correction has `version` + 1 (or 1 when new).
   * @throws ConflictError when the stored version differs; nothing is written.
   */
  save(correction: Correction, expectedVersion: number | null): Promise<Correction>;
}

/** Counts for `threatdraft status`. */
export interface StoreStats {
  listings: number;
  /** Drafts (every revision) per status. */
  drafts: Record<DraftStatus, number>;
  reviewers: number;
  auditEntries: number;
  /**
   * Line numbers (1-based) of audit log lines that are not a whole entry: a write cut short by a
   * crash or a full disk. Readers skip them; `status` reports them. Always empty for Redis.
   */
  auditTornLines: number[];
}

/**
 * What a rerun needs to skip a listing without reading it: the listing's content hash and profile
 * key its current draft was made from, and that draft's id.
 */
export interface AssessedEntry {
  contentHash: string;
  draftId: string;
  /** The assessor profile key (assessor, version, model, prompt hash), see `profileKey` in src/pipeline/profile.ts. */
  profileKey: string;
}

/** A draft as the review queue and `status` see it: small, kept in an index so no draft file is read. */
export interface DraftSummary {
  id: string;
  listingId: string;
  revision: number;
  version: number;
  status: DraftStatus;
  score: number;
  severity: Draft['score']['severity'];
  /** The recorded score range; null for drafts stored before ranges were. */
  range: { low: number; high: number } | null;
  /** The draft's recorded peak severity, null when none was recorded. */
  peakSeverity: Draft['score']['severity'] | null;
  insufficientEvidence: boolean;
  warnings: number;
  staleText: number;
  /** Review actions in order (action and reviewer only), enough to count current approvals. */
  reviews: Array<{ action: string; reviewer: string }>;
  listingContentHash: string;
  createdAt: string;
  updatedAt: string;
}

/** A listing as the review queue sees it. */
export interface ListingSummary {
  id: string;
  title: string;
  sourceId: string;
  contentHash: string;
  /** The listing's address ('' in rows written before it was recorded). */
  url: string;
  /** Whether the listing carries repository evidence (a recrawl refreshes it). */
  repo: boolean;
}

/**
 * A draft as the review queue counts, filters and sorts it: no title, approvals or range (those come
 * from {@link QueueFacts.rows} for the drafts shown).
 */
export interface DraftFact {
  readonly id: string;
  readonly listingId: string;
  readonly revision: number;
  readonly status: DraftStatus;
  readonly score: number;
  readonly severity: Draft['score']['severity'];
  /** The listing's source id; '' when the listing is not stored. */
  readonly source: string;
  readonly hasWarnings: boolean;
  readonly insufficientEvidence: boolean;
  /** A newer revision than the listing's last published one, made from other listing content (see `changedSincePublished` in src/store/queue-facts.ts). */
  readonly changedSincePublished: boolean;
  readonly updatedAt: string;
}

/**
 * Every draft's queue facts read in place, by position (0 to `length` - 1): what
 * `QueueFacts.drafts` holds, without an object per draft. A store whose facts sit in columns (the
 * file store's index snapshot) offers them, so a page is picked from 100,000 drafts without
 * building 100,000 facts first.
 */
export interface FactColumns {
  readonly length: number;
  id(at: number): string;
  status(at: number): DraftStatus;
  severity(at: number): DraftFact['severity'];
  score(at: number): number;
  source(at: number): string;
  hasWarnings(at: number): boolean;
  insufficientEvidence(at: number): boolean;
  changedSincePublished(at: number): boolean;
  updatedAt(at: number): string;
  /** The whole fact at `at`, equal to the one `drafts` holds. */
  fact(at: number): DraftFact;
}

/** Every draft's queue facts, and a way to read the summaries of the few drafts a page shows. */
export interface QueueFacts {
  /** Every stored draft (each at its stored version), in no particular order. */
  readonly drafts: readonly DraftFact[];
  /** The same drafts by position, where the store keeps them in columns (absent: use `drafts`). */
  readonly columns?: FactColumns;
  /** Stored listings. */
  readonly listings: number;
  /**
   * The summaries of these drafts as the facts describe them, in the same order, and the summaries
   * of their listings (those stored).
   * @throws Error when an id is not among the facts' drafts.
   */
  rows(ids: readonly string[]): Promise<{ drafts: DraftSummary[]; listings: Map<string, ListingSummary> }>;
}

/**
 * Indexes kept beside the records so a run, `status` and the review queue never read every
 * record: read once per run or per command, never one record at a time.
 */
export interface StoreIndex {
  /**
   * Listing id → what its current draft was made from; one read per run, or of only the listings
   * named (a producer deciding one batch of listings at a time).
   */
  assessed(ids?: readonly string[]): Promise<Map<string, AssessedEntry>>;
  /** Records entries after the drafts they name are saved and older revisions superseded. */
  recordAssessed(entries: ReadonlyArray<readonly [string, AssessedEntry]>): Promise<void>;
  /** The summary of every stored draft (each at its stored version), sorted by listing id, then revision. */
  draftSummaries(): Promise<DraftSummary[]>;
  /** The summaries of these listings (all when `ids` is absent); ids not stored are left out. Read-only: do not change the map. */
  listingSummaries(ids?: readonly string[]): Promise<Map<string, ListingSummary>>;
  /**
   * Every stored listing's id and content hash (its newest put), sorted by id: what a run over
   * the whole store needs, read without keeping the listing index in memory for the run.
   */
  listingRefs(): Promise<Array<{ id: string; contentHash: string }>>;
  /**
   * The queue facts of every draft: what counting, filtering and sorting the review queue needs,
   * without every summary (the file store answers from a compacted snapshot plus the rows since).
   */
  queueFacts(): Promise<QueueFacts>;
}

export interface Store {
  readonly kind: 'file' | 'redis' | 'memory';
  readonly index: StoreIndex;
  readonly listings: ListingRepo;
  readonly drafts: DraftRepo;
  readonly audit: AuditLog;
  readonly cache: CacheRepo;
  readonly reviewers: ReviewerRepo;
  readonly policy: PolicyRepo;
  readonly corrections: CorrectionRepo;
  /** Counts of listings, drafts per status, reviewers and audit entries. */
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
