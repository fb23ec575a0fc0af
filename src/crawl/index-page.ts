/**
 * The pure parsers of discovery documents: an index page's listing links and next page (cheerio
 * over a bounded parse), a sitemap's URLs. HTML or XML string and base URL in, absolute normalised
 * http(s) URLs out. `discover.ts` loads this module only when a page's body must be read, so a
 * recrawl answered by 304s loads no HTML parser.
 */
import { load } from 'cheerio';
import { parseBoundedHtml } from './bounded-parse.js';
import { scanSitemap } from './sitemap.js';
import { resolveHttpUrl } from './url.js';

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
  // Bounded: a hostile index page cannot make parsing quadratic (see bounded-parse.ts).
  const $ = load(parseBoundedHtml(html).document);
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
  const scan = scanSitemap(xml);
  if (scan.roots.includes('sitemapindex')) return { kind: 'index', sitemaps: uniqueResolved(scan.sitemapindexLocs, sitemapUrl) };
  if (scan.roots.includes('urlset')) return { kind: 'urlset', urls: uniqueResolved(scan.urlsetLocs, sitemapUrl) };
  return { kind: 'unknown' };
}
