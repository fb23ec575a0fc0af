/** The review queue, pure: filter, sort and count draft summaries. */
import { z } from 'zod';
import { DRAFT_STATUSES, type Draft, type DraftStatus } from '../../schemas/draft.js';
import { SEVERITIES, type Severity } from '../../schemas/score.js';
import { scoreWithRange } from '../assess/uncertainty.js';
import { draftSummary } from '../store/common.js';
import type { DraftFact, DraftSummary, FactColumns } from '../store/store.js';

/** One row of the queue. */
export interface QueueItem {
  id: string;
  listingId: string;
  revision: number;
  version: number;
  title: string;
  source: string;
  status: DraftStatus;
  score: number;
  /** The score's plausible low and high. */
  range: { low: number; high: number };
  severity: Severity;
  /** The highest band the draft had at any revision since it was drafted (what the two-person rule reads). */
  peakSeverity: Severity;
  /** The listing pins too few factors for a confident draft. */
  insufficientEvidence: boolean;
  warnings: number;
  /** Texts written for other values than the draft's (publish refuses the draft until they are resolved). */
  staleText: number;
  approvals: string[];
  /** The listing changed since its last published revision, and this draft assesses the change. */
  changedSincePublished: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Queue query parameters; empty strings count as unset (HTML forms send them). */
export const queueQuerySchema = z.object({
  status: z.preprocess((v) => (v === '' ? undefined : v), z.enum(DRAFT_STATUSES).optional()),
  severity: z.preprocess((v) => (v === '' ? undefined : v), z.enum(SEVERITIES).optional()),
  source: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(200).optional()),
  warnings: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['yes', 'no']).optional()),
  /** `insufficient`: only drafts whose listing pins too few factors; `sufficient`: the others. */
  evidence: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['insufficient', 'sufficient']).optional()),
  /** `yes`: only drafts of listings that changed since their last published revision. */
  changed: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['yes', 'no']).optional()),
  sort: z.preprocess((v) => (v === '' || v === undefined ? 'severity' : v), z.enum(['severity', 'date'])),
});
export type QueueQuery = z.infer<typeof queueQuerySchema>;

/** Counts over the whole queue (before filtering), so the filters show what they would find. */
export interface QueueCounts {
  total: number;
  status: Record<DraftStatus, number>;
  severity: Record<Severity, number>;
  withWarnings: number;
  insufficientEvidence: number;
  changedSincePublished: number;
}

/** Reviewers who approved since the last edit or change request: the approvals that still count. */
export function currentApprovals(draft: { reviews: ReadonlyArray<{ action: string; reviewer: string }> }): string[] {
  const approvers: string[] = [];
  for (const review of draft.reviews) {
    if (review.action === 'edit' || review.action === 'regenerate' || review.action === 'request-changes' || review.action === 'reject') approvers.length = 0;
    else if (review.action === 'approve' && !approvers.includes(review.reviewer)) approvers.push(review.reviewer);
  }
  return approvers;
}

/**
 * Whether `draft` assesses a listing that changed since its last published revision: a newer
 * revision made from other listing content than `published` was.
 */
export function changedSincePublished(draft: Pick<Draft, 'revision' | 'provenance'>, published: Pick<Draft, 'revision' | 'provenance'> | undefined): boolean {
  return published !== undefined && draft.revision > published.revision && draft.provenance.listingContentHash !== published.provenance.listingContentHash;
}

/** The queue row for a draft, titled from its listing when known, given its listing's last published revision. */
export function toQueueItem(draft: Draft, listing: { title: string; sourceId: string } | null, published?: Pick<Draft, 'revision' | 'provenance'>): QueueItem {
  // Drafts stored before ranges were recorded get theirs from the same pure module as the site.
  const range = draft.score.range ?? scoreWithRange(draft.assessment, draft.score.formula).range ?? { low: draft.score.score, high: draft.score.score };
  return toQueueItemFromSummary(
    { ...draftSummary(draft), range },
    listing,
    published === undefined ? undefined : { revision: published.revision, listingContentHash: published.provenance.listingContentHash },
  );
}

/**
 * The queue row for a draft's index summary (no draft file read); `range` is null only for drafts
 * stored before ranges were recorded, whose rows the caller builds from the draft itself.
 */
