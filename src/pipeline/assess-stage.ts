/**
 * The assess stage: one stored listing in, its current draft out. Idempotent: when the current
 * draft was made from the same content by the same assessor profile, nothing is assessed; else a
 * new revision is saved with compare-and-set (so two workers racing on one listing make one draft)
 * and older revisions still awaiting review become `superseded`. Published revisions stay
 * published until a newer one is approved and published.
 */
import { draftId, type Checks, type Draft } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import type { AssessedListing } from '../assess/assess.js';
import { assessListingWithUsage } from '../assess/assess-with-usage.js';
import type { Assessor, ModelSlot } from '../assess/assessor.js';
import type { AssessThreads } from './assess-threads.js';
import { DEFINITION_PATHS } from '../crawl/listing-history.js';
import { ConflictError, PermanentError } from '../errors.js';
import type { Store } from '../store/store.js';
import { assessInputSchema, type AssessInput, type AssessOutput } from './contracts.js';
import { draftMatches, profileOf, type AssessorProfile } from './profile.js';

/** Statuses that mean "waiting for a reviewer": a newer revision replaces them. */
export const SUPERSEDABLE: readonly Draft['status'][] = ['draft', 'changes-requested'];

/** What the assess stage needs. */
export interface AssessStageDeps {
  store: Store;
  assessor: Assessor;
  /** The assessor's profile; derived from the assessor when absent. */
  profile?: AssessorProfile;
  /** @default () => new Date() */
  now?: () => Date;
  signal?: AbortSignal | undefined;
  /** Which attempt this is (1-based), reported back in the output. @default 1 */
  attempt?: number;
  /** Where the assessor's model calls wait their turn (the executor's model concurrency). */
  modelSlot?: ModelSlot | undefined;
  /** Epoch ms by which the listing must be done (its time budget across attempts). */
  deadline?: number | undefined;
  /** Worker threads that assess on other cores (see assess-threads.ts); in process when absent or when they cannot. */
  threads?: AssessThreads | undefined;
}

const MAX_CAS_ROUNDS = 5;

/**
 * Runs the assess stage for one listing.
 * @throws PermanentError (E_LISTING_MISSING) when the listing is not stored; the assessor's
 *   TransientError or PermanentError as thrown.
 */
export async function assessStage(input: AssessInput, deps: AssessStageDeps): Promise<AssessOutput> {
  const parsed = assessInputSchema.parse(input);
  const { store, assessor } = deps;
  const profile = deps.profile ?? profileOf(assessor);
  const now = deps.now ?? (() => new Date());
  const attempts = deps.attempt ?? 1;

  const listing = await store.listings.get(parsed.listingId);
  if (listing === null) {
    throw new PermanentError('E_LISTING_MISSING', `Listing ${parsed.listingId} is not in the store`, { id: parsed.listingId });
  }

  let current = await store.drafts.current(listing.id);
  if (current !== null && draftMatches(current, listing.contentHash, profile)) {
    await supersedeOlder(store, current, now);
    return unchangedOutput(current, attempts);
  }

  const result = await assessOnce(listing, deps, now);
  const checks = await withChangeFlags(store, listing, result.checks);
  for (let round = 0; round < MAX_CAS_ROUNDS; round += 1) {
    const revision = (current?.revision ?? 0) + 1;
    const at = now().toISOString();
    const draft: Draft = {
      id: draftId(listing.id, revision),
      listingId: listing.id,
      revision,
      version: 1,
      status: 'draft',
      assessment: result.assessment,
      score: result.score,
      checks,
      provenance: result.provenance,
      reviews: [],
      // Texts that already disagree with the score's band are stale from the start.
      staleText: result.checks.warnings.filter((warning) => warning.code === 'band-wording').flatMap((warning) => (warning.where === null ? [] : [warning.where])),
      reviewerText: [],
      createdAt: at,
      updatedAt: at,
    };
    try {
      // The draft and its audit entry are committed together (one batch in the file store).
      const saved = await store.drafts.save(draft, null, {
        audit: {
          at,
          actor: 'pipeline',
          action: 'draft.create',
          subject: draft.id,
          detail: { listingId: listing.id, contentHash: listing.contentHash, assessor: profile.assessor, revision },
        },
      });
      await supersedeOlder(store, saved, now);
      return {
        listingId: listing.id,
        outcome: 'assessed',
        draftId: saved.id,
        revision,
        tokensIn: saved.provenance.tokensIn,
        tokensOut: saved.provenance.tokensOut,
        costUsd: saved.provenance.costUsd,
        attempts,
        contentHash: saved.provenance.listingContentHash,
      };
    } catch (thrown) {
      if (!(thrown instanceof ConflictError)) throw thrown;
      // Another worker saved this revision first; if it is the same assessment, it stands.
      current = await store.drafts.current(listing.id);
      if (current !== null && draftMatches(current, listing.contentHash, profile)) {
        await supersedeOlder(store, current, now);
        return unchangedOutput(current, attempts);
      }
    }
  }
  throw new ConflictError('E_CONFLICT', `Draft for ${listing.id} kept changing under the pipeline`, { id: listing.id });
}

