/**
 * Discovery: which listing URLs a directory holds. `discover` is the I/O driver that walks start
 * pages, pagination and sitemaps through the `Fetcher` port, with conditional GETs against the
 * fetch cache so an unchanged page is answered 304 and its cached links reused. The pure parsers
 * (`index-page.ts`) are loaded only when a page's body must be read.
 */
import { z } from 'zod';
import type { SourceConfig } from '../../schemas/source.js';
import { linkedSignal } from '../abort.js';
import { ThreatdraftError, toError } from '../errors.js';
import type { CacheRepo } from '../store/store.js';
import { FETCH_CACHE_NAMESPACE, StoreFailure, readCacheEntry, storeCall, unaskedNotModified, validators, withoutUndefined } from './fetch-cache.js';
import type { Fetcher } from './fetcher.js';
import type { SitemapDocument } from './index-page.js';
import { resolveHttpUrl } from './url.js';

/** How deep nested sitemap indexes are followed (index -> index -> urlset is depth 2). */
export const MAX_SITEMAP_DEPTH = 3;


/** A page that discovery could not use; recorded, never fatal. */
export interface DiscoverError {
  url: string;
  code: string;
  reason: string;
}

export interface DiscoverOptions {
  signal?: AbortSignal | undefined;
  /** At most this many listing URLs (combined with the source's `maxListings`, the smaller wins). */
  limit?: number | undefined;
  /**
   * The store's cache: index pages and sitemaps are fetched with conditional GETs against the
   * validators and parsed links kept here (namespace `fetch`). Without it every page is fetched in full.
   */
  cache?: CacheRepo | undefined;
  /**
   * Builds an index page in a browser when the source asks for it (`render: browser`, or `auto` and
   * `hasContent` says the served HTML holds no listing link); returns the HTML to parse. Pass no
   * `cache` with it: a page's validators do not cover the data its scripts load.
   */
  render?: ((url: string, html: string, hasContent: (html: string) => boolean) => Promise<string>) | undefined;
}

export interface DiscoverResult {
  /** Listing URLs, normalised and de-duplicated, in discovery order. */
  urls: string[];
  /** Index pages and sitemap documents requested (304s included). */
  pagesVisited: number;
  /** Index pages and sitemap documents answered 304 and served from the cache. */
  pagesUnchanged: number;
  /** Body bytes transferred for index pages and sitemaps (0 when every one answered 304). */
  bytes: number;
  errors: DiscoverError[];
}

/**
 * Bumped when parsing changes what a page yields (URL normalisation, link rules), so entries
 * written by an older parser are refetched in full instead of answering a 304 with stale links.
 */
const DISCOVERY_CACHE_VERSION = 1;

const cachedPageSchema = z.object({
  v: z.literal(DISCOVERY_CACHE_VERSION),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** The URL the links were resolved against (after redirects); a 304 landing elsewhere is not trusted. */
  finalUrl: z.string(),
});
type CachedPage = z.infer<typeof cachedPageSchema>;

const indexPayloadSchema = z.object({
  /** The selectors the links were parsed with; a source edited since then refetches in full. */
  listingLinks: z.string(),
  nextPage: z.string().nullable(),
  listings: z.array(z.string()),
  next: z.string().nullable(),
});
type IndexPayload = z.infer<typeof indexPayloadSchema>;

const sitemapPayloadSchema = z.object({
  document: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('index'), sitemaps: z.array(z.string()) }),
    z.object({ kind: z.literal('urlset'), urls: z.array(z.string()) }),
    z.object({ kind: z.literal('unknown') }),
  ]),
});
type SitemapPayload = z.infer<typeof sitemapPayloadSchema>;

const indexCacheSchema = cachedPageSchema.extend(indexPayloadSchema.shape);
const sitemapCacheSchema = cachedPageSchema.extend(sitemapPayloadSchema.shape);

/** The fetch-cache key of an index page or sitemap (listing pages are keyed by their bare URL). */
export function discoveryCacheKey(kind: 'index' | 'sitemap', url: string): string {
  return `${kind} ${url}`;
}

