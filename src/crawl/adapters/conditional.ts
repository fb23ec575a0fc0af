/**
 * One URL to one listing with a conditional GET against the fetch cache (shared by the adapters
 * that fetch a document per listing): a 304 whose listing is still stored is answered from the
 * store without a body; a 304 whose listing was pruned is fetched again in full.
 */
import { z } from 'zod';
import type { Listing } from '../../../schemas/listing.js';
import { readCacheEntry, storeCall, unaskedNotModified, validators } from '../fetch-cache.js';
import type { FetchOptions, FetchResult } from '../fetcher.js';
import type { AdapterContext, Loaded } from './adapter.js';

const pageCacheSchema = z.object({
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  contentHash: z.string(),
  listingId: z.string(),
});

/** Options of {@link loadConditionally}. */
export interface ConditionalLoad {
  accept: NonNullable<FetchOptions['accept']>;
  maxBytes?: number | undefined;
  /**
   * Whether a 304 may stand for the listing. Not for pages built in a browser: their scripts load
   * data the document's validators do not cover. @default true
   */
  conditional?: boolean | undefined;
  /** Turns the fetched body into a listing. */
  toListing: (result: FetchResult) => Promise<Listing> | Listing;
}

/** Fetches `url` (conditionally when the cache has validators for it) and returns its listing. */
export async function loadConditionally(url: string, context: AdapterContext, options: ConditionalLoad): Promise<Loaded> {
  const { fetcher, store, signal } = context;
  const cached = options.conditional === false ? undefined : await readCacheEntry(store.cache, pageCacheSchema, url);
  const request = { signal, accept: options.accept, maxBytes: options.maxBytes };
  const conditional = validators(cached);
  let result = await fetcher.fetch(url, { ...request, conditional });
  let bytes = result.bytes;
  if (result.notModified && conditional === undefined) throw unaskedNotModified(url);
  if (result.notModified && cached !== undefined) {
    // The listing index answers for an unchanged listing with no repository to refresh: one
    // lookup instead of reading the listing.
    const known = (await storeCall(() => store.index.listingSummaries([cached.listingId]))).get(cached.listingId);
    if (known !== undefined && known.contentHash === cached.contentHash && known.url !== '' && !known.repo) {
      return { unchanged: { id: known.id, url: known.url, title: known.title }, bytes };
    }
    const stored = await storeCall(() => store.listings.get(cached.listingId));
    if (stored !== null) return { listing: stored, notModified: true, bytes, validators: { key: url, etag: cached.etag, lastModified: cached.lastModified } };
    // The validators outlived the listing (store pruned): fetch the body again.
    result = await fetcher.fetch(url, request);
    bytes += result.bytes;
    if (result.notModified) throw unaskedNotModified(url);
  }
  const listing = await options.toListing(result);
  return { listing, notModified: false, bytes, ...(options.conditional === false ? {} : { validators: { key: url, etag: result.etag, lastModified: result.lastModified } }) };
}
