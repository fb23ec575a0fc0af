/**
 * The review service: every reviewer action (edit, approve, reject, request changes) with its
 * rules (states, compare-and-set, the two-person rule) and its audit entry. The web UI, the JSON
 * API and the `drafts` CLI all call this one module, so they behave the same. The two-person rule
 * is the store's policy (read afresh for every decision, so a change by another process applies at
 * once) or this process's flag, which can only make it stricter.
 */
import { z } from 'zod';
import type { Draft, ReviewAction } from '../../schemas/draft.js';
import type { Listing, ListingChange, ListingFlag } from '../../schemas/listing.js';
import { changesBetween } from '../crawl/listing-history.js';
import { SEVERITIES, type Score, type Severity } from '../../schemas/score.js';
import { ConflictError, ExtractionError, InputError } from '../errors.js';
import { parseDraftId } from '../store/common.js';
import type { AuditEntry, DraftSummary, Reviewer, ReviewPolicy, Store } from '../store/store.js';
import { diffDrafts, type DiffEntry } from './diff.js';
import { parseOrFieldError, previewEdit, editRequestSchema, type EditPatch } from './edit.js';
import { bulkRefusal, currentApprovals, peakOf, queueQuerySchema, selectFacts, toQueueItem, toQueueItemFromSummary, type QueueCounts, type QueueItem, type QueueQuery } from './queue.js';
import { reconcileEdit, regenerateStale, type Regenerator } from './text-state.js';
import { generateReviewerId, generateToken, hashToken } from './tokens.js';
import type { Session } from './sessions.js';
import { regenerateTexts } from '../assess/rules/regenerate.js';
import { planPublication, type PublishPlan } from '../publish/plan.js';

/** A draft or reviewer that does not exist (HTTP 404, CLI exit 2). */
export class NotFoundError extends InputError {}

/** Where an action came from, recorded in the audit log. */
export type Channel = 'web' | 'api' | 'cli';

export interface ReviewServiceOptions {
  store: Store;
  /**
   * Requires two distinct approvers for High and Critical drafts in this process even when the
   * store's policy does not (`--two-person`); it can only add to the policy, never lift it.
   * @default false
   */
  twoPerson?: boolean;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** Whether the two-person rule is in force for decisions made now, and where it comes from. */
export interface TwoPersonRule {
  /** The rule applies: the store's policy or this process's flag turns it on. */
  inForce: boolean;
  /** This process was started with `--two-person` (or THREATDRAFT_TWO_PERSON=1). */
  flag: boolean;
  /** The store's policy; null when none was ever set (off). */
  policy: ReviewPolicy | null;
}

/** The subject of the policy's audit entries. */
export const POLICY_SUBJECT = 'policy:two-person';

/** Everything the draft page and `drafts show` display. */
export interface DraftView {
  draft: Draft;
  listing: Listing | null;
  /** The last published (or, failing that, superseded) revision of the same listing. */
  published: Draft | null;
  diff: DiffEntry[];
  /**
   * What changed in the listing between the revision `published` assessed and this draft's: null
   * when the listing is the same, or when either version is no longer kept (`listingVersionsKept` false).
   */
  listingChanges: ListingChange[] | null;
  /** False when the listing changed but the versions to compare are no longer kept. */
  listingVersionsKept: boolean;
  /** Flags the crawl put on this draft's listing version (`possible-rug-pull`). */
  listingFlags: ListingFlag[];
  approvals: string[];
  requiredApprovals: number;
  /** The two-person rule as it stood when the view was read. */
  twoPerson: TwoPersonRule;
  audit: AuditEntry[];
}

/** The result of an approval: the saved draft and how many approvals it has and needs. */
export interface ApproveResult {
  draft: Draft;
  approvals: string[];
  requiredApprovals: number;
  /** Whether the two-person rule was in force for this decision. */
  twoPerson: boolean;
}

const reviewerNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, { message: 'expected letters, digits, ".", "_", "@" or "-"' });
const commentSchema = z.string().max(2000);
const EDITABLE: ReadonlySet<Draft['status']> = new Set(['draft', 'changes-requested']);

