/**
 * Picks the store for a command: Redis when a non-empty Redis URL is given, else the file store.
 * The Redis adapter is imported only when used, so file-store commands never load ioredis.
 */
import type { Store } from './store.js';

/** Where the data lives. */
export interface OpenStoreOptions {
  /** File store root. @default './.threatdraft' */
  dataDir?: string;
  /** A `redis://` URL; when non-empty it selects the Redis store. */
  redisUrl?: string | undefined;
  /** Redis key prefix. @default 'threatdraft:' */
  redisPrefix?: string;
}

/** Opens the Redis store when `redisUrl` is non-empty, else the file store at `dataDir`. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const redisUrl = options.redisUrl?.trim() ?? '';
  if (redisUrl !== '') {
    const { RedisStore } = await import('./redis-store.js');
    return new RedisStore({ url: redisUrl, ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }) });
  }
  const { FileStore } = await import('./file-store.js');
  return new FileStore({ root: options.dataDir ?? './.threatdraft' });
}
