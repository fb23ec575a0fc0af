/**
 * Crawl orchestration for one source: discover listing URLs, fetch each with a conditional GET
 * against the fetch cache, extract, enrich with the linked repository's README, and store.
 * Per-URL failures are counted and reported, never fatal; a failing store is fatal. Memory stays
 * flat: each worker holds one page body at a time and results are streamed into the store.
 */
import { z } from 'zod';
import type { Listing, Repo } from '../../schemas/listing.js';
import type { SourceConfig } from '../../schemas/source.js';
import { DEFAULT_LISTING_BUDGET_MS, startBudget } from '../abort.js';
import { listingBudgetError, ThreatdraftError, TransientError, toError } from '../errors.js';
import type { Store } from '../store/store.js';
import { discover } from './discover.js';
import { computeContentHash, extractListing } from './extract.js';
import { stripControls } from './extract-text.js';
import { FETCH_CACHE_NAMESPACE, StoreFailure, readCacheEntry, storeCall, unaskedNotModified, validators, withoutUndefined } from './fetch-cache.js';
import type { Fetcher } from './fetcher.js';
import { normalizeUrl, rebaseOrigin } from './url.js';

export { FETCH_CACHE_NAMESPACE } from './fetch-cache.js';

/** Where GitHub READMEs are fetched from. @default https://raw.githubusercontent.com */
export const DEFAULT_RAW_BASE = 'https://raw.githubusercontent.com';

/** README text kept on a listing, in characters. */
export const DEFAULT_README_MAX_CHARS = 20_000;


const pageCacheSchema = z.object({
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  contentHash: z.string(),
  listingId: z.string(),
});
/** What the fetch cache holds for a listing page. */
export type PageCacheEntry = z.infer<typeof pageCacheSchema>;

const readmeCacheSchema = z.object({
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** The last attempt failed with a transient error: try again on the next crawl. */
  retry: z.boolean().optional(),
});

/** One URL the crawl could not use. `stage` says whether it was an index page or a listing. */
export interface CrawlFailure {
  url: string;
  code: string;
  reason: string;
  stage: 'discover' | 'listing';
}

/** What a crawl did; `found` = `fetched` + `unchanged` + `skipped` + `failed`. */
export interface CrawlSummary {
  /** Listing URLs discovered (after caps). */
  found: number;
  /** Listings stored because they were new or their content changed. */
  fetched: number;
  /** Listings whose page answered 304 or whose content hash did not change. */
  unchanged: number;
  /** Listings refused by robots.txt (`E_ROBOTS`). */
  skipped: number;
  /** Listings that failed (fetch, HTTP status, content type, size…). */
  failed: number;
  /** Every failure, index pages (`stage: 'discover'`) included; these do not count in `failed`. */
  failures: CrawlFailure[];
  listings: Array<{ id: string; url: string; title: string }>;
  /** Index pages and sitemaps requested by discovery (304s included). */
  pagesVisited: number;
  /**
   * Body bytes transferred for index pages, sitemaps, listing pages and READMEs: 0 on a recrawl of
   * an unchanged directory. robots.txt is not counted (the fetcher reads it once per host).
   */
  bytes: number;
}

/** The outcome of one listing URL, as reported to `onProgress`. */
export type ListingOutcome = 'fetched' | 'unchanged' | 'skipped' | 'failed';

/** Progress of a crawl: discovery finished (`total` known), then one event per listing URL. */
export type CrawlProgress =
  | { phase: 'discovered'; total: number; pagesVisited: number }
  | { phase: 'listing'; done: number; total: number; url: string; outcome: ListingOutcome };