/** The listing assessed, checked and scored: in a worker thread when the deps hold threads that can, else here. */
async function assessOnce(listing: Listing, deps: AssessStageDeps, now: () => Date): Promise<AssessedListing> {
  const threaded = deps.threads === undefined ? null : await deps.threads.assess(listing);
  if (threaded !== null) return { listing, ...threaded };
  return assessListingWithUsage(listing, {
    assessor: deps.assessor,
    now,
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    call: {
      ...(deps.modelSlot === undefined ? {} : { modelSlot: deps.modelSlot }),
      ...(deps.deadline === undefined ? {} : { deadline: deps.deadline }),
    },
  });
}

/**
 * The checks with a `possible-rug-pull` warning added when the crawl flagged this version of the
 * listing (an MCP server whose packages, remotes or tools changed while its version did not).
 */
async function withChangeFlags(store: Store, listing: Listing, checks: Checks): Promise<Checks> {
  if (listing.document?.type !== 'mcp-server') return checks;
  const newest = (await store.listings.versions(listing.id)).at(-1);
  if (newest?.contentHash !== listing.contentHash || !newest.flags.includes('possible-rug-pull')) return checks;
  const changed = newest.changes.filter((change) => DEFINITION_PATHS.test(change.path)).map((change) => change.path);
  return {
    ...checks,
    warnings: [
      ...checks.warnings,
      {
        code: 'possible-rug-pull',
        message: `Possible rug pull: ${changed.slice(0, 4).join(', ')}${changed.length > 4 ? ' and more' : ''} changed while the server's version stayed ${String(listing.document.data['version'] ?? '?')}`,
        where: 'listing.document',
      },
    ],
  };
}

function unchangedOutput(current: Draft, attempts: number): AssessOutput {
  return {
    listingId: current.listingId,
    outcome: 'unchanged',
    draftId: current.id,
    revision: current.revision,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    attempts,
    contentHash: current.provenance.listingContentHash,
  };
}

/**
 * Marks older revisions still awaiting review as superseded. Idempotent, so a job re-run after a
 * crash between "save new" and "supersede old" repairs the state.
 */
export async function supersedeOlder(store: Store, newest: Draft, now: () => Date): Promise<number> {
  // Revision 1 has nothing older: skip the read (it is most of a first run's store traffic).
  if (newest.revision <= 1) return 0;
  const older = await store.drafts.list({ listingId: newest.listingId, status: SUPERSEDABLE });
  let changed = 0;
  for (const draft of older) {
    if (draft.revision >= newest.revision) continue;
    const at = now().toISOString();
    try {
      await store.drafts.save({ ...draft, status: 'superseded', updatedAt: at }, draft.version, {
        audit: { at, actor: 'pipeline', action: 'draft.supersede', subject: draft.id, detail: { by: newest.id } },
      });
      changed += 1;
    } catch (thrown) {
      // A reviewer acted on it meanwhile: their decision stands.
      if (!(thrown instanceof ConflictError)) throw thrown;
    }
  }
  return changed;
}

/** True when the listing needs no assessment for this profile (its current draft matches). */
export async function isUnchanged(store: Store, listing: Pick<Listing, 'id' | 'contentHash'>, profile: AssessorProfile): Promise<boolean> {
  const current = await store.drafts.current(listing.id);
  return current !== null && draftMatches(current, listing.contentHash, profile);
}
