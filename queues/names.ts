/**
 * Queue names, key prefixes, job ids and connection options shared by the producer (`run`) and
 * `threatdraft worker`. One BullMQ queue per distributed stage: `crawl` (discover + fetch +
 * extract for a source) and `assess` (one listing at one content hash -> a draft).
 */
import { createHash } from 'node:crypto';
import type { RedisOptions } from 'bullmq';
import type { AssessorProfile } from '../src/pipeline/profile.js';
import { assessKey } from '../src/pipeline/profile.js';

export const CRAWL_QUEUE = 'crawl';
export const ASSESS_QUEUE = 'assess';
/** Batch API runs: one job owns one run's batch (resumable from the store if its worker dies). */
export const BATCH_QUEUE = 'batch';

// One definition of namespace -> prefixes, shared with the store opener.
export { DEFAULT_NAMESPACE, prefixesFor, type Prefixes } from '../src/store/open-store.js';

/**
 * The assess job id: derived from listing id, content hash and assessor profile, so the same
 * work is enqueued once however many runs ask for it (BullMQ ids may not contain ':').
 */
export function assessJobId(listingId: string, contentHash: string, profile: AssessorProfile): string {
  return `a-${assessKey(listingId, contentHash, profile)}`;
}

/** The batch job id: derived from the profile and the listings, so the same batch run is enqueued once. */
export function batchJobId(refs: readonly { id: string; contentHash: string }[], profile: AssessorProfile): string {
  const hash = createHash('sha256').update(assessKey('batch', '', profile));
  for (const ref of refs) hash.update('\0').update(ref.id).update('@').update(ref.contentHash);
  return `b-${hash.digest('hex')}`;
}

/** The crawl job id: one per source config content and run, so a rerun crawls again. */
export function crawlJobId(sourceJson: string, runId: string): string {
  return `c-${createHash('sha256').update(sourceJson).update('\0').update(runId).digest('hex')}`;
}

/** Reconnect delay after `times` failed attempts: doubling from 50 ms, at most 2 s. */
export function reconnectDelayMs(times: number): number {
  return Math.min(50 * 2 ** Math.max(0, Math.min(times, 16) - 1), 2000);
}

/**
 * ioredis options for BullMQ connections: commands wait through reconnects instead of failing
 * (BullMQ requires `maxRetriesPerRequest: null` for workers), and reconnects go on forever,
 * backing off exponentially so an outage costs a few attempts a second at most, not dozens.
 */
export function bullConnection(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: reconnectDelayMs,
  };
}