export class ReviewService {
  readonly store: Store;
  /** This process's `--two-person` flag alone; {@link twoPersonRule} is what decisions apply. */
  readonly twoPersonFlag: boolean;
  #clock: () => Date;

  constructor(options: ReviewServiceOptions) {
    this.store = options.store;
    this.twoPersonFlag = options.twoPerson ?? false;
    this.#clock = options.clock ?? (() => new Date());
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  /** The service's clock (what every audit entry and decision is stamped with). */
  now(): Date {
    return this.#clock();
  }

  /** The reviewer whose personal token this is, or null. */
  async authenticate(token: string): Promise<Reviewer | null> {
    if (token.length < 8 || token.length > 512) return null;
    return this.store.reviewers.findByTokenHash(hashToken(token));
  }

  /**
   * The reviewer a browser session belongs to, or null when that session has ended: the reviewer
   * was removed (a reviewer added again under the same name has a new id and token), or their
   * token was replaced. Read from the store on every request, so a removal by another process
   * (`reviewers remove`) ends the session at the next request.
   */
  async sessionReviewer(session: Pick<Session, 'reviewerId' | 'tokenHash'>): Promise<Reviewer | null> {
    const reviewer = await this.store.reviewers.findByTokenHash(session.tokenHash);
    return reviewer !== null && reviewer.id === session.reviewerId ? reviewer : null;
  }

  /**
   * Adds a reviewer and returns the personal token, which is never stored or shown again.
   * @throws InputError for a bad name or a name already taken (bad input: the CLI exits 2).
   */
  async addReviewer(name: string, actor = 'cli'): Promise<{ name: string; token: string }> {
    const checked = parseOrFieldError(reviewerNameSchema, name, 'name');
    const taken = (): InputError =>
      new InputError('E_REVIEWER_EXISTS', `Reviewer ${JSON.stringify(checked)} already exists; pick another name, or remove it first (\`reviewers remove ${checked}\`)`, { name: checked });
    if ((await this.store.reviewers.list()).some((reviewer) => reviewer.name === checked)) throw taken();
    const token = generateToken();
    const at = this.#now();
    const id = generateReviewerId();
    try {
      await this.store.reviewers.add({ id, name: checked, tokenHash: hashToken(token), createdAt: at });
    } catch (error) {
      // Another process added the same name in between: the store's compare-and-set refused it.
      if (error instanceof ConflictError && error.code === 'E_REVIEWER_EXISTS') throw taken();
      throw error;
    }
    await this.store.audit.append({ at, actor, action: 'reviewer-add', subject: `reviewer:${checked}`, detail: { reviewerId: id } });
    return { name: checked, token };
  }

  /** Reviewers by name, without their token hashes. */
  async listReviewers(): Promise<Array<{ id: string; name: string; createdAt: string }>> {
    return (await this.store.reviewers.list()).map(({ id, name, createdAt }) => ({ id, name, createdAt }));
  }

  /**
   * Removes a reviewer; their browser sessions end at their next request (see {@link sessionReviewer}).
   * @throws NotFoundError when there is no such reviewer.
   */
  async removeReviewer(name: string, actor = 'cli'): Promise<void> {
    const reviewer = (await this.store.reviewers.list()).find((candidate) => candidate.name === name);
    if (reviewer === undefined || !(await this.store.reviewers.remove(name))) {
      throw new NotFoundError('E_NOT_FOUND', `No reviewer named ${JSON.stringify(name)}`, { name });
    }
    await this.store.audit.append({ at: this.#now(), actor, action: 'reviewer-remove', subject: `reviewer:${name}`, detail: { reviewerId: reviewer.id } });
  }

  /**
   * The two-person rule in force now: the store's policy, read afresh (one small file or one Redis
   * GET), or this process's flag.
   * @throws ExtractionError when the stored policy is corrupt: decisions stop rather than guess.
   */
  async twoPersonRule(): Promise<TwoPersonRule> {
    const policy = await this.store.policy.get();
    return { inForce: this.twoPersonFlag || policy?.twoPerson === true, flag: this.twoPersonFlag, policy };
  }

  /**
   * Sets the store's two-person policy and records it in the audit log (`action: 'policy'`).
   * A corrupt stored policy is replaced, and the audit entry says so.
   * @throws ExtractionError when `setBy` is not a valid name.
   */
  async setTwoPersonPolicy(twoPerson: boolean, setBy: string): Promise<{ policy: ReviewPolicy; before: boolean | null }> {
    let before: boolean | null = null;
    let replacedCorrupt: string | undefined;
    try {
      before = (await this.store.policy.get())?.twoPerson ?? null;
    } catch (error) {
      if (!(error instanceof ExtractionError)) throw error;
      replacedCorrupt = error.message;
    }
    const policy: ReviewPolicy = { twoPerson, setBy, at: this.#now() };
    await this.store.policy.set(policy);
    await this.store.audit.append({
      at: policy.at,
      actor: setBy,
      action: 'policy',
      subject: POLICY_SUBJECT,
      detail: { twoPerson, before, ...(replacedCorrupt === undefined ? {} : { replacedCorrupt }) },
    });
    return { policy, before };
  }

  /** Records a sign-in or sign-out, with the reviewer's immutable id. */
  async recordSession(reviewer: Pick<Reviewer, 'id' | 'name'>, action: 'sign-in' | 'sign-out'): Promise<void> {
    await this.store.audit.append({ at: this.#now(), actor: reviewer.name, action, subject: `reviewer:${reviewer.name}`, detail: { reviewerId: reviewer.id } });
  }

  /**
   * The queue rows matching `query`, with counts over all drafts and the known sources; `page`
   * builds only the rows from `offset` (default 0), at most `limit` of them (default all).
   */
  async queue(query: QueueQuery, page: { offset?: number | undefined; limit?: number | undefined } = {}): Promise<{ items: QueueItem[]; counts: QueueCounts; sources: string[] }> {
    // Counted, filtered and sorted on the store's queue facts; only the rows shown are read in full.
    const facts = await this.store.index.queueFacts();
    const start = page.offset ?? 0;
    const end = page.limit === undefined ? undefined : start + page.limit;
    const selected = selectFacts(facts.columns ?? facts.drafts, query, end);
    const shown = selected.facts.slice(start, end);
    const rows = await facts.rows(shown.map((fact) => fact.id));
    const items: QueueItem[] = [];
    for (const [index, fact] of shown.entries()) {
      const summary = rows.drafts[index] as DraftSummary;
      const listing = rows.listings.get(summary.listingId) ?? null;
      // Drafts stored before score ranges were recorded get theirs from the draft, as before.
      const legacy = summary.range === null ? await this.store.drafts.get(summary.id) : null;
      const item = legacy === null ? toQueueItemFromSummary(summary, listing) : toQueueItem(legacy, listing);
      items.push({ ...item, changedSincePublished: fact.changedSincePublished });
    }
    return { items, counts: selected.counts, sources: selected.sources };
  }

  /**
   * The drafts before and after `id` in the review queue (drafts awaiting review, highest score
   * first), for next/previous navigation; null at either end or when `id` is not awaiting review.
   */
  async neighbours(id: string): Promise<{ previous: string | null; next: string | null }> {
    // The order alone: no row is read.
    const facts = await this.store.index.queueFacts();
    const open = selectFacts(facts.columns ?? facts.drafts, queueQuerySchema.parse({})).facts.filter((fact) => fact.status === 'draft' || fact.status === 'changes-requested');
    const at = open.findIndex((fact) => fact.id === id);
    if (at < 0) return { previous: null, next: open[0]?.id ?? null };
    return { previous: open[at - 1]?.id ?? null, next: open[at + 1]?.id ?? null };
  }

  /**
   * Approves many drafts at once, each at the version the reviewer saw, when each may be approved in
   * bulk ({@link bulkRefusal}: Low at every revision, no warning, no stale text, no pending approval, enough evidence);
   * the others are skipped with the reason, and nothing about them changes. Each approval is audited
   * like a single one, with `bulk: true`.
   */
  async bulkApprove(
    entries: readonly { id: string; version: number }[],
    actor: string,
    options: { comment?: string | null },
    channel: Channel,
  ): Promise<{ approved: string[]; skipped: { id: string; reason: string }[] }> {
    const approved: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (const entry of entries) {
      const draft = parseDraftId(entry.id) === null ? null : await this.store.drafts.get(entry.id);
      if (draft === null) {
        skipped.push({ id: entry.id, reason: 'no such draft' });
        continue;
      }
      const refusal = bulkRefusal(toQueueItem(draft, null));
      if (refusal !== null) {
        skipped.push({ id: entry.id, reason: refusal });
        continue;
      }
      try {
        const result = await this.approve(entry.id, actor, { comment: options.comment ?? null, version: entry.version }, channel, { bulk: true });
        if (result.draft.status === 'approved') approved.push(entry.id);
        else skipped.push({ id: entry.id, reason: 'it needs a second approver' });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        skipped.push({ id: entry.id, reason: error.message });
      }
    }
    return { approved, skipped };
  }

  /** What publishing now would change on the site: new and updated agent pages, and approved drafts it would refuse. */
  async publishPlan(): Promise<PublishPlan> {
    const [approved, published] = await Promise.all([this.store.drafts.list({ status: ['approved'] }), this.store.drafts.list({ status: ['published'] })]);
    const listingIds = [...new Set([...approved, ...published].map((draft) => draft.listingId))];
    const titles = new Map<string, string>();
    (await this.store.listings.getMany(listingIds)).forEach((listing) => listing !== null && titles.set(listing.id, listing.title));
    return planPublication(approved, published, titles);
  }

  /** @throws NotFoundError when the id is malformed or unknown. */
  async get(id: string): Promise<Draft> {
    const draft = parseDraftId(id) === null ? null : await this.store.drafts.get(id);
    if (draft === null) throw new NotFoundError('E_NOT_FOUND', `No draft ${JSON.stringify(id)}`, { id });
    return draft;
  }

  /** The draft with its listing, last published revision, diff, approvals and audit trail. */
  async show(id: string): Promise<DraftView> {
    const draft = await this.get(id);
    const [listing, revisions, audit, twoPerson, versions] = await Promise.all([
      this.store.listings.get(draft.listingId),
      this.store.drafts.list({ listingId: draft.listingId, status: ['published', 'superseded'] }),
      this.store.audit.list({ subject: draft.id }),
      this.twoPersonRule(),
      this.store.listings.versions(draft.listingId),
    ]);
    const others = revisions.filter((revision) => revision.id !== draft.id);
    const published =
      others.filter((revision) => revision.status === 'published').pop() ?? others.filter((r) => r.revision < draft.revision).pop() ?? null;
    const from = published?.provenance.listingContentHash;
    const to = draft.provenance.listingContentHash;
    const listingChanges = from === undefined || from === to ? null : changesBetween(versions, from, to);
    return {
      draft,
      listing,
      published,
      diff: published === null ? [] : diffDrafts(published, draft),
      listingChanges,
      listingVersionsKept: from === undefined || from === to || listingChanges !== null,
      listingFlags: [...versions].reverse().find((version) => version.contentHash === to)?.flags ?? [],
      approvals: currentApprovals(draft),
      requiredApprovals: requiredApprovals(draft, twoPerson.inForce),
      twoPerson,
      audit,
    };
  }

  /** Approvals this draft needs now, under the rule in force (see {@link requiredApprovals}). */
  async requiredApprovals(draft: Pick<Draft, 'score' | 'status' | 'reviews' | 'peakSeverity'>): Promise<number> {
    return requiredApprovals(draft, (await this.twoPersonRule()).inForce);
  }

  /** The score an edit would give, without saving. @throws InputError naming the field. */
  async preview(id: string, patch: EditPatch): Promise<Score> {
    return previewEdit(await this.get(id), patch).score;
  }

  /**
   * Applies a reviewer's edit at `version`, rescoring on the server.
   * @throws InputError naming the bad field; ConflictError when the draft changed since `version`
   * or is no longer editable.
   */
  async edit(id: string, body: unknown, actor: string, channel: Channel): Promise<Draft> {
    const request = parseOrFieldError(editRequestSchema, body);
    const { version, comment, ...patch } = request;
    const draft = await this.get(id);
    this.#expectVersion(draft, version);
    this.#expectStatus(draft, EDITABLE, 'edited');
    const edited = previewEdit(draft, patch);
    // Words derived from the values follow them: the rules assessor's are rewritten, a model's or a
    // reviewer's are marked stale for a reviewer to regenerate or confirm.
    const regenerate = draft.provenance.assessor === 'rules' ? await this.#regenerator(draft) : null;
    const text = reconcileEdit(draft, edited.assessment, edited.score, regenerate);
    const { score } = edited;
    const at = this.#now();
    const changed = diffDrafts(draft, { assessment: text.assessment, score }).map((entry) => entry.path);
    // The edit clears every approval so far (currentApprovals restarts at an edit), and lowering
    // the score never lowers the approvals needed: the peak severity stays with the draft.
    const cleared = currentApprovals(draft);
    const peak = higherSeverity(peakSeverity(draft), score.severity);
    const saved = await this.#save(
      {
        ...draft,
        assessment: text.assessment,
        score,
        peakSeverity: peak,
        status: 'draft',
        reviews: [...draft.reviews, review(actor, 'edit', comment ?? null, at)],
        staleText: text.staleText,
        reviewerText: text.reviewerText,
        updatedAt: at,
      },
      version,
      { at, actor, action: 'edit', channel },
      {
        comment: comment ?? null,
        fields: changed,
        scoreBefore: draft.score.score,
        scoreAfter: score.score,
        regenerated: text.regenerated,
        stale: text.staled,
        severityBefore: draft.score.severity,
        severityAfter: score.severity,
        peakSeverity: peak,
        approvalsCleared: cleared,
      },
    );
    return saved;
  }

  /**
   * Rewrites texts from the draft's current values with the rules assessor's words (the stale ones
   * by default); they are no longer stale or hand-written. Clears earlier approvals, like an edit.
   * @throws InputError for a path the draft has no text at, or when the listing is not in the store.
   */
  async regenerate(id: string, body: unknown, actor: string, channel: Channel): Promise<Draft> {
    const { version, paths } = parseOrFieldError(textActionSchema, body ?? {});
    const draft = await this.get(id);
    this.#expectVersion(draft, version);
    this.#expectStatus(draft, EDITABLE, 'regenerated');
    const wanted = paths ?? draft.staleText;
    const regenerate = await this.#regenerator(draft);
    if (regenerate === null) {
      throw new InputError('E_NOT_FOUND', `Listing ${draft.listingId} of draft ${id} is not in the store, so its texts cannot be regenerated`, { id });
    }
    const text = regenerateStale(draft, wanted, regenerate);
    const unknown = wanted.filter((path) => !text.regenerated.includes(path));
    if (unknown.length > 0) throw new InputError('E_INPUT', `Invalid \`paths\`: no text to regenerate at ${unknown.join(', ')}`, { field: 'paths' });
    const at = this.#now();
    const saved = await this.#save(
      {
        ...draft,
        assessment: text.assessment,
        status: 'draft',
        reviews: [...draft.reviews, review(actor, 'regenerate', null, at)],
        staleText: text.staleText,
        reviewerText: text.reviewerText,
        updatedAt: at,
      },
      draft.version,
      { at, actor, action: 'regenerate', channel },
      { paths: text.regenerated },
    );
    return saved;
  }

  /** Keeps stale texts as written (all of them by default): a reviewer vouches for them, so publish accepts them. */
  async confirmText(id: string, body: unknown, actor: string, channel: Channel): Promise<Draft> {
    const { version, paths } = parseOrFieldError(textActionSchema, body ?? {});
    const draft = await this.get(id);
    this.#expectVersion(draft, version);
    this.#expectStatus(draft, new Set(['draft', 'changes-requested', 'approved']), 'confirmed');
    const wanted = paths ?? draft.staleText;
    const unknown = wanted.filter((path) => !draft.staleText.includes(path));
    if (unknown.length > 0) throw new InputError('E_INPUT', `Invalid \`paths\`: not stale: ${unknown.join(', ')}`, { field: 'paths' });
    const at = this.#now();
    const saved = await this.#save(
      {
        ...draft,
        reviews: [...draft.reviews, review(actor, 'confirm-text', wanted.join(', ') || null, at)],
        staleText: draft.staleText.filter((path) => !wanted.includes(path)),
        updatedAt: at,
      },
      draft.version,
      { at, actor, action: 'confirm-text', channel },
      { paths: wanted },
    );
    return saved;
  }

  async #regenerator(draft: Draft): Promise<Regenerator | null> {
    return rulesRegenerator(this.store, draft);
  }

  /**
   * Approves; under the two-person rule a High or Critical draft stays `draft` with one approval
   * recorded until a second, distinct reviewer approves.
   * @throws ConflictError on a stale version, a wrong state, or a repeat approval by the same reviewer.
   */
  async approve(id: string, actor: string, options: ActionOptions, channel: Channel, detail: Record<string, unknown> = {}): Promise<ApproveResult> {
    const { comment, version } = parseAction(options, false);
    const draft = await this.get(id);
    this.#expectVersion(draft, version);
    this.#expectStatus(draft, EDITABLE, 'approved');
    const approvals = currentApprovals(draft);
    const twoPerson = (await this.twoPersonRule()).inForce;
    const required = requiredApprovals(draft, twoPerson);
    if (approvals.includes(actor)) {
      throw new ConflictError(
        'E_SECOND_APPROVER',
        `Draft ${id} already has your approval; a draft that was ${peakSeverity(draft)} needs a second approval by a different reviewer`,
        { id, reviewer: actor },
      );
    }
    const at = this.#now();
    const nextApprovals = [...approvals, actor];
    const status = nextApprovals.length >= required ? 'approved' : 'draft';
    const saved = await this.#save(
      { ...draft, status, reviews: [...draft.reviews, review(actor, 'approve', comment, at)], updatedAt: at },
      draft.version,
      { at, actor, action: 'approve', channel },
      {
        comment,
        approvals: nextApprovals.length,
        required,
        status,
        twoPerson,
        peakSeverity: peakSeverity(draft),
        ...detail,
      },
    );
    return { draft: saved, approvals: nextApprovals, requiredApprovals: required, twoPerson };
  }

  /** Rejects with a comment. @throws InputError without a comment; ConflictError on a stale version or wrong state. */
  async reject(id: string, actor: string, options: ActionOptions, channel: Channel): Promise<Draft> {
    return this.#close(id, actor, options, channel, 'reject', 'rejected', new Set(['draft', 'changes-requested', 'approved']));
  }

  /** Sends the draft back for changes, with a comment. */
  async requestChanges(id: string, actor: string, options: ActionOptions, channel: Channel): Promise<Draft> {
    return this.#close(id, actor, options, channel, 'request-changes', 'changes-requested', new Set(['draft', 'approved']));
  }

  /** The audit log, optionally only about one subject. */
  async auditLog(subject?: string): Promise<AuditEntry[]> {
    return this.store.audit.list(subject === undefined ? {} : { subject });
  }

  async #close(
    id: string,
    actor: string,
    options: ActionOptions,
    channel: Channel,
    action: 'reject' | 'request-changes',
    status: 'rejected' | 'changes-requested',
    from: ReadonlySet<Draft['status']>,
  ): Promise<Draft> {
    const { comment, version } = parseAction(options, true);
    const draft = await this.get(id);
    this.#expectVersion(draft, version);
    this.#expectStatus(draft, from, action === 'reject' ? 'rejected' : 'sent back for changes');
    const at = this.#now();
    const saved = await this.#save(
      { ...draft, status, reviews: [...draft.reviews, review(actor, action, comment, at)], updatedAt: at },
      draft.version,
      { at, actor, action, channel },
      { comment },
    );
    return saved;
  }

  #expectVersion(draft: Draft, version: number | undefined): void {
    if (version !== undefined && version !== draft.version) {
      throw new ConflictError(
        'E_CONFLICT',
        `Draft ${draft.id} was changed by someone else (you had version ${version}, it is now version ${draft.version}); review the new version and apply your change again`,
        { id: draft.id, expectedVersion: version, storedVersion: draft.version },
      );
    }
  }

  #expectStatus(draft: Draft, allowed: ReadonlySet<Draft['status']>, verb: string): void {
    if (!allowed.has(draft.status)) {
      throw new ConflictError('E_STATE', `Draft ${draft.id} is ${draft.status} and cannot be ${verb}`, { id: draft.id, status: draft.status });
    }
  }

  /** Saves a reviewer's change with compare-and-set, its audit entry committed with it. */
  async #save(
    next: Draft,
    expectedVersion: number,
    by: { at: string; actor: string; action: string; channel: Channel },
    detail: Record<string, unknown>,
  ): Promise<Draft> {
    const { at, actor, action, channel } = by;
    const audit = { at, actor, action, subject: next.id, detail: { ...detail, version: expectedVersion + 1, via: channel } };
    return this.store.drafts.save(next, expectedVersion, { audit });
  }
}

