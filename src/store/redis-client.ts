/**
 * ioredis clients for a {@link RedisTarget}: a `Redis` for a single server, a `Cluster` for a Redis
 * Cluster, and the one check that tells them apart (`INFO cluster` on the seed node answers
 * `cluster_enabled:1` on a cluster node). The Redis store and the BullMQ connections both use it.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError, TransientError, toError } from '../errors.js';
import { clusterTarget, isClusterTarget, targetUrl, urlDatabase, type RedisTarget } from './redis-target.js';
import { safeRedisUrl } from './redis-url.js';

/** A client of either kind; both take the same commands, scripts and pipelines. */
export type RedisClient = Redis | Cluster;

/** Connection settings shared by both kinds of client. */
export interface RedisClientOptions {
  /** Retries of one command through reconnects before it fails (`null`: forever, as BullMQ needs). */
  maxRetriesPerRequest?: number | null;
  /** One connection attempt gives up after this long. */
  connectTimeoutMs?: number;
  /** Delay before reconnect attempt `times`, or null to stop (for a cluster: reconnecting the cluster). */
  retryStrategy?: (times: number) => number | null | undefined;
  /** Connect on the first command instead of at once. @default false */
  lazyConnect?: boolean;
  /** Queue commands while disconnected. @default true */
  enableOfflineQueue?: boolean;
}

/** The URL's credentials and TLS as ioredis options (no host, port or db). */
function credentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  return {
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * ioredis `Cluster` options for a cluster target: credentials and TLS per node from its URL.
 * @throws ConfigError when the URL names a database other than 0 (a cluster has only database 0).
 */
export function clusterOptions(url: string, options: RedisClientOptions = {}): ClusterOptions & { redisOptions: NonNullable<ClusterOptions['redisOptions']> } {
  if (urlDatabase(url) !== 0) {
    throw new ConfigError('E_CONFIG', `A Redis Cluster has only database 0, but the Redis URL ${safeRedisUrl(url)} names database ${urlDatabase(url)}`, {
      redis: safeRedisUrl(url),
    });
  }
  return {
    redisOptions: {
      ...credentials(url),
      ...(options.maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest: options.maxRetriesPerRequest }),
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeout: options.connectTimeoutMs }),
    },
    ...(options.retryStrategy === undefined ? {} : { clusterRetryStrategy: (times: number) => options.retryStrategy?.(times) ?? null }),
    ...(options.lazyConnect === undefined ? {} : { lazyConnect: options.lazyConnect }),
    ...(options.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: options.enableOfflineQueue }),
  };
}

/** Creates the client for `target`: a `Cluster` for a cluster target, else a `Redis` on the URL. */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  if (isClusterTarget(target)) {
    return new Cluster(
      target.nodes.map((node) => ({ host: node.host, port: node.port })),
      // ioredis types redisOptions.replyMapping as required-if-present under exactOptionalPropertyTypes.
      clusterOptions(target.url, options) as ConstructorParameters<typeof Cluster>[1] & object,
    );
  }
  return new Redis(target, {
    ...(options.maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest: options.maxRetriesPerRequest }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeout: options.connectTimeoutMs }),
    ...(options.retryStrategy === undefined ? {} : { retryStrategy: options.retryStrategy }),
    ...(options.lazyConnect === undefined ? {} : { lazyConnect: options.lazyConnect }),
    ...(options.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: options.enableOfflineQueue }),
  });
}

/** True when an `INFO cluster` answer says the node runs in cluster mode. */
export function infoSaysCluster(info: string): boolean {
  return /^cluster_enabled:1\s*$/m.test(info);
}

/**
 * Options of a client that asks one question and closes: one connection attempt bounded by
 * `timeoutMs`, no retries, no offline queue (the caller decides whether and when to try again).
 */
export function oneShotOptions(timeoutMs: number) {
  return { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null } satisfies RedisOptions;
}

/**
 * Resolves a URL to what it points at: asks the node once (`INFO cluster`) and returns a cluster
 * target seeded by it when it is a cluster node, else the URL unchanged. A cluster target is
 * returned as is, without a connection.
 * @throws TransientError `E_REDIS` naming the URL (without credentials) when the node does not answer within `timeoutMs`.
 */
export async function resolveRedisTarget(target: RedisTarget, options: { timeoutMs?: number } = {}): Promise<RedisTarget> {
  if (isClusterTarget(target)) return target;
  const timeoutMs = options.timeoutMs ?? 3000;
  const client = new Redis(target, oneShotOptions(timeoutMs));
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const attempt = client.connect().then(() => client.info('cluster'));
  attempt.catch(() => undefined);
  try {
    const info = await Promise.race([
      attempt,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return infoSaysCluster(info) ? clusterTarget(target) : target;
  } catch (thrown) {
    const error = toError(thrown);
    const where = safeRedisUrl(targetUrl(target));
    throw new TransientError('E_REDIS', `Cannot reach Redis at ${where}: ${error.message}`, { redis: where }, { cause: error });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
