/**
 * The in-memory store: the contract without persistence, for tests and `assess`.
 * Values are deep-copied in and out so callers never share mutable state with the store.
 */
import type { Correction } from '../../schemas/correction.js';
import type { Draft } from '../../schemas/draft.js';
import type { Listing, ListingVersion } from '../../schemas/listing.js';
import {
  appendVersion,
  checkVersion,
  cacheKeyHash,
  checkAuditEntry,
  checkCorrection,
  checkDraft,
  compareCorrections,
  matchesCorrection,
  checkListing,
  checkNamespace,
  checkPolicy,
  checkReviewer,
  compareDraftIds,
  draftSummary,
  emptyStatusCounts,
  listingSummary,
  parseDraftId,
  matchesFilter,
  nextVersion,
  pageBounds,
  reviewerTaken,
} from './common.js';
import { factsFromSummaries } from './queue-facts.js';
import type {
  AssessedEntry,
  AuditEntry,
  AuditLog,
  CacheRepo,
  CorrectionRepo,
  DraftFilter,
  DraftRepo,
  ListingRepo,
  PolicyRepo,
  Reviewer,
  ReviewerRepo,
  ReviewPolicy,
  Store,
  StoreIndex,
  StoreStats,
} from './store.js';

const copy = <T>(value: T): T => structuredClone(value);

