/**
 * What makes an assessment reproducible (pure): the listing's content hash plus the assessor
 * profile (assessor id and version, model, prompt id and hash). Equal keys mean "unchanged": the
 * listing is not assessed again. The key also names the BullMQ job, so a job never runs twice.
 */
import { createHash } from 'node:crypto';
import type { Draft } from '../../schemas/draft.js';
import type { Assessor } from '../assess/assessor.js';

/** The parts of provenance that decide whether an earlier draft still stands. */
export interface AssessorProfile {
  assessor: 'rules' | 'openai';
  assessorVersion: string;
  model: string | null;
  promptId: string | null;
  promptHash: string | null;
}

/** Optional members an assessor may expose so its profile is known before any call. */
interface Describable {
  readonly model?: unknown;
  readonly promptId?: unknown;
  readonly promptHash?: unknown;
  readonly prompt?: unknown;
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * The profile of an assessor: id and version always; model and prompt when the assessor exposes
 * them (`model`, `promptId`/`promptHash` or `prompt: { id, hash }`), else as given in `overrides`.
 */
export function profileOf(assessor: Assessor, overrides: Partial<AssessorProfile> = {}): AssessorProfile {
  const described = assessor as Assessor & Describable;
  const prompt = typeof described.prompt === 'object' && described.prompt !== null ? (described.prompt as Record<string, unknown>) : {};
  return {
    assessor: assessor.id,
    assessorVersion: assessor.version,
    model: stringOrNull(described.model),
    promptId: stringOrNull(described.promptId) ?? stringOrNull(prompt['id']),
    promptHash: stringOrNull(described.promptHash) ?? stringOrNull(prompt['hash']),
    ...overrides,
  };
}

/**
 * True when `draft` was made from this very content by this very assessor profile. The prompt is
 * compared by hash (the hash covers the whole prompt file, its id and version included, and
 * assessors spell the id differently: `assess-listing` vs `assess-listing.v1`); a model matches
 * itself or a dated snapshot of itself (`gpt-4o-mini` ~ `gpt-4o-mini-2024-07-18`), as APIs answer.
 */
export function draftMatches(draft: Pick<Draft, 'provenance'>, contentHash: string, profile: AssessorProfile): boolean {
  const p = draft.provenance;
  return (
    p.listingContentHash === contentHash &&
    p.assessor === profile.assessor &&
    p.assessorVersion === profile.assessorVersion &&
    sameModel(p.model, profile.model) &&
    p.promptHash === profile.promptHash
  );
}

function sameModel(recorded: string | null, wanted: string | null): boolean {
  if (recorded === wanted) return true;
  if (recorded === null || wanted === null) return false;
  return /^-\d{4}-\d{2}-\d{2}$/.test(recorded.slice(wanted.length)) && recorded.startsWith(wanted);
}

/** A stable key for (listing, content, profile): sha256 hex of its parts. */
export function assessKey(listingId: string, contentHash: string, profile: AssessorProfile): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        listingId,
        contentHash,
        profile.assessor,
        profile.assessorVersion,
        profile.model,
        profile.promptId,
        profile.promptHash,
      ]),
    )
    .digest('hex');
}

/**
 * The profile's key in the rerun index (sha256 hex of assessor, version, model and prompt hash):
 * equal keys mean a draft that matched one profile matches the other.
 */
export function profileKey(profile: AssessorProfile): string {
  return createHash('sha256').update(JSON.stringify([profile.assessor, profile.assessorVersion, profile.model, profile.promptHash])).digest('hex');
}