export interface CrawlOptions {
  fetcher: Fetcher;
  store: Store;
  /** Clock for `fetchedAt`. @default () => new Date() */
  now?: (() => Date) | undefined;
  /** At most this many listings (the smaller of this and the source's `maxListings` wins). */
  limit?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: CrawlProgress) => void) | undefined;
  /** Base of raw README URLs: `<rawBase>/<owner>/<repo>/HEAD/README.md`. @default https://raw.githubusercontent.com */
  rawBase?: string | undefined;
  /** @default 20000 */
  readmeMaxChars?: number | undefined;
  /** Token budget for `Listing.text`, passed to extraction. */
  maxTokens?: number | undefined;
  /** Time budget of one listing; when it runs out the listing fails with `E_LISTING_BUDGET`. @default 90000 */
  listingBudgetMs?: number | undefined;
  /**
   * Listing ids of URLs on origin `from` are derived as if the URL were on `to`: a directory served
   * on a port picked at run time (the demo) keeps its ids, so a store never gets it twice.
   */
  idOrigin?: { from: string; to: string } | undefined;
}

/**
 * Crawls one source into `store.listings` and returns the summary.
 * @throws the abort reason when `signal` aborts; the store's error when a write fails.
 */
export async function crawlSource(source: SourceConfig, options: CrawlOptions): Promise<CrawlSummary> {
  const { fetcher, store, signal } = options;
  const now = options.now ?? (() => new Date());
  const rawBase = (options.rawBase ?? DEFAULT_RAW_BASE).replace(/\/+$/, '');
  const readmeMaxChars = options.readmeMaxChars ?? DEFAULT_README_MAX_CHARS;

  const discovered = await discover(source, fetcher, { signal, limit: options.limit, cache: store.cache });
  const summary: CrawlSummary = {
    found: discovered.urls.length,
    fetched: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    failures: discovered.errors.map((error) => ({ ...error, stage: 'discover' as const })),
    listings: [],
    pagesVisited: discovered.pagesVisited,
    bytes: discovered.bytes,
  };
  options.onProgress?.({ phase: 'discovered', total: summary.found, pagesVisited: summary.pagesVisited });

  const budgetMs = options.listingBudgetMs ?? DEFAULT_LISTING_BUDGET_MS;
  const context: Omit<ListingContext, 'signal' | 'checkpoint'> = {
    source,
    fetcher,
    store,
    now,
    rawBase,
    readmeMaxChars,
    maxTokens: options.maxTokens,
    idOrigin: options.idOrigin,
  };
  const urls = discovered.urls;
  let next = 0;
  let done = 0;
  let fatal: Error | undefined;
  // A function, not a property read, so the compiler does not narrow it across awaits.
  const aborted = (): boolean => signal?.aborted === true;

  const worker = async (): Promise<void> => {
    while (fatal === undefined && next < urls.length && !aborted()) {
      const url = urls[next] as string;
      next += 1;
      let outcome: ListingOutcome;
      // One budget for the whole listing: its requests abort with it, extraction checks it between steps.
      const budget = startBudget(signal, budgetMs, (step) => listingBudgetError(url, budgetMs, step));
      try {
        const result = await crawlListing(url, { ...context, signal: budget.signal, checkpoint: budget.check });
        outcome = result.outcome;
        summary.bytes += result.bytes;
        summary.listings.push({ id: result.listing.id, url: result.listing.url, title: result.listing.title });
      } catch (thrown) {
        if (thrown instanceof StoreFailure) {
          fatal = thrown.cause;
          return;
        }
        if (aborted()) return;
        // A request cut by the budget throws the abort reason: name the budget instead.
        const error = budget.exceeded() ? listingBudgetError(url, budgetMs, budget.step()) : toError(thrown);
        const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
        if (code === 'E_ROBOTS') {
          outcome = 'skipped';
        } else {
          outcome = 'failed';
          summary.failures.push({ url, code, reason: error.message, stage: 'listing' });
        }
      } finally {
        budget.dispose();
      }
      summary[outcome] += 1;
      done += 1;
      options.onProgress?.({ phase: 'listing', done, total: urls.length, url, outcome });
    }
  };

  // The fetcher enforces per-host politeness; this only bounds how many listings are in flight.
  const workers = Math.max(1, Math.min(source.politeness.concurrency, urls.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  if (fatal !== undefined) throw fatal;
  signal?.throwIfAborted();
  // Workers finish out of order; a stable order keeps output diffable.
  summary.listings.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  return summary;
}

interface ListingContext {
  source: SourceConfig;
  fetcher: Fetcher;
  store: Store;
  signal: AbortSignal | undefined;
  now: () => Date;
  rawBase: string;
  readmeMaxChars: number;
  maxTokens: number | undefined;
  idOrigin: { from: string; to: string } | undefined;
  /** The listing's time budget: records the step running now, throws once the budget is spent. */
  checkpoint: (step: string) => void;
}

/** Fetches, extracts, enriches and stores one listing. Throws the fetch error on failure. */
async function crawlListing(
  url: string,
  context: ListingContext,
): Promise<{ outcome: 'fetched' | 'unchanged'; listing: Listing; bytes: number }> {
  const { fetcher, store, signal, source, checkpoint } = context;
  const cached = await readCacheEntry(store.cache, pageCacheSchema, url);
  let bytes = 0;

  checkpoint('fetching the page');
  const conditional = validators(cached);
  let result = await fetcher.fetch(url, { signal, accept: 'page', conditional });
  bytes += result.bytes;
  if (result.notModified && conditional === undefined) throw unaskedNotModified(url);
  if (result.notModified && cached !== undefined) {
    const stored = await storeCall(() => store.listings.get(cached.listingId));
    if (stored !== null) {
      checkpoint('fetching the README');
      const refreshed = await refreshRepo(stored, context);
      bytes += refreshed.bytes;
      if (refreshed.listing === null) return { outcome: 'unchanged', listing: stored, bytes };
      await storeCall(() => store.listings.put(refreshed.listing as Listing));
      await storeCall(() => store.cache.set(FETCH_CACHE_NAMESPACE, url, { ...cached, contentHash: (refreshed.listing as Listing).contentHash }));
      return { outcome: 'fetched', listing: refreshed.listing, bytes };
    }
    // The validators outlived the listing (store pruned): fetch the body again.
    result = await fetcher.fetch(url, { signal, accept: 'page' });
    bytes += result.bytes;
    if (result.notModified) throw unaskedNotModified(url);
  }

  const fetchedAt = context.now().toISOString();
  checkpoint('extracting');
  const extracted = extractListing(result.body, {
    url: result.finalUrl,
    sourceId: source.id,
    fetchedAt,
    fields: source.fields,
    ...(context.maxTokens === undefined ? {} : { maxTokens: context.maxTokens }),
    ...(context.idOrigin === undefined ? {} : { idUrl: rebaseOrigin(result.finalUrl, context.idOrigin.from, context.idOrigin.to) }),
    checkpoint: (step) => checkpoint(`extracting (${step})`),
  });
  checkpoint('fetching the README');
  const enrichment = await enrichRepo(extracted, context, undefined);
  bytes += enrichment.bytes;
  const listing = enrichment.repo === undefined ? extracted : withRepo(extracted, enrichment.repo);
  checkpoint('storing');

  const entry: PageCacheEntry = withoutUndefined({
    etag: result.etag,
    lastModified: result.lastModified,
    contentHash: listing.contentHash,
    listingId: listing.id,
  });
  const unchanged =
    cached !== undefined &&
    cached.contentHash === listing.contentHash &&
    cached.listingId === listing.id &&
    (await storeCall(() => store.listings.get(listing.id))) !== null;
  if (!unchanged) await storeCall(() => store.listings.put(listing));
  await storeCall(() => store.cache.set(FETCH_CACHE_NAMESPACE, url, entry));
  return { outcome: unchanged ? 'unchanged' : 'fetched', listing, bytes };
}

function withRepo(listing: Listing, repo: Repo): Listing {
  return { ...listing, repo, contentHash: computeContentHash({ ...listing, repo }) };
}

/** `<rawBase>/<owner>/<name>/HEAD/README.md` for a GitHub repository URL, else undefined. */
export function readmeUrlFor(repoUrl: string, rawBase: string = DEFAULT_RAW_BASE): string | undefined {
  const match = /^https?:\/\/(?:www\.)?github\.com\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/i.exec(repoUrl);
  if (match === null) return undefined;
  return `${rawBase.replace(/\/+$/, '')}/${match[1]}/${match[2]}/HEAD/README.md`;
}

/**
 * Fetches the README of the listing's first repository. A failure becomes `repo.error`, never a
 * throw; with `previous` validators it is a conditional GET (`notModified` true on 304).
 */
async function enrichRepo(
  listing: Listing,
  context: ListingContext,
  previous: Repo | undefined,
): Promise<{ repo: Repo | undefined; bytes: number; notModified: boolean }> {
  const repoUrl = listing.fields.repositories[0];
  if (repoUrl === undefined) return { repo: undefined, bytes: 0, notModified: false };
  const readmeUrl = readmeUrlFor(repoUrl, context.rawBase);
  if (readmeUrl === undefined) {
    return { repo: { url: repoUrl, readme: null, error: 'E_REPO_HOST: README enrichment supports GitHub repositories only', truncated: false }, bytes: 0, notModified: false };
  }
  const key = normalizeUrl(readmeUrl);
  const cached = previous === undefined ? undefined : await readCacheEntry(context.store.cache, readmeCacheSchema, key);
  try {
    const conditional = validators(cached);
    const result = await context.fetcher.fetch(readmeUrl, { signal: context.signal, accept: 'text', conditional });
    if (result.notModified && conditional === undefined) throw unaskedNotModified(readmeUrl);
    if (result.notModified) return { repo: previous, bytes: 0, notModified: true };
    await storeCall(() =>
      context.store.cache.set(FETCH_CACHE_NAMESPACE, key, withoutUndefined({ etag: result.etag, lastModified: result.lastModified })),
    );
    // README text is listing text too: no control character from it reaches a terminal.
    const readme = stripControls(result.body);
    const truncated = readme.length > context.readmeMaxChars;
    return {
      repo: { url: repoUrl, readme: truncated ? readme.slice(0, context.readmeMaxChars) : readme, error: null, truncated },
      bytes: result.bytes,
      notModified: false,
    };
  } catch (thrown) {
    if (thrown instanceof StoreFailure || context.signal?.aborted === true) throw thrown;
    const error = toError(thrown);
    await storeCall(() => context.store.cache.set(FETCH_CACHE_NAMESPACE, key, { retry: error instanceof TransientError }));
    const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
    return { repo: { url: repoUrl, readme: null, error: `${code}: ${error.message}`, truncated: false }, bytes: 0, notModified: false };
  }
}

/**
 * On a 304 for the page, checks whether the README changed (conditional GET). Returns the
 * updated listing, or null when nothing changed. A README that failed with a permanent error
 * (404, robots, unsupported host) is not retried until the page itself changes.
 */
async function refreshRepo(stored: Listing, context: ListingContext): Promise<{ listing: Listing | null; bytes: number }> {
  const previous = stored.repo;
  if (previous === undefined) return { listing: null, bytes: 0 };
  if (previous.error !== null) {
    const readmeUrl = readmeUrlFor(previous.url, context.rawBase);
    const cached = readmeUrl === undefined ? undefined : await readCacheEntry(context.store.cache, readmeCacheSchema, normalizeUrl(readmeUrl));
    if (cached?.retry !== true) return { listing: null, bytes: 0 };
  }
  const enrichment = await enrichRepo(stored, context, previous.error === null ? previous : undefined);
  if (enrichment.notModified || enrichment.repo === undefined) return { listing: null, bytes: enrichment.bytes };
  const updated = withRepo(stored, enrichment.repo);
  if (updated.contentHash === stored.contentHash) return { listing: null, bytes: enrichment.bytes };
  return { listing: { ...updated, fetchedAt: context.now().toISOString() }, bytes: enrichment.bytes };
}
