/**
 * Picks the store for a command: Redis when a non-empty Redis URL is given, else the file store.
 * The Redis adapter is imported only when used, so file-store commands never load ioredis.
 * Also the one definition of how a namespace maps to Redis key prefixes (store and queues).
 */
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from '../../schemas/namespace.js';
import type { Store } from './store.js';

export { DEFAULT_NAMESPACE };

/** Key prefixes derived from one namespace. */
export interface Prefixes {
  /** Prefix of the Redis store's keys. */
  store: string;
  /** BullMQ `prefix` option (BullMQ adds `:<queue>:`). */
  queue: string;
}

/**
 * Store and queue prefixes for a namespace (pure): store keys under `<ns>:`, queue keys under `<ns>:q:`.
 * @throws RangeError when the namespace is not letters, digits, '.', '_' or '-' (callers validate input first).
 */
export function prefixesFor(namespace: string = DEFAULT_NAMESPACE): Prefixes {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new RangeError(`Expected a namespace of ${NAMESPACE_RULE}, got ${JSON.stringify(namespace)}`);
  }
  return { store: `${namespace}:`, queue: `${namespace}:q` };
}

/** Where the data lives. */
export interface OpenStoreOptions {
  /** File store root. @default './.threatdraft' */
  dataDir?: string;
  /** A `redis://` URL; when non-empty it selects the Redis store. */
  redisUrl?: string | undefined;
  /** Redis namespace; the store's keys go under `prefixesFor(namespace).store`. @default 'threatdraft' */
  namespace?: string | undefined;
  /** Raw Redis key prefix; overrides `namespace` when given. */
  redisPrefix?: string;
}

/** Opens the Redis store when `redisUrl` is non-empty, else the file store at `dataDir`. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const redisUrl = options.redisUrl?.trim() ?? '';
  if (redisUrl !== '') {
    const { RedisStore } = await import('./redis-store.js');
    return new RedisStore({ url: redisUrl, prefix: options.redisPrefix ?? prefixesFor(options.namespace).store });
  }
  const { FileStore } = await import('./file-store.js');
  return new FileStore({ root: options.dataDir ?? './.threatdraft' });
}
