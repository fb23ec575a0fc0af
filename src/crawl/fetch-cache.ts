/**
 * The fetch cache shared by discovery and the listing crawl: one `store.cache` namespace holding,
 * per URL, the validators of the last 200 (ETag, Last-Modified) and whatever the caller needs to
 * answer a 304 without the body (a listing id and hash, or the links an index page held).
 */
import type { z } from 'zod';
import { PermanentError, toError } from '../errors.js';
import type { CacheRepo } from '../store/store.js';
import type { Conditional } from './fetcher.js';

/** The cache namespace of conditional-GET validators. */
export const FETCH_CACHE_NAMESPACE = 'fetch';

/** A store error (cache or listings): the crawl stops on it instead of counting it against one URL. */
export class StoreFailure extends Error {
  override readonly cause: Error;
  constructor(cause: unknown) {
    const error = toError(cause);
    super(error.message);
    this.cause = error;
  }
}

/** Runs a store call, wrapping its error in `StoreFailure`. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (thrown) {
    throw new StoreFailure(thrown);
  }
}

/** The entry under `key`, or undefined when absent or of another shape (older version, hand edit): a miss, not an error. */
export async function readCacheEntry<T>(cache: CacheRepo, schema: z.ZodType<T>, key: string): Promise<T | undefined> {
  const raw = await storeCall(() => cache.get(FETCH_CACHE_NAMESPACE, key));
  if (raw === null) return undefined;
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The conditional-GET headers for an entry, or undefined when it holds no validator. */
export function validators(entry: { etag?: string | undefined; lastModified?: string | undefined } | undefined): Conditional | undefined {
  if (entry === undefined || (entry.etag === undefined && entry.lastModified === undefined)) return undefined;
  return { etag: entry.etag, lastModified: entry.lastModified };
}

/** A copy without undefined properties (cache values are JSON; `exactOptionalPropertyTypes` wants them absent). */
export function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A 304 to a GET sent without validators: no body, and nothing cached to stand for it. */
export function unaskedNotModified(url: string): PermanentError {
  return new PermanentError('E_HTTP_304', `${url} answered 304 Not Modified to a request without validators`, { url, status: 304 });
}
