/**
 * Crawl orchestration for one source, whatever its type: the source's adapter (`adapters/`)
 * discovers what to load and loads each item into a listing; this module enriches it with the
 * linked repository's README and manifests, records what changed since the stored version (change
 * tracking, possible rug pulls), stores it, and keeps the fetch cache for the next conditional
 * GET. Per-item failures are counted and reported, never fatal; a failing store is fatal. Memory
 * stays flat: each worker holds one document at a time and results are streamed into the store.
 */
import type { Listing, ListingFlag } from '../../schemas/listing.js';
import { sourceTypeOf, type SourceConfig } from '../../schemas/source.js';
import { BudgetLane, DEFAULT_LISTING_BUDGET_MS } from '../abort.js';
import { listingBudgetError, ThreatdraftError, toError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { AdapterContext, DiscoveredItem, Loaded, SourceAdapter } from './adapters/adapter.js';
import { ADAPTERS } from './adapters/index.js';
import { FETCH_CACHE_NAMESPACE, StoreFailure, storeCall, withoutUndefined } from './fetch-cache.js';
import type { Fetcher } from './fetcher.js';
import { versionOf } from './listing-history.js';
import type { PageRenderer } from './render/renderer.js';
import { DEFAULT_README_MAX_CHARS, DEFAULT_RAW_BASE, enrichRepo, refreshRepo, withRepo, type RepoContext } from './repo.js';
import { rebaseOrigin } from './url.js';

export { FETCH_CACHE_NAMESPACE } from './fetch-cache.js';
export { DEFAULT_RAW_BASE, DEFAULT_README_MAX_CHARS, readmeUrlFor } from './repo.js';

/**
 * One URL the crawl could not use. `stage`: an index or registry page (`discover`), a listing that
 * failed (`listing`), or a structured document skipped as unusable (`skipped`: not JSON, breaks its
 * schema, over the cap, a redirect to a private address, deleted in its registry).
 */
export interface CrawlFailure {
  url: string;
  code: string;
  reason: string;
  stage: 'discover' | 'listing' | 'skipped';
}

/** A listing stored with something a reviewer should know about its change or its document. */
export interface CrawlWarning {
  id: string;
  url: string;
  /** `possible-rug-pull`: an MCP server's packages, remotes or tools changed under the same version; `document-fields`: fields left out of a structured document. */
  code: ListingFlag | 'document-fields';
  message: string;
}

/**
 * What a crawl did; `found` = `fetched` + `unchanged` + `skipped` + `failed`. Only `failed` listings
 * make a crawl fail; skipped documents and index pages are listed in `failures` with their stage.
 */
export interface CrawlSummary {
  /** Listing URLs discovered (after caps). */
  found: number;
  /** Listings stored because they were new or their content changed. */
  fetched: number;
  /** Listings whose page answered 304 or whose content hash did not change. */
  unchanged: number;
  /**
   * Listings skipped: refused by robots.txt (`E_ROBOTS`), or a structured document that is not JSON,
   * breaks its schema, is over the size cap or redirects to a private address (each of those in
   * `failures` with `stage: 'skipped'` and its reason).
   */
  skipped: number;
  /** Listings that failed (fetch, HTTP status, content type, size…). */
  failed: number;
  /** Every failure and skipped document; index pages (`discover`) and skips (`skipped`) do not count in `failed`. */
  failures: CrawlFailure[];
  /** Stored listings a reviewer should look at twice (possible rug pulls, documents with fields left out). */
  warnings: CrawlWarning[];
  listings: Array<{ id: string; url: string; title: string }>;
  /** Index pages, sitemaps and registry pages requested by discovery (304s included). */
  pagesVisited: number;
  /**
   * Body bytes transferred for index pages, sitemaps, documents, listing pages, READMEs and
   * manifests: 0 on a recrawl of an unchanged directory. robots.txt is not counted (the fetcher
   * reads it once per host).
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
  /** Base of raw README and manifest URLs: `<rawBase>/<owner>/<repo>/HEAD/<file>`. @default https://raw.githubusercontent.com */
  rawBase?: string | undefined;
  /** @default 20000 */
  readmeMaxChars?: number | undefined;
  /** Token budget for `Listing.text`, passed to extraction. */
  maxTokens?: number | undefined;
  /**
   * Builds the renderer for `render: browser | auto` sources, on first use; closed when the crawl
   * ends. @default headless Chromium at THREATDRAFT_CHROMIUM_PATH or /usr/bin/chromium
   */
  renderer?: ((fetcher: Fetcher) => PageRenderer) | undefined;
  /** Chromium for the default renderer. @default /usr/bin/chromium */
  chromiumPath?: string | undefined;
  /** Time budget of one listing (load, extraction, README, manifests, store); when it runs out the listing fails with `E_LISTING_BUDGET`. @default 90000 */
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
  const adapter = ADAPTERS[sourceTypeOf(source)];
  let renderer: PageRenderer | undefined;
  const context: AdapterContext = {
    source,
    fetcher,
    store,
    signal,
    now,
    limit: options.limit,
    maxTokens: options.maxTokens,
    idUrl: (url) => (options.idOrigin === undefined ? url : rebaseOrigin(url, options.idOrigin.from, options.idOrigin.to)),
    checkpoint: () => undefined,
    renderer: () => {
      renderer ??= (options.renderer ?? ((shared) => defaultRenderer(shared, options.chromiumPath)))(fetcher);
      return renderer;
    },
  };
  const repoContext: RepoContext = {
    fetcher,
    store,
    signal,
    now,
    rawBase: (options.rawBase ?? DEFAULT_RAW_BASE).replace(/\/+$/, ''),
    readmeMaxChars: options.readmeMaxChars ?? DEFAULT_README_MAX_CHARS,
  };
  try {
    return await crawlWith(adapter, context, repoContext, options);
  } finally {
    await renderer?.close();
  }
}

async function crawlWith(adapter: SourceAdapter, context: AdapterContext, repoContext: RepoContext, options: CrawlOptions): Promise<CrawlSummary> {
  const { signal } = context;
  // The listing index answers every 304 of the listing phase: it is loaded while discovery waits on
  // the network (a failure here is the first 304's to report, not discovery's).
  context.store.index.listingSummaries([]).catch(() => undefined);
  const discovered = await discoverOrThrow(() => adapter.discover(context));
  const items = discovered.items;
  const summary: CrawlSummary = {
    // Entries a registry page listed but discovery refused are found and skipped.
    found: items.length + discovered.skips.length,
    fetched: 0,
    unchanged: 0,
    skipped: discovered.skips.length,
    failed: 0,
    failures: [...discovered.errors.map((error) => ({ ...error, stage: 'discover' as const })), ...discovered.skips.map((skip) => ({ ...skip, stage: 'skipped' as const }))],
    warnings: [],
    listings: [],
    pagesVisited: discovered.pagesVisited,
    bytes: discovered.bytes,
  };
  options.onProgress?.({ phase: 'discovered', total: summary.found, pagesVisited: summary.pagesVisited });

  let next = 0;
  let done = 0;
  let fatal: Error | undefined;
  // A function, not a property read, so the compiler does not narrow it across awaits.
  const aborted = (): boolean => signal?.aborted === true;

  const budgetMs = options.listingBudgetMs ?? DEFAULT_LISTING_BUDGET_MS;
  const worker = async (): Promise<void> => {
    // The worker's listings run one after another: their budgets share one signal.
    const lane = new BudgetLane(signal);
    try {
      await work(lane);
    } finally {
      lane.close();
    }
  };
  const work = async (lane: BudgetLane): Promise<void> => {
    while (fatal === undefined && next < items.length && !aborted()) {
      const item = items[next] as DiscoveredItem;
      next += 1;
      let outcome: ListingOutcome;
      // One budget for the whole listing: its requests abort with it, extraction checks it between steps.
      const budget = lane.start(budgetMs, (step) => listingBudgetError(item.url, budgetMs, step));
      try {
        const result = await crawlItem(
          item,
          { ...context, signal: budget.signal, checkpoint: budget.check },
          { ...repoContext, signal: budget.signal },
          adapter.load.bind(adapter),
        );
        outcome = result.outcome;
        summary.bytes += result.bytes;
        summary.listings.push({ id: result.listing.id, url: result.listing.url, title: result.listing.title });
        summary.warnings.push(...result.warnings);
      } catch (thrown) {
        if (thrown instanceof StoreFailure) {
          fatal = thrown.cause;
          return;
        }
        if (aborted()) return;
        // A request cut by the budget throws the abort reason: name the budget instead.
        const error = budget.exceeded() ? listingBudgetError(item.url, budgetMs, budget.step()) : toError(thrown);
        const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
        if (code === 'E_ROBOTS') {
          outcome = 'skipped';
        } else if (adapter.skipCodes?.has(code) === true) {
          outcome = 'skipped';
          summary.failures.push({ url: item.url, code, reason: error.message, stage: 'skipped' });
        } else {
          outcome = 'failed';
          summary.failures.push({ url: item.url, code, reason: error.message, stage: 'listing' });
        }
      } finally {
        budget.dispose();
      }
      summary[outcome] += 1;
      done += 1;
      options.onProgress?.({ phase: 'listing', done, total: items.length, url: item.url, outcome });
    }
  };

  // The fetcher enforces per-host politeness; this only bounds how many listings are in flight.
  const workers = Math.max(1, Math.min(context.source.politeness.concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  if (fatal !== undefined) throw fatal;
  signal?.throwIfAborted();
  // Incremental state (a registry's updated_since) moves on only after a complete, clean crawl.
  if (discovered.commit !== undefined && summary.failed === 0 && discovered.errors.length === 0) {
    await discoverOrThrow(() => (discovered.commit as () => Promise<void>)());
  }
  // Workers finish out of order; a stable order keeps output diffable.
  summary.listings.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  return summary;
}

/** Runs discovery work, turning a store failure into the store's own error (fatal for the crawl). */
async function discoverOrThrow<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (thrown) {
    if (thrown instanceof StoreFailure) throw thrown.cause;
    throw thrown;
  }
}

/** Loads, enriches, tracks and stores one item. Throws the load error on failure. */
async function crawlItem(
  item: DiscoveredItem,
  context: AdapterContext,
  repoContext: RepoContext,
  load: (item: DiscoveredItem, context: AdapterContext) => Promise<Loaded>,
): Promise<{ outcome: 'fetched' | 'unchanged'; listing: Pick<Listing, 'id' | 'url' | 'title'>; bytes: number; warnings: CrawlWarning[] }> {
  const { store, checkpoint } = context;
  checkpoint('fetching the page');
  const loaded = await load(item, context);
  if ('unchanged' in loaded) return { outcome: 'unchanged', listing: loaded.unchanged, bytes: loaded.bytes, warnings: [] };
  let bytes = loaded.bytes;
  let listing: Listing;
  let stored: Listing | null;
  checkpoint('fetching the README');
  if (loaded.notModified) {
    stored = loaded.listing;
    const refreshed = await refreshRepo(stored, repoContext);
    bytes += refreshed.bytes;
    if (refreshed.listing === null) return { outcome: 'unchanged', listing: stored, bytes, warnings: [] };
    listing = refreshed.listing;
  } else {
    const enrichment = await enrichRepo(loaded.listing, repoContext, undefined);
    bytes += enrichment.bytes;
    listing = enrichment.repo === undefined ? loaded.listing : withRepo(loaded.listing, enrichment.repo);
    stored = await storeCall(() => store.listings.get(listing.id));
  }
  checkpoint('storing');

  const unchanged = stored !== null && stored.contentHash === listing.contentHash;
  let flags: ListingFlag[] = [];
  if (!unchanged) flags = await recordVersion(store, listing, stored);
  // Same content at a new address (a directory that moved, the demo on another port): the stored
  // listing follows the address, so links to it work, without a new version.
  if (!unchanged || stored?.url !== listing.url) await storeCall(() => store.listings.put(listing));
  if (loaded.validators !== undefined) {
    const { key, etag, lastModified } = loaded.validators;
    await storeCall(() => store.cache.set(FETCH_CACHE_NAMESPACE, key, withoutUndefined({ etag, lastModified, contentHash: listing.contentHash, listingId: listing.id })));
  }
  const warnings: CrawlWarning[] = flags.map((flag) => ({
    id: listing.id,
    url: listing.url,
    code: flag,
    message: `${listing.title}: its package, remote or tool definitions changed while its version (${String(listing.document?.data['version'] ?? '?')}) stayed the same`,
  }));
  if (!unchanged && listing.document !== undefined && listing.document.warnings.length > 0) {
    warnings.push({ id: listing.id, url: listing.url, code: 'document-fields', message: `${listing.title}: ${listing.document.warnings.slice(0, 3).join('; ')}` });
  }
  return { outcome: unchanged ? 'unchanged' : 'fetched', listing, bytes, warnings };
}

/**
 * Records the new version of a listing that changed (versions are kept from the first change on:
 * the stored listing becomes the first version then) and returns the flags the change earned.
 * Versions are written before the listing, and adding one is idempotent, so a crash between the
 * two writes is repaired by the next crawl.
 */
async function recordVersion(store: Store, listing: Listing, stored: Listing | null): Promise<ListingFlag[]> {
  if (stored === null) return [];
  const history = await storeCall(() => store.listings.versions(listing.id));
  const newest = history.at(-1);
  if (newest === undefined) await storeCall(() => store.listings.addVersion(listing.id, versionOf(stored, null)));
  const version = versionOf(listing, { listing: stored, facts: newest?.contentHash === stored.contentHash ? newest.facts : null });
  await storeCall(() => store.listings.addVersion(listing.id, version));
  return version.flags;
}

/** Headless Chromium through playwright-core, every request through `fetcher` (loaded only when a source needs it). */
function defaultRenderer(fetcher: Fetcher, executablePath: string | undefined): PageRenderer {
  let loading: Promise<PageRenderer> | undefined;
  const get = (): Promise<PageRenderer> => {
    loading ??= import('./render/chromium.js').then(({ ChromiumRenderer }) => new ChromiumRenderer({ fetcher, executablePath }));
    return loading;
  };
  return {
    render: async (url, html, signal) => (await get()).render(url, html, signal),
    close: async () => {
      if (loading !== undefined) await (await loading).close();
    },
  };
}
