/**
 * The source-adapter port: how one type of source turns into listings. `discover` says what to
 * load; `load` fetches one item and returns its listing. Everything else (conditional-GET
 * bookkeeping, repository enrichment, change tracking, storing, the summary) is the crawl's, shared
 * by every adapter. A new source type is one file implementing this and one line in `index.ts`.
 */
import type { Listing } from '../../../schemas/listing.js';
import type { SourceConfig } from '../../../schemas/source.js';
import type { Store } from '../../store/store.js';
import type { DiscoverError } from '../discover.js';
import type { Fetcher } from '../fetcher.js';
import type { PageRenderer } from '../render/renderer.js';

/** What an adapter may use: the source, the shared fetcher (SSRF guard, robots, politeness), the store, a clock. */
export interface AdapterContext {
  source: SourceConfig;
  fetcher: Fetcher;
  store: Store;
  signal: AbortSignal | undefined;
  now: () => Date;
  /** At most this many listings (combined with the source's `maxListings`). */
  limit: number | undefined;
  /** Token budget of `Listing.text`. */
  maxTokens: number | undefined;
  /** A headless browser for pages that only render with JavaScript (started on first use). */
  renderer: () => PageRenderer;
  /**
   * The URL a listing's id is derived from, for a listing at `url`: `url` itself, or `url` rebased
   * onto another origin (`CrawlOptions.idOrigin`: a directory served on a port picked at run time
   * keeps its ids).
   */
  idUrl: (url: string) => string;
  /**
   * The listing's time budget, while an item is loaded: records the step running now and throws
   * once the budget is spent (a no-op in discovery). Call it between synchronous steps.
   */
  checkpoint: (step: string) => void;
}

/** One thing to load: a URL, and the document itself when discovery already holds it (a registry page lists whole entries). */
export interface DiscoveredItem {
  url: string;
  payload?: unknown;
}

/** A URL or entry that was not used, and why (robots, a document that is not JSON or breaks its schema, …). */
export interface Skip {
  url: string;
  code: string;
  reason: string;
}

/** What discovery found. */
export interface Discovery {
  items: DiscoveredItem[];
  /** Index pages, sitemaps or registry pages requested (304s included). */
  pagesVisited: number;
  bytes: number;
  /** Pages that failed (the crawl goes on without them). */
  errors: DiscoverError[];
  /** Entries refused at discovery. */
  skips: Skip[];
  /**
   * Saves what the next crawl starts from (a registry's `updated_since`); the crawl calls it only
   * when every item was handled and no page failed, so a partial crawl is redone in full.
   */
  commit?: (() => Promise<void>) | undefined;
}

/** One item loaded: its listing, or (a 304 whose stored listing the index vouches for) only what the crawl summary needs. */
export type Loaded = LoadedListing | UnchangedByIndex;

/**
 * A 304 whose stored listing the store's listing index shows unchanged (same content hash, no
 * repository to refresh): the listing itself is not read.
 */
export interface UnchangedByIndex {
  unchanged: { id: string; url: string; title: string };
  bytes: number;
}

/** One item loaded with its listing. */
export interface LoadedListing {
  listing: Listing;
  /** True when a conditional GET answered 304 and `listing` is the stored one. */
  notModified: boolean;
  bytes: number;
  /** The fetch-cache key and validators to keep for the next conditional GET, when the item came from one URL. */
  validators?: { key: string; etag?: string | undefined; lastModified?: string | undefined } | undefined;
}

/** A source type. */
export interface SourceAdapter {
  /**
   * Error codes that mean a published document is unusable as it stands (not JSON, breaks its
   * schema, over the size cap, a redirect to a private address): the item is skipped with the
   * reason, not counted as a failure. robots.txt refusals are always skips.
   */
  readonly skipCodes?: ReadonlySet<string>;
  /**
   * @throws the abort reason when `signal` aborts; a store error when the cache fails. Page
   *   failures are reported in `errors`, not thrown.
   */
  discover(context: AdapterContext): Promise<Discovery>;
  /**
   * @throws the fetch error (`E_ROBOTS` counts as skipped), or `PermanentError` `E_JSON` /
   *   `E_SCHEMA` for a document that is not JSON or breaks its schema.
   */
  load(item: DiscoveredItem, context: AdapterContext): Promise<Loaded>;
}

/** The codes a structured document is skipped for: not JSON, not an accepted type, breaks its schema, over the cap, refused by the SSRF guard. */
export const DOCUMENT_SKIP_CODES: ReadonlySet<string> = new Set(['E_JSON', 'E_SCHEMA', 'E_CONTENT_TYPE', 'E_TOO_LARGE', 'E_SSRF', 'E_DELETED']);
