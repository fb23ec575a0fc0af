/**
 * Picks the store for a command: Redis when a non-empty Redis URL is given, else the file store.
 * The Redis adapter is imported only when used, so file-store commands never load ioredis.
 * Also the one definition of how a namespace maps to Redis key prefixes (store and queues).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from '../../schemas/namespace.js';
import { InputError } from '../errors.js';
import { errnoCode } from './fs-atomic.js';
import { clusterKeyPrefix, isClusterTarget, type RedisTarget } from './redis-target.js';
import type { Store } from './store.js';

export { DEFAULT_NAMESPACE };
export { redisTargetFrom } from './redis-target.js';

/** Key prefixes derived from one namespace. */
export interface Prefixes {
  /** Prefix of the Redis store's keys. */
  store: string;
  /** BullMQ `prefix` option (BullMQ adds `:<queue>:`). */
  queue: string;
}

/**
 * Store and queue prefixes for a namespace (pure): store keys under `<ns>:`, queue keys under
 * `<ns>:q:`. On a Redis Cluster (`target` a cluster target) each gets a hash tag: the store under
 * `{<ns>}:` and the queues under `{<ns>:q}:`, so every multi-key operation of the store, and every
 * BullMQ script of the queues, stays within one slot (two slots per namespace, usually on two masters).
 * @throws RangeError when the namespace is not letters, digits, '.', '_' or '-' (callers validate input first).
 */
export function prefixesFor(namespace: string = DEFAULT_NAMESPACE, target?: RedisTarget): Prefixes {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new RangeError(`Expected a namespace of ${NAMESPACE_RULE}, got ${JSON.stringify(namespace)}`);
  }
  const prefixes = { store: `${namespace}:`, queue: `${namespace}:q` };
  if (target === undefined || !isClusterTarget(target)) return prefixes;
  return { store: clusterKeyPrefix(prefixes.store), queue: clusterKeyPrefix(prefixes.queue) };
}

/** Where the data lives. */
export interface OpenStoreOptions {
  /** File store root. @default './.threatdraft' */
  dataDir?: string;
  /** A `redis://` URL (a single Redis or a cluster node) or a cluster target; when non-empty it selects the Redis store. */
  redisUrl?: RedisTarget | undefined;
  /** Redis namespace; the store's keys go under `prefixesFor(namespace).store`. @default 'threatdraft' */
  namespace?: string | undefined;
  /** Raw Redis key prefix; overrides `namespace` when given. */
  redisPrefix?: string;
}

/**
 * Opens the Redis store when `redisUrl` is non-empty, else the file store at `dataDir`.
 * @throws InputError (exit 2) when `dataDir` exists but is not a directory, or lies inside a file.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const target = options.redisUrl;
  if (target !== undefined && (isClusterTarget(target) || target.trim() !== '')) {
    const { RedisStore } = await import('./redis-store.js');
    // On a cluster URL the store tags the prefix itself once it has asked the node.
    return new RedisStore({ url: isClusterTarget(target) ? target : target.trim(), prefix: options.redisPrefix ?? prefixesFor(options.namespace, target).store });
  }
  const root = options.dataDir ?? './.threatdraft';
  await checkDataDir(root);
  const { FileStore } = await import('./file-store.js');
  return new FileStore({ root });
}

/** A missing data directory is fine (the first write creates it); a file where it should be is bad input. */
async function checkDataDir(dataDir: string): Promise<void> {
  const where = resolve(dataDir);
  const bad = (reason: string): InputError =>
    new InputError('E_DATA_DIR', `The data directory ${where} ${reason} (set by --data or THREATDRAFT_DATA)`, { dataDir: where });
  try {
    if (!(await stat(where)).isDirectory()) throw bad('is a file, not a directory');
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = errnoCode(error);
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw bad('lies inside a file, not a directory');
    if (code === 'EACCES' || code === 'EPERM') throw bad(`cannot be read (${code})`);
    throw error;
  }
}
