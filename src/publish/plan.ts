/**
 * What a publication would change on the site (pure): the approved drafts that would go live, as a
 * new agent or an update of its published revision with the fields that changed, and the approved
 * drafts publish would refuse because text in them no longer matches their values.
 */
import type { Draft } from '../../schemas/draft.js';
import type { Severity } from '../../schemas/score.js';
import { changedFields } from './site.js';

/** A revision as the plan names it. */
export interface PlannedRevision {
  id: string;
  revision: number;
  score: number;
  severity: Severity;
}

/** One agent page the publication adds or replaces. */
export interface PlannedChange {
  listingId: string;
  title: string;
  /** `new`: the agent gets its first page; `update`: its published page is replaced. */
  kind: 'new' | 'update';
  before: PlannedRevision | null;
  after: PlannedRevision;
  /** The fields the new revision changed from the published one, as people name them. */
  changes: string[];
  /** A vendor correction is behind this revision. */
  corrected: boolean;
}

export interface PublishPlan {
  changes: PlannedChange[];
  /** Approved drafts publish will hold back, and the texts that must be regenerated or kept first. */
  refused: { id: string; title: string; staleText: string[] }[];
  /** Agents on the site now, and after this publication. */
  agentsNow: number;
  agentsAfter: number;
}

/** Whether publish must hold an approved draft back: words written for other values would publish a contradiction. */
export function refusedForStaleText(draft: Pick<Draft, 'staleText'>): boolean {
  return draft.staleText.length > 0;
}

const revisionOf = (draft: Draft): PlannedRevision => ({ id: draft.id, revision: draft.revision, score: draft.score.score, severity: draft.score.severity });

/**
 * The plan of publishing `approved` over the `published` revisions (the newest per listing wins,
 * as publish does); `titles` names listings (their id otherwise).
 */
export function planPublication(approved: readonly Draft[], published: readonly Draft[], titles: ReadonlyMap<string, string>): PublishPlan {
  const live = new Map<string, Draft>();
  for (const draft of published) if ((live.get(draft.listingId)?.revision ?? 0) < draft.revision) live.set(draft.listingId, draft);
  const title = (listingId: string): string => titles.get(listingId) ?? listingId;
  const refused: PublishPlan['refused'] = [];
  const newest = new Map<string, Draft>();
  for (const draft of approved) {
    if (refusedForStaleText(draft)) refused.push({ id: draft.id, title: title(draft.listingId), staleText: [...draft.staleText] });
    else if ((newest.get(draft.listingId)?.revision ?? 0) < draft.revision && draft.revision > (live.get(draft.listingId)?.revision ?? 0)) newest.set(draft.listingId, draft);
  }
  const changes = [...newest.values()]
    .map((draft): PlannedChange => {
      const before = live.get(draft.listingId);
      return {
        listingId: draft.listingId,
        title: title(draft.listingId),
        kind: before === undefined ? 'new' : 'update',
        before: before === undefined ? null : revisionOf(before),
        after: revisionOf(draft),
        changes: changedFields(before, draft),
        corrected: draft.correction !== undefined,
      };
    })
    .sort((a, b) => b.after.score - a.after.score || (a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : 0));
  const after = new Set([...live.keys(), ...newest.keys()]);
  return { changes, refused: refused.sort((a, b) => (a.id < b.id ? -1 : 1)), agentsNow: live.size, agentsAfter: after.size };
}
