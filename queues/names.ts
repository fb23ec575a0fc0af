/**
 * Queue names, key prefixes, job ids and connection options shared by the producer (`run`) and
 * `threatdraft worker`. One BullMQ queue per distributed stage: `crawl` (discover + fetch +
 * extract for a source) and `assess` (one listing at one content hash -> a draft).
 */
import { createHash } from 'node:crypto';
import type { RedisOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import type { AssessorProfile } from '../src/pipeline/profile.js';
import { assessKey } from '../src/pipeline/profile.js';
import { clusterOptions } from '../src/store/redis-client.js';
import { isClusterTarget, type RedisTarget } from '../src/store/redis-target.js';

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

/** A BullMQ `connection`: options for a single Redis, or a `Cluster` client the caller closes. */
export type BullConnection = RedisOptions | Cluster;

/** Overrides of the defaults in {@link bullConnection} (one-shot readers fail instead of waiting). */
export interface BullConnectionOverrides {
  maxRetriesPerRequest?: number | null;
  retryStrategy?: (times: number) => number | null;
}

/**
 * The BullMQ `connection` for a target: commands wait through reconnects instead of failing
 * (BullMQ requires `maxRetriesPerRequest: null` for workers), and reconnects go on forever,
 * backing off exponentially so an outage costs a few attempts a second at most, not dozens.
 *
 * A URL gives ioredis options (each Queue or Worker opens and closes its own connection, as
 * before). A cluster target gives one `Cluster` client: BullMQ uses it for queues and duplicates
 * it for blocking connections, but never closes a client it was given, so the caller closes it
 * with {@link closeBullConnection} after the queues and workers that use it.
 */
export function bullConnection(target: RedisTarget, overrides: BullConnectionOverrides = {}): BullConnection {
  const retryStrategy = overrides.retryStrategy ?? reconnectDelayMs;
  const maxRetriesPerRequest = overrides.maxRetriesPerRequest === undefined ? null : overrides.maxRetriesPerRequest;
  if (isClusterTarget(target)) {
    return new Cluster(
      target.nodes.map((node) => ({ host: node.host, port: node.port })),
      // ioredis types redisOptions.replyMapping as required-if-present under exactOptionalPropertyTypes.
      clusterOptions(target.url, { maxRetriesPerRequest, retryStrategy }) as ConstructorParameters<typeof Cluster>[1] & object,
    );
  }
  const url = target;
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest,
    enableReadyCheck: true,
    retryStrategy,
  };
}

/** Closes a {@link bullConnection} the caller owns (a cluster client); options need nothing. */
export async function closeBullConnection(connection: BullConnection): Promise<void> {
  if (!(connection instanceof Cluster)) return;
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