/** The rules assessor's words for this draft's listing, or null when the listing is not in the store. */
export async function rulesRegenerator(store: Store, draft: Draft): Promise<Regenerator | null> {
  const listing = await store.listings.get(draft.listingId);
  if (listing === null) return null;
  return (assessment, score, paths) => regenerateTexts(listing, assessment, score, paths);
}

/**
 * Approvals a draft needs: two distinct reviewers for a draft that was High or Critical at any
 * revision since it was drafted ({@link peakSeverity}), while the two-person rule is in force, so
 * one reviewer cannot edit a Critical draft down to Medium and approve it alone. The rule also
 * sticks to a draft once it holds a pending approval: a draft still in `draft` with an approval
 * recorded got it under the rule (one approval alone would have approved it), so nobody completes
 * it alone after the rule is lifted or from a process without it.
 */
export function requiredApprovals(draft: Pick<Draft, 'score' | 'status' | 'reviews' | 'peakSeverity'>, twoPerson: boolean): number {
  const peak = peakSeverity(draft);
  if (twoPerson && (peak === 'High' || peak === 'Critical')) return 2;
  return draft.status === 'draft' && currentApprovals(draft).length > 0 ? 2 : 1;
}

/** The highest severity the draft had since it was drafted: its recorded peak or its current one. */
export const peakSeverity: (draft: Pick<Draft, 'score' | 'peakSeverity'>) => Severity = peakOf;

function higherSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** Options of approve, reject and request-changes. */
export interface ActionOptions {
  comment?: string | null | undefined;
  /** The version the reviewer saw; a different stored version is a conflict. */
  version?: number | undefined;
}

/** The body of regenerate and confirm-text: the version seen and, optionally, which texts (default: every stale one). */
const textActionSchema = z
  .object({ version: z.number().int().min(1).optional(), paths: z.array(z.string().min(1).max(80)).max(40).optional() })
  .strict();

const actionSchema = z.object({
  comment: z.union([commentSchema, z.null()]).optional(),
  version: z.number().int().min(1).optional(),
});

function parseAction(options: unknown, needComment: boolean): { comment: string | null; version: number | undefined } {
  const parsed = parseOrFieldError(actionSchema, options ?? {});
  const comment = parsed.comment?.trim() ?? '';
  if (needComment && comment === '') {
    throw new InputError('E_INPUT', 'Invalid `comment`: a comment is required', { field: 'comment' });
  }
  return { comment: comment === '' ? null : comment, version: parsed.version };
}

function review(reviewer: string, action: ReviewAction['action'], comment: string | null, at: string): ReviewAction {
  return { reviewer, action, comment, at };
}