interface CacheSlot<P> {
  repo: CacheRepo;
  key: string;
  schema: z.ZodType<CachedPage & P>;
  /** Whether a cached entry still answers for the current source (same selectors). */
  fits: (entry: CachedPage & P) => boolean;
}

/**
 * Fetches one discovery document with a conditional GET and returns its parse: the cached one on
 * a 304 that landed where that parse came from, else the body's (and the cache is updated).
 * A store error surfaces as `StoreFailure`; fetch errors are thrown as they are.
 */
/** A discovery document as fetched: its parse, where it landed, and whether it was a 304. */
interface Fetched<P> {
  parsed: P;
  finalUrl: string;
  bytes: number;
  notModified: boolean;
}

async function fetchParsed<P extends Record<string, unknown>>(
  fetcher: Fetcher,
  request: { url: string; accept: 'page' | 'xml'; signal: AbortSignal | undefined },
  slot: CacheSlot<P> | undefined,
  parse: (body: string, finalUrl: string) => P | Promise<P>,
): Promise<Fetched<P>> {
  // Its own signal: documents in flight together under the crawl's signal add one listener to it, not one each.
  const link = linkedSignal(request.signal);
  try {
    return await fetchParsedUnder(fetcher, { ...request, signal: link.signal }, slot, parse);
  } finally {
    link.dispose();
  }
}

async function fetchParsedUnder<P extends Record<string, unknown>>(
  fetcher: Fetcher,
  request: { url: string; accept: 'page' | 'xml'; signal: AbortSignal | undefined },
  slot: CacheSlot<P> | undefined,
  parse: (body: string, finalUrl: string) => P | Promise<P>,
): Promise<Fetched<P>> {
  const { url, accept, signal } = request;
  const found = slot === undefined ? undefined : await readCacheEntry(slot.repo, slot.schema, slot.key);
  const entry = found !== undefined && slot?.fits(found) === true ? found : undefined;
  const conditional = validators(entry);
  let result = await fetcher.fetch(url, { signal, accept, conditional });
  let bytes = result.bytes;
  if (result.notModified) {
    if (entry !== undefined && entry.finalUrl === result.finalUrl) return { parsed: entry, finalUrl: result.finalUrl, bytes, notModified: true };
    if (conditional === undefined) throw unaskedNotModified(url);
    // It landed on another URL than the cached links came from: fetch the body.
    result = await fetcher.fetch(url, { signal, accept });
    bytes += result.bytes;
    if (result.notModified) throw unaskedNotModified(url);
  }
  const parsed = await parse(result.body, result.finalUrl);
  if (slot !== undefined) {
    if (result.etag !== undefined || result.lastModified !== undefined) {
      const value = withoutUndefined({ v: DISCOVERY_CACHE_VERSION, etag: result.etag, lastModified: result.lastModified, finalUrl: result.finalUrl, ...parsed });
      await storeCall(() => slot.repo.set(FETCH_CACHE_NAMESPACE, slot.key, value));
    } else if (found !== undefined) {
      // The page stopped sending validators: the old ones would only add a useless conditional header.
      await storeCall(() => slot.repo.delete(FETCH_CACHE_NAMESPACE, slot.key));
    }
  }
  return { parsed, finalUrl: result.finalUrl, bytes, notModified: false };
}

/** The listing cap for a crawl: the smaller of `--limit` and the source's `maxListings`. */
export function listingCap(source: Pick<SourceConfig, 'maxListings'>, limit: number | undefined): number {
  return Math.min(limit ?? Number.POSITIVE_INFINITY, source.maxListings ?? Number.POSITIVE_INFINITY);
}

/**
 * Walks a directory: each start page and its pagination (cycle-safe, at most `maxPages` index
 * pages), then the sitemap and its nested indexes when the source names one, until the listing
 * cap is reached. With `options.cache`, every page is a conditional GET and a 304 reuses the
 * links cached with it. Pages that fail are recorded in `errors`.
 * @throws the abort reason when `signal` aborts; the store's error when the cache fails.
 */
