/**
 * Where Redis is, as data (no ioredis here, so the CLI can reason about it before connecting).
 *
 * A plain `redis://` URL string is a single Redis, or a cluster seed still to be detected; a
 * {@link RedisClusterTarget} is a Redis Cluster reached through its seed nodes. On a cluster every
 * multi-key operation must stay within one hash slot, so key prefixes carry a hash tag
 * (`{threatdraft}:`): {@link clusterKeyPrefix} and {@link hasHashTag} say how.
 */
import type { RedisNode } from '../../schemas/redis-nodes.js';

export { parseRedisNodes, type RedisNode } from '../../schemas/redis-nodes.js';

/** A Redis Cluster: credentials and TLS come from `url` (its host is one seed), `nodes` are the seeds. */
export interface RedisClusterTarget {
  readonly kind: 'cluster';
  readonly url: string;
  readonly nodes: readonly RedisNode[];
}

/** A Redis URL (single Redis, or not yet detected) or a resolved cluster. */
export type RedisTarget = string | RedisClusterTarget;

/** True for a resolved cluster target. */
export function isClusterTarget(target: RedisTarget): target is RedisClusterTarget {
  return typeof target !== 'string';
}

/** The URL of a target (for a cluster, the URL its credentials and first seed came from). */
export function targetUrl(target: RedisTarget): string {
  return typeof target === 'string' ? target : target.url;
}

/** The host and port a `redis://` URL names (port 6379 when left out). */
export function urlNode(url: string): RedisNode {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port === '' ? 6379 : Number(parsed.port) };
}

/** Database number in a Redis URL's path (`redis://host/2` → 2), 0 when none. */
export function urlDatabase(url: string): number {
  const path = new URL(url).pathname;
  const db = path.length > 1 ? Number(path.slice(1)) : 0;
  return Number.isInteger(db) && db > 0 ? db : 0;
}

/** A cluster target seeded by the URL's node followed by `extraNodes` (duplicates dropped). */
export function clusterTarget(url: string, extraNodes: readonly RedisNode[] = []): RedisClusterTarget {
  const nodes: RedisNode[] = [];
  const seen = new Set<string>();
  for (const node of [urlNode(url), ...extraNodes]) {
    const key = `${node.host}:${node.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes.push(node);
  }
  return { kind: 'cluster', url, nodes };
}

/**
 * The target the environment names: with `REDIS_CLUSTER_NODES` set, a cluster seeded by REDIS_URL's
 * node and those nodes; else REDIS_URL as is (detected on connect). Undefined without REDIS_URL.
 */
export function redisTargetFrom(url: string | undefined, clusterNodes: readonly RedisNode[] | undefined): RedisTarget | undefined {
  if (url === undefined || url.trim() === '') return undefined;
  return clusterNodes === undefined || clusterNodes.length === 0 ? url : clusterTarget(url, clusterNodes);
}

/**
 * True when Redis Cluster hashes `key` by a tag: the text between its first `{` and the next `}`,
 * when that text is not empty (the Redis Cluster spec's rule).
 */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  if (open < 0) return false;
  const close = key.indexOf('}', open + 1);
  return close > open + 1;
}

/**
 * The prefix to use on a cluster: unchanged when it already has a hash tag, else its text before
 * the trailing ':' in braces (`threatdraft:` → `{threatdraft}:`, `ns:q` → `{ns:q}`), so every key
 * under it lands in one slot.
 * @throws RangeError for an empty prefix.
 */
export function clusterKeyPrefix(prefix: string): string {
  if (hasHashTag(prefix)) return prefix;
  const body = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
  if (body === '') throw new RangeError('Expected a non-empty Redis key prefix to tag for a cluster');
  return prefix.endsWith(':') ? `{${body}}:` : `{${body}}`;
}