export function toQueueItemFromSummary(
  summary: DraftSummary,
  listing: { title: string; sourceId: string } | null,
  published?: { revision: number; listingContentHash: string },
): QueueItem {
  const recorded = summary.peakSeverity ?? summary.severity;
  return {
    id: summary.id,
    listingId: summary.listingId,
    revision: summary.revision,
    version: summary.version,
    title: listing?.title ?? summary.listingId,
    source: listing?.sourceId ?? '',
    status: summary.status,
    score: summary.score,
    range: summary.range ?? { low: summary.score, high: summary.score },
    severity: summary.severity,
    peakSeverity: SEVERITIES.indexOf(recorded) >= SEVERITIES.indexOf(summary.severity) ? recorded : summary.severity,
    insufficientEvidence: summary.insufficientEvidence,
    warnings: summary.warnings,
    staleText: summary.staleText,
    approvals: currentApprovals(summary),
    changedSincePublished: published !== undefined && summary.revision > published.revision && summary.listingContentHash !== published.listingContentHash,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
  };
}

/** The highest severity the draft had since it was drafted: its recorded peak or its current one. */
export function peakOf(draft: Pick<Draft, 'score' | 'peakSeverity'>): Severity {
  const recorded = draft.peakSeverity ?? draft.score.severity;
  return SEVERITIES.indexOf(recorded) >= SEVERITIES.indexOf(draft.score.severity) ? recorded : draft.score.severity;
}

/** Filters and sorts queue rows; ties break on id so the order is stable. */
export function selectQueue(items: readonly QueueItem[], query: QueueQuery): { items: QueueItem[]; counts: QueueCounts } {
  const counts: QueueCounts = {
    total: items.length,
    status: Object.fromEntries(DRAFT_STATUSES.map((s) => [s, 0])) as Record<DraftStatus, number>,
    severity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
    withWarnings: 0,
    insufficientEvidence: 0,
    changedSincePublished: 0,
  };
  for (const item of items) {
    counts.status[item.status] += 1;
    counts.severity[item.severity] += 1;
    if (item.warnings > 0) counts.withWarnings += 1;
    if (item.insufficientEvidence) counts.insufficientEvidence += 1;
    if (item.changedSincePublished) counts.changedSincePublished += 1;
  }
  const selected = items.filter(
    (item) =>
      (query.status === undefined || item.status === query.status) &&
      (query.severity === undefined || item.severity === query.severity) &&
      (query.source === undefined || item.source === query.source) &&
      (query.warnings === undefined || (query.warnings === 'yes') === item.warnings > 0) &&
      (query.evidence === undefined || (query.evidence === 'insufficient') === item.insufficientEvidence) &&
      (query.changed === undefined || (query.changed === 'yes') === item.changedSincePublished),
  );
  const byId = (a: QueueItem, b: QueueItem): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  selected.sort((a, b) =>
    query.sort === 'date'
      ? (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0) || byId(a, b)
      : b.score - a.score || byId(a, b),
  );
  return { items: selected, counts };
}

/** An array of facts read by position, as a store's {@link FactColumns} are. */
export function factColumnsOf(facts: readonly DraftFact[]): FactColumns {
  const at = (index: number): DraftFact => facts[index] as DraftFact;
  return {
    length: facts.length,
    id: (index) => at(index).id,
    status: (index) => at(index).status,
    severity: (index) => at(index).severity,
    score: (index) => at(index).score,
    source: (index) => at(index).source,
    hasWarnings: (index) => at(index).hasWarnings,
    insufficientEvidence: (index) => at(index).insufficientEvidence,
    changedSincePublished: (index) => at(index).changedSincePublished,
    updatedAt: (index) => at(index).updatedAt,
    fact: at,
  };
}

/**
 * {@link selectQueue} over the store's queue facts: the same counts, the same drafts in the same
 * order, and the known sources (of every draft, before filtering), without building every row.
 * With `take`, only the first `take` drafts of that order (a page needs no full sort). Given the
 * store's {@link FactColumns}, only the drafts selected are built as facts.
 */
