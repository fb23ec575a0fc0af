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

/** The default namespace: store keys under `threatdraft:`, queue keys under `threatdraft:q:`. */
export const DEFAULT_NAMESPACE = 'threatdraft';

/** Key prefixes derived from one namespace. */
export interface Prefixes {
  /** Prefix of the Redis store's keys. */
  store: string;
  /** BullMQ `prefix` option (BullMQ adds `:<queue>:`). */
  queue: string;
}

/** Store and queue prefixes for a namespace (pure). */
export function prefixesFor(namespace: string = DEFAULT_NAMESPACE): Prefixes {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(namespace)) {
    throw new RangeError(`Expected a namespace of letters, digits, '.', '_' or '-', got ${JSON.stringify(namespace)}`);
  }
  return { store: `${namespace}:`, queue: `${namespace}:q` };
}

/**
 * The assess job id: derived from listing id, content hash and assessor profile, so the same
 * work is enqueued once however many runs ask for it (BullMQ ids may not contain ':').
 */
export function assessJobId(listingId: string, contentHash: string, profile: AssessorProfile): string {
  return `a-${assessKey(listingId, contentHash, profile)}`;
}

/** The crawl job id: one per source config content and run, so a rerun crawls again. */
export function crawlJobId(sourceJson: string, runId: string): string {
  return `c-${createHash('sha256').update(sourceJson).update('\0').update(runId).digest('hex')}`;
}

/**
 * ioredis options for BullMQ connections: commands wait through reconnects instead of failing
 * (BullMQ requires `maxRetriesPerRequest: null` for workers), and reconnects go on forever.
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
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
}