export async function discover(source: SourceConfig, fetcher: Fetcher, options: DiscoverOptions = {}): Promise<DiscoverResult> {
  const { signal, cache } = options;
  const cap = listingCap(source, options.limit);
  const found = new Set<string>();
  const errors: DiscoverError[] = [];
  let pagesVisited = 0;
  let pagesUnchanged = 0;
  let bytes = 0;

  const add = (urls: readonly string[]): void => {
    for (const url of urls) {
      if (found.size >= cap) return;
      found.add(url);
    }
  };
  const full = (): boolean => found.size >= cap;
  const record = (url: string, thrown: unknown): void => {
    const error = toError(thrown);
    errors.push({ url, code: error instanceof ThreatdraftError ? error.code : 'E_DISCOVER', reason: error.message });
  };
  /** Rethrows what must stop discovery (an abort, a failing store); anything else is recorded against the page. */
  const recordOrThrow = (url: string, thrown: unknown): void => {
    if (thrown instanceof StoreFailure) throw thrown.cause;
    if (signal?.aborted === true) throw thrown;
    record(url, thrown);
  };
  const counted = <T extends { bytes: number; notModified: boolean }>(fetched: T): T => {
    bytes += fetched.bytes;
    if (fetched.notModified) pagesUnchanged += 1;
    return fetched;
  };

  // Index pages and pagination.
  const listingLinks = source.listingLinks ?? 'a[href]';
  const render = options.render;
  const selectors = { listingLinks, nextPage: source.nextPage ?? null };
  const parseIndex = async (body: string, landedUrl: string): Promise<IndexPayload> => {
    const { parseIndexPage } = await import('./index-page.js');
    const parse = (html: string): { listings: string[]; next: string | null } => parseIndexPage(html, landedUrl, { listingLinks, nextPage: source.nextPage });
    const parsed = parse(body);
    if (render === undefined) return { ...selectors, ...parsed };
    const html = await render(landedUrl, body, (candidate) => (candidate === body ? parsed : parse(candidate)).listings.length > 0);
    return { ...selectors, ...(html === body ? parsed : parse(html)) };
  };
  const indexSlot = (pageUrl: string): CacheSlot<IndexPayload> | undefined =>
    cache === undefined
      ? undefined
      : {
          repo: cache,
          key: discoveryCacheKey('index', pageUrl),
          schema: indexCacheSchema,
          fits: (entry) => entry.listingLinks === selectors.listingLinks && entry.nextPage === selectors.nextPage,
        };
  // Relative links resolve against the exact URL the page landed on: normalising it first would
  // strip a trailing slash and resolve `href="alpha"` on `/dir/` to `/alpha`.
  const fetchIndex = (pageUrl: string): Promise<Fetched<IndexPayload>> =>
    fetchParsed<IndexPayload>(fetcher, { url: pageUrl, accept: 'page', signal }, indexSlot(pageUrl), parseIndex);
  const visited = new Set<string>();
  let indexPages = 0;
  // Revalidating a cached pagination chain: the cached links name the pages ahead, so their
  // conditional GETs go out together (as many ahead as the source's politeness concurrency, and
  // only while the cached listings do not already fill the cap) instead of one round trip after
  // another. The walk itself is unchanged: it still takes each page's links from that page's own
  // answer, so a page that changed sends it where its new links point, and requests made past it
  // are simply not used (GETs are safe; a failed one is reported only if the walk reaches it).
  const ahead = new Map<string, Promise<Fetched<IndexPayload>>>();
  // Each cached entry is read and checked once per crawl, however often the walk looks past it.
  const cachedEntries = new Map<string, IndexPayload | null>();
  const cachedEntry = async (pageUrl: string): Promise<IndexPayload | null> => {
    let entry = cachedEntries.get(pageUrl);
    if (entry === undefined) {
      const slot = indexSlot(pageUrl) as CacheSlot<IndexPayload>;
      const read = await readCacheEntry(slot.repo, slot.schema, slot.key);
      entry = read !== undefined && slot.fits(read) ? read : null;
      cachedEntries.set(pageUrl, entry);
    }
    return entry;
  };
  const lookAhead = async (from: string): Promise<void> => {
    if (cache === undefined) return;
    let url = from;
    let listings = found.size;
    for (let steps = 0; steps < source.politeness.concurrency; steps += 1) {
      const entry = await cachedEntry(url);
      if (entry === null || entry.next === null) return;
      listings += entry.listings.length;
      url = entry.next;
      if (listings >= cap || indexPages + ahead.size >= source.maxPages || visited.has(url)) return;
      if (ahead.has(url)) continue;
      const pending = fetchIndex(url);
      pending.catch(() => undefined);
      ahead.set(url, pending);
    }
  };
  for (const start of source.start) {
    let next: string | null = resolveHttpUrl(start, start) ?? null;
    while (next !== null && !full() && indexPages < source.maxPages) {
      signal?.throwIfAborted();
      const pageUrl: string = next;
      if (visited.has(pageUrl)) break;
      visited.add(pageUrl);
      indexPages += 1;
      pagesVisited += 1;
      let page: IndexPayload;
      let finalUrl: string;
      try {
        const pending = ahead.get(pageUrl) ?? fetchIndex(pageUrl);
        ahead.delete(pageUrl);
        // Handled below; a failing look-ahead must not leave it rejected unobserved.
        pending.catch(() => undefined);
        await lookAhead(pageUrl);
        const fetched = counted(await pending);
        page = fetched.parsed;
        finalUrl = fetched.finalUrl;
      } catch (thrown) {
        recordOrThrow(pageUrl, thrown);
        break;
      }
      // A redirect to a page seen before is the same cycle under another name.
      const landed = resolveHttpUrl(finalUrl, pageUrl) ?? pageUrl;
      if (landed !== pageUrl && visited.has(landed)) break;
      visited.add(landed);
      add(page.listings);
      next = page.next;
    }
  }

  // Sitemaps, breadth first, nested indexes up to MAX_SITEMAP_DEPTH.
  if (source.sitemap !== undefined && !full()) {
    const root = resolveHttpUrl(source.sitemap, source.sitemap) ?? null;
    const queue: Array<{ url: string; depth: number }> = root === null ? [] : [{ url: root, depth: 0 }];
    const seenSitemaps = new Set<string>(root === null ? [] : [root]);
    let sitemapDocs = 0;
    while (queue.length > 0 && !full() && sitemapDocs < source.maxPages) {
      signal?.throwIfAborted();
      const { url, depth } = queue.shift() as { url: string; depth: number };
      sitemapDocs += 1;
      pagesVisited += 1;
      let document: SitemapDocument;
      try {
        const fetched = counted(
          await fetchParsed<SitemapPayload>(
            fetcher,
            { url, accept: 'xml', signal },
            cache === undefined ? undefined : { repo: cache, key: discoveryCacheKey('sitemap', url), schema: sitemapCacheSchema, fits: () => true },
            async (body, finalUrl) => ({ document: (await import('./index-page.js')).parseSitemap(body, finalUrl) }),
          ),
        );
        document = fetched.parsed.document;
      } catch (thrown) {
        recordOrThrow(url, thrown);
        continue;
      }
      if (document.kind === 'urlset') add(document.urls);
      else if (document.kind === 'unknown') errors.push({ url, code: 'E_SITEMAP', reason: 'not a <urlset> or <sitemapindex> document' });
      else if (depth + 1 > MAX_SITEMAP_DEPTH) {
        errors.push({ url, code: 'E_SITEMAP_DEPTH', reason: `sitemap indexes nested deeper than ${MAX_SITEMAP_DEPTH}` });
      } else {
        for (const child of document.sitemaps) {
          if (seenSitemaps.has(child)) continue;
          seenSitemaps.add(child);
          queue.push({ url: child, depth: depth + 1 });
        }
      }
    }
  }

  return { urls: [...found], pagesVisited, pagesUnchanged, bytes, errors };
}