export function selectFacts(facts: readonly DraftFact[] | FactColumns, query: QueueQuery, take?: number): { facts: DraftFact[]; counts: QueueCounts; sources: string[] } {
  const view = isFactArray(facts) ? factColumnsOf(facts) : facts;
  const counts: QueueCounts = {
    total: view.length,
    status: Object.fromEntries(DRAFT_STATUSES.map((s) => [s, 0])) as Record<DraftStatus, number>,
    severity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
    withWarnings: 0,
    insufficientEvidence: 0,
    changedSincePublished: 0,
  };
  const sources = new Set<string>();
  const selected: number[] = [];
  for (let at = 0; at < view.length; at += 1) {
    const status = view.status(at);
    const severity = view.severity(at);
    const source = view.source(at);
    const hasWarnings = view.hasWarnings(at);
    const insufficientEvidence = view.insufficientEvidence(at);
    const changedSincePublished = view.changedSincePublished(at);
    counts.status[status] += 1;
    counts.severity[severity] += 1;
    if (hasWarnings) counts.withWarnings += 1;
    if (insufficientEvidence) counts.insufficientEvidence += 1;
    if (changedSincePublished) counts.changedSincePublished += 1;
    if (source !== '') sources.add(source);
    if (
      (query.status === undefined || status === query.status) &&
      (query.severity === undefined || severity === query.severity) &&
      (query.source === undefined || source === query.source) &&
      (query.warnings === undefined || (query.warnings === 'yes') === hasWarnings) &&
      (query.evidence === undefined || (query.evidence === 'insufficient') === insufficientEvidence) &&
      (query.changed === undefined || (query.changed === 'yes') === changedSincePublished)
    ) {
      selected.push(at);
    }
  }
  const byId = (a: number, b: number): number => {
    const left = view.id(a);
    const right = view.id(b);
    return left < right ? -1 : left > right ? 1 : 0;
  };
  const order = (a: number, b: number): number => {
    if (query.sort !== 'date') return view.score(b) - view.score(a) || byId(a, b);
    const left = view.updatedAt(a);
    const right = view.updatedAt(b);
    return (left < right ? 1 : left > right ? -1 : 0) || byId(a, b);
  };
  const ordered = take === undefined || take >= selected.length ? selected.sort(order) : firstInOrder(selected, take, order);
  return { facts: ordered.map((at) => view.fact(at)), counts, sources: [...sources].sort() };
}

function isFactArray(facts: readonly DraftFact[] | FactColumns): facts is readonly DraftFact[] {
  return Array.isArray(facts);
}

/**
 * The first `take` items of `items` by `order` (a total order), as sorting all and slicing would
 * give: one pass keeping the best `take` in order; most items lose to the last kept at one comparison.
 */
function firstInOrder<T>(items: readonly T[], take: number, order: (a: T, b: T) => number): T[] {
  const kept: T[] = [];
  if (take <= 0) return kept;
  for (const item of items) {
    if (kept.length === take && order(item, kept[take - 1] as T) >= 0) continue;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (order(kept[middle] as T, item) <= 0) low = middle + 1;
      else high = middle;
    }
    kept.splice(low, 0, item);
    if (kept.length > take) kept.pop();
  }
  return kept;
}

/**
 * Why a row cannot be approved in bulk, or null when it can. Bulk approval is for drafts a reviewer
 * can judge from the queue: awaiting review, Low (or None) at every revision since they were drafted
 * (a draft edited down from High or Critical keeps what its peak needs), no warning, no stale text,
 * no pending approval (which would make it need a second, distinct approver), and enough evidence:
 * a Low drawn from a listing that pins too few factors says little about the agent, so a reviewer
 * reads it on its own page.
 */
export function bulkRefusal(
  item: Pick<QueueItem, 'status' | 'peakSeverity' | 'warnings' | 'staleText' | 'approvals' | 'insufficientEvidence'>,
): string | null {
  if (item.status !== 'draft' && item.status !== 'changes-requested') return `it is ${item.status}, not awaiting review`;
  if (item.peakSeverity !== 'Low' && item.peakSeverity !== 'None') return `it was ${item.peakSeverity}; only drafts that were never above Low are approved in bulk`;
  if (item.warnings > 0) return 'it has warnings to read first';
  if (item.staleText > 0) return 'it has text that no longer matches its values';
  if (item.approvals.length > 0) return 'it holds an approval already, so a second reviewer must approve it';
  if (item.insufficientEvidence) return 'its listing pins too few factors for a Low to mean much; read it on its page';
  return null;
}
