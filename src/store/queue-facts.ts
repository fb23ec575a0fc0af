/**
 * Queue facts (see `QueueFacts` in store.ts), pure: built from draft and listing summaries by the
 * memory and Redis stores and by the file store's full load, so every store derives them the same way.
 */
import type { DraftFact, DraftSummary, ListingSummary, QueueFacts } from './store.js';

/** What `changedSincePublished` needs of each of a listing's drafts. */
export interface RevisionFacts {
  revision: number;
  status: string;
  listingContentHash: string;
}

/**
 * The listing's last published revision (the highest revision whose status is published), or
 * undefined when none is.
 */
export function lastPublished<T extends Pick<RevisionFacts, 'revision' | 'status'>>(drafts: Iterable<T>): T | undefined {
  let found: T | undefined;
  for (const draft of drafts) if (draft.status === 'published' && (found === undefined || draft.revision > found.revision)) found = draft;
  return found;
}

/**
 * Whether `draft` assesses a listing that changed since its last published revision: a newer
 * revision made from other listing content than `published` was (the review queue's "changed").
 */
export function changedSincePublished(draft: Pick<RevisionFacts, 'revision' | 'listingContentHash'>, published: Pick<RevisionFacts, 'revision' | 'listingContentHash'> | undefined): boolean {
  return published !== undefined && draft.revision > published.revision && draft.listingContentHash !== published.listingContentHash;
}

/** The fact of one draft, given its listing (null when not stored) and whether it changed since published. */
export function draftFact(summary: DraftSummary, listing: Pick<ListingSummary, 'sourceId'> | null | undefined, changed: boolean): DraftFact {
  return {
    id: summary.id,
    listingId: summary.listingId,
    revision: summary.revision,
    status: summary.status,
    score: summary.score,
    severity: summary.severity,
    source: listing?.sourceId ?? '',
    hasWarnings: summary.warnings > 0,
    insufficientEvidence: summary.insufficientEvidence,
    changedSincePublished: changed,
    updatedAt: summary.updatedAt,
  };
}

/** Queue facts over summaries already read (the memory and Redis stores): `rows` answers from them. */
export function factsFromSummaries(summaries: readonly DraftSummary[], listings: ReadonlyMap<string, ListingSummary>): QueueFacts {
  const byListing = new Map<string, DraftSummary[]>();
  for (const summary of summaries) {
    const list = byListing.get(summary.listingId);
    if (list === undefined) byListing.set(summary.listingId, [summary]);
    else list.push(summary);
  }
  const drafts: DraftFact[] = [];
  const byId = new Map<string, DraftSummary>();
  for (const [listingId, list] of byListing) {
    const published = lastPublished(list);
    const listing = listings.get(listingId);
    for (const summary of list) {
      byId.set(summary.id, summary);
      drafts.push(draftFact(summary, listing, changedSincePublished(summary, published)));
    }
  }
  return {
    drafts,
    listings: listings.size,
    rows: async (ids) => rowsWithListings(ids, byId, listings, 'No queue facts for draft'),
  };
}

/**
 * The summaries of drafts `ids` (in that order) and of their listings, from maps of both.
 * @throws Error `${missing} <id>` for an id the map lacks (facts and rows out of step).
 */
export function rowsWithListings(
  ids: readonly string[],
  drafts: ReadonlyMap<string, DraftSummary>,
  listings: ReadonlyMap<string, ListingSummary>,
  missing: string,
): { drafts: DraftSummary[]; listings: Map<string, ListingSummary> } {
  const found = ids.map((id) => {
    const summary = drafts.get(id);
    if (summary === undefined) throw new Error(`${missing} ${id}`);
    return summary;
  });
  const named = new Map<string, ListingSummary>();
  for (const summary of found) {
    const listing = listings.get(summary.listingId);
    if (listing !== undefined) named.set(listing.id, listing);
  }
  return { drafts: found, listings: named };
}
