/** Shared setup for queue tests: a fresh namespace on a real Redis, a store under it, cleanup. */
import { randomUUID } from 'node:crypto';
import { prefixesFor } from '../../queues/names.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { deleteKeysWithPrefix } from '../helpers/redis.js';

/** A fresh namespace, its Redis store and a cleanup that deletes every key under it. */
export function freshNamespace(url: string): { namespace: string; store: RedisStore; cleanup: () => Promise<void> } {
  const namespace = `tdtest-${randomUUID()}`;
  const store = new RedisStore({ url, prefix: prefixesFor(namespace).store, maxRetriesPerRequest: 40 });
  return {
    namespace,
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysWithPrefix(url, `${namespace}:`);
    },
  };
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
