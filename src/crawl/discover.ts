/**
 * Discovery: which listing URLs a directory holds. The parsing helpers are pure (HTML or XML
 * string + base URL in, absolute normalised http(s) URLs out); `discover` is the I/O driver that
 * walks start pages, pagination and sitemaps through the `Fetcher` port.
 */
import { load } from 'cheerio';
import type { SourceConfig } from '../../schemas/source.js';
import { ThreatdraftError, toError } from '../errors.js';
import type { Fetcher } from './fetcher.js';
import { resolveHttpUrl } from './url.js';

/** How deep nested sitemap indexes are followed (index -> index -> urlset is depth 2). */
export const MAX_SITEMAP_DEPTH = 3;

/** The base a document's relative links resolve against: its `<base href>` when present, else its URL. */
function documentBase($: ReturnType<typeof load>, pageUrl: string): string {
  const href = $('base[href]').first().attr('href');
  if (href === undefined) return pageUrl;
  try {
    return new URL(href.trim(), pageUrl).href;
  } catch {
    return pageUrl;
  }
}

/** The link an element stands for: its own href, else the first descendant anchor's href. */
function hrefOf($: ReturnType<typeof load>, element: Parameters<ReturnType<typeof load>>[0]): string | undefined {
  const node = $(element);
  return node.attr('href') ?? node.find('a[href]').first().attr('href');
}

/** `href=""` and `href="#…"` point back at the page itself, never at another listing or page. */
function isSelfLink(href: string): boolean {
  const trimmed = href.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

function uniqueResolved(hrefs: Iterable<string | undefined>, base: string): string[] {
  const seen = new Set<string>();
  for (const href of hrefs) {
    if (href === undefined || isSelfLink(href)) continue;
    const url = resolveHttpUrl(href, base);
    if (url !== undefined) seen.add(url);
  }
  return [...seen];
}

/**
 * Listing links on an index page: the elements matched by `selector` (an anchor, or any element
 * containing one), resolved, normalised, http(s) only, de-duplicated in document order.
 */
export function parseListingLinks(html: string, pageUrl: string, selector: string): string[] {
  return parseIndexPage(html, pageUrl, { listingLinks: selector }).listings;
}

/** The next index page named by `selector` (first usable match), or null when there is none. */
export function parseNextPage(html: string, pageUrl: string, selector: string): string | null {
  return parseIndexPage(html, pageUrl, { listingLinks: null, nextPage: selector }).next;
}

/** Listing links and the next page of one index page, parsed once. */
export function parseIndexPage(
  html: string,
  pageUrl: string,
  selectors: { listingLinks: string | null; nextPage?: string | undefined },
): { listings: string[]; next: string | null } {
  const $ = load(html);
  const base = documentBase($, pageUrl);
  const listings =
    selectors.listingLinks === null
      ? []
      : uniqueResolved(
          $(selectors.listingLinks)
            .toArray()
            .map((element) => hrefOf($, element)),
          base,
        );
  let next: string | null = null;
  if (selectors.nextPage !== undefined) {
    for (const element of $(selectors.nextPage).toArray()) {
      const href = hrefOf($, element);
      if (href === undefined || isSelfLink(href)) continue;
      next = resolveHttpUrl(href, base) ?? null;
      if (next !== null) break;
    }
  }
  return { listings, next };
}

/** What a sitemap document holds: child sitemaps (an index), page URLs (a urlset), or neither. */
export type SitemapDocument =
  | { kind: 'index'; sitemaps: string[] }
  | { kind: 'urlset'; urls: string[] }
  | { kind: 'unknown' };

/**
 * Parses sitemap XML: `<sitemapindex>` gives its child sitemaps, `<urlset>` its page URLs, both
 * resolved against `sitemapUrl`, normalised, http(s) only and de-duplicated.
 */
export function parseSitemap(xml: string, sitemapUrl: string): SitemapDocument {
  const $ = load(xml, { xml: true });
  // Element names are matched on their local part, so a prefixed `<sm:urlset>` parses as well.
  const locsUnder = (parent: string): string[] =>
    $('*')
      .filter((_, element) => localName(element) === parent)
      .children()
      .children()
      .filter((_, element) => localName(element) === 'loc')
      .toArray()
      .map((element) => $(element).text());
  const root = $.root().children().toArray().map(localName);
  if (root.includes('sitemapindex')) return { kind: 'index', sitemaps: uniqueResolved(locsUnder('sitemapindex'), sitemapUrl) };
  if (root.includes('urlset')) return { kind: 'urlset', urls: uniqueResolved(locsUnder('urlset'), sitemapUrl) };
  return { kind: 'unknown' };
}

function localName(element: unknown): string {
  const name = (element as { name?: unknown }).name;
  if (typeof name !== 'string') return '';
  const colon = name.indexOf(':');
  return (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
}

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
}

export interface DiscoverResult {
  /** Listing URLs, normalised and de-duplicated, in discovery order. */
  urls: string[];
  /** Index pages and sitemap documents fetched. */
  pagesVisited: number;
  errors: DiscoverError[];
}

/** The listing cap for a crawl: the smaller of `--limit` and the source's `maxListings`. */
export function listingCap(source: Pick<SourceConfig, 'maxListings'>, limit: number | undefined): number {
  return Math.min(limit ?? Number.POSITIVE_INFINITY, source.maxListings ?? Number.POSITIVE_INFINITY);
}

/**
 * Walks a directory: each start page and its pagination (cycle-safe, at most `maxPages` index
 * pages), then the sitemap and its nested indexes when the source names one, until the listing
 * cap is reached. Pages that fail are recorded in `errors`; discovery itself only throws when aborted.
 */
export async function discover(source: SourceConfig, fetcher: Fetcher, options: DiscoverOptions = {}): Promise<DiscoverResult> {
  const { signal } = options;
  const cap = listingCap(source, options.limit);
  const found = new Set<string>();
  const errors: DiscoverError[] = [];
  let pagesVisited = 0;

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

  // Index pages and pagination.
  const visited = new Set<string>();
  let indexPages = 0;
  for (const start of source.start) {
    let next: string | null = resolveHttpUrl(start, start) ?? null;
    while (next !== null && !full() && indexPages < source.maxPages) {
      signal?.throwIfAborted();
      const pageUrl: string = next;
      if (visited.has(pageUrl)) break;
      visited.add(pageUrl);
      indexPages += 1;
      pagesVisited += 1;
      let body: string;
      let finalUrl: string;
      try {
        const result = await fetcher.fetch(pageUrl, { signal, accept: 'page' });
        body = result.body;
        finalUrl = result.finalUrl;
      } catch (thrown) {
        if (signal?.aborted === true) throw thrown;
        record(pageUrl, thrown);
        break;
      }
      // A redirect to a page seen before is the same cycle under another name.
      const landed = resolveHttpUrl(finalUrl, pageUrl) ?? pageUrl;
      if (landed !== pageUrl && visited.has(landed)) break;
      visited.add(landed);
      const page = parseIndexPage(body, landed, { listingLinks: source.listingLinks, nextPage: source.nextPage });
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
        const result = await fetcher.fetch(url, { signal, accept: 'xml' });
        document = parseSitemap(result.body, result.finalUrl);
      } catch (thrown) {
        if (signal?.aborted === true) throw thrown;
        record(url, thrown);
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

  return { urls: [...found], pagesVisited, errors };
}