/** A Store kept in process memory; `close()` forgets nothing, so a test can inspect after closing. */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly listings: ListingRepo;
  readonly drafts: DraftRepo;
  readonly audit: AuditLog;
  readonly cache: CacheRepo;
  readonly reviewers: ReviewerRepo;
  readonly policy: PolicyRepo;
  readonly corrections: CorrectionRepo;
  readonly index: StoreIndex;

  #assessed = new Map<string, AssessedEntry>();
  #corrections = new Map<string, Correction>();
  #listings = new Map<string, Listing>();
  #versions = new Map<string, ListingVersion[]>();
  #drafts = new Map<string, Draft>();
  #audit: AuditEntry[] = [];
  #cache = new Map<string, string>();
  #reviewers = new Map<string, Reviewer>();
  #policy: ReviewPolicy | null = null;

  constructor() {
    const listings = this.#listings;
    const versions = this.#versions;
    const drafts = this.#drafts;
    const audit = this.#audit;
    const cache = this.#cache;
    const reviewers = this.#reviewers;

    this.listings = {
      async put(listing) {
        const checked = checkListing(listing);
        const previous = listings.get(checked.id);
        listings.set(checked.id, copy(checked));
        return { previousHash: previous?.contentHash ?? null };
      },
      async get(id) {
        const found = listings.get(id);
        return found === undefined ? null : copy(found);
      },
      async getMany(ids) {
        return ids.map((id) => {
          const found = listings.get(id);
          return found === undefined ? null : copy(found);
        });
      },
      async ids() {
        return [...listings.keys()].sort();
      },
      async addVersion(id, version) {
        const next = appendVersion(versions.get(id) ?? [], checkVersion(id, version));
        if (next === null) return false;
        versions.set(id, copy(next));
        return true;
      },
      async versions(id) {
        return copy(versions.get(id) ?? []);
      },
    };

    this.drafts = {
      async get(id) {
        const found = drafts.get(id);
        return found === undefined ? null : copy(found);
      },
      async current(listingId) {
        let newest: Draft | undefined;
        for (const draft of drafts.values()) {
          if (draft.listingId === listingId && (newest === undefined || draft.revision > newest.revision)) newest = draft;
        }
        return newest === undefined ? null : copy(newest);
      },
      async currentMany(listingIds) {
        const newest = new Map<string, Draft>();
        for (const draft of drafts.values()) {
          const seen = newest.get(draft.listingId);
          if (seen === undefined || draft.revision > seen.revision) newest.set(draft.listingId, draft);
        }
        return listingIds.map((listingId) => {
          const found = newest.get(listingId);
          return found === undefined ? null : copy(found);
        });
      },
      async list(filter: DraftFilter = {}) {
        const { start, end } = pageBounds(filter);
        return [...drafts.values()]
          .filter((draft) => matchesFilter(draft, filter))
          .sort((a, b) => compareDraftIds(a.id, b.id))
          .slice(start, end)
          .map(copy);
      },
      async save(draft, expectedVersion, options = {}) {
        const checked = checkDraft(draft);
        const entry = options.audit === undefined ? undefined : copy(checkAuditEntry(options.audit, 'memory audit log'));
        const version = nextVersion(checked.id, drafts.get(checked.id)?.version ?? null, expectedVersion);
        const saved = { ...copy(checked), version };
        drafts.set(saved.id, saved);
        if (entry !== undefined) audit.push(entry);
        return copy(saved);
      },
    };

    this.audit = {
      async append(entry) {
        audit.push(copy(checkAuditEntry(entry, 'memory audit log')));
      },
      async list(filter = {}) {
        return audit.filter((entry) => filter.subject === undefined || entry.subject === filter.subject).map(copy);
      },
    };

    const cacheKey = (namespace: string, key: string): string => `${checkNamespace(namespace)}\u0000${cacheKeyHash(key)}`;
    this.cache = {
      async get<T = unknown>(namespace: string, key: string): Promise<T | null> {
        const found = cache.get(cacheKey(namespace, key));
        return found === undefined ? null : (JSON.parse(found) as T);
      },
      async set(namespace, key, value) {
        // Stored as JSON text so the memory store accepts and returns exactly what the others do.
        const text = JSON.stringify(value);
        if (text === undefined) throw new TypeError(`Cache value for ${namespace} is not JSON-serialisable`);
        cache.set(cacheKey(namespace, key), text);
      },
      async delete(namespace, key) {
        cache.delete(cacheKey(namespace, key));
      },
    };

    this.reviewers = {
      async add(reviewer) {
        const checked = checkReviewer(reviewer, 'memory reviewers');
        if (reviewers.has(checked.name)) throw reviewerTaken(checked.name, 'name');
        for (const other of reviewers.values()) {
          if (other.tokenHash === checked.tokenHash) throw reviewerTaken(checked.name, 'tokenHash');
        }
        reviewers.set(checked.name, copy(checked));
      },
      async list() {
        return [...reviewers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
      },
      async remove(name) {
        return reviewers.delete(name);
      },
      async findByTokenHash(tokenHash) {
        for (const reviewer of reviewers.values()) if (reviewer.tokenHash === tokenHash) return copy(reviewer);
        return null;
      },
    };

    this.policy = {
      get: async () => (this.#policy === null ? null : copy(this.#policy)),
      set: async (policy) => {
        this.#policy = copy(checkPolicy(policy, 'memory policy'));
      },
    };

    const assessed = this.#assessed;
    this.index = {
      async assessed(ids) {
        // An entry whose draft is no longer the listing's newest revision no longer stands.
        const newest = new Map<string, number>();
        for (const draft of drafts.values()) newest.set(draft.listingId, Math.max(newest.get(draft.listingId) ?? 0, draft.revision));
        const valid = new Map<string, AssessedEntry>();
        const wanted = ids === undefined ? null : new Set(ids);
        for (const [id, entry] of assessed) {
          if (wanted !== null && !wanted.has(id)) continue;
          const parsed = parseDraftId(entry.draftId);
          if (parsed !== null && parsed.listingId === id && newest.get(id) === parsed.revision) valid.set(id, copy(entry));
        }
        return valid;
      },
      async recordAssessed(entries) {
        for (const [id, entry] of entries) assessed.set(id, copy(entry));
      },
      async draftSummaries() {
        return [...drafts.values()].sort((a, b) => compareDraftIds(a.id, b.id)).map(draftSummary);
      },
      async listingRefs() {
        return [...listings.keys()].sort().map((id) => ({ id, contentHash: (listings.get(id) as Listing).contentHash }));
      },
      async listingSummaries(ids) {
        const found = new Map<string, ReturnType<typeof listingSummary>>();
        for (const id of ids ?? [...listings.keys()]) {
          const listing = listings.get(id);
          if (listing !== undefined) found.set(id, listingSummary(listing));
        }
        return found;
      },
      async queueFacts() {
        const summaries = [...drafts.values()].map(draftSummary);
        const listingMap = new Map([...listings.values()].map((listing) => [listing.id, listingSummary(listing)] as const));
        return factsFromSummaries(summaries, listingMap);
      },
    };

    const corrections = this.#corrections;
    this.corrections = {
      async get(id) {
        const found = corrections.get(id);
        return found === undefined ? null : copy(found);
      },
      async list(filter = {}) {
        return [...corrections.values()].filter((correction) => matchesCorrection(correction, filter)).sort(compareCorrections).map(copy);
      },
      async save(correction, expectedVersion) {
        const checked = checkCorrection(correction);
        const version = nextVersion(checked.id, corrections.get(checked.id)?.version ?? null, expectedVersion, 'Correction');
        const saved = { ...copy(checked), version };
        corrections.set(saved.id, saved);
        return copy(saved);
      },
    };
  }

  async stats(): Promise<StoreStats> {
    const counts = emptyStatusCounts();
    for (const draft of this.#drafts.values()) counts[draft.status] += 1;
    return { listings: this.#listings.size, drafts: counts, reviewers: this.#reviewers.size, auditEntries: this.#audit.length, auditTornLines: [] };
  }

  async close(): Promise<void> {}
}

/** Creates an empty in-memory store. */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
