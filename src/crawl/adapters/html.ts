/**
 * The `html` adapter (the default): index pages, pagination and sitemaps read with the source's
 * CSS selectors (`discover.ts`), each listing page extracted (`extract.ts`: selectors, generic
 * rules, embedded JSON-LD / OpenGraph / framework data). With `render: browser` every page is built
 * in headless Chromium first; with `render: auto` only a page whose served HTML holds no listing
 * content (an index page with no listing link, a listing page with almost no text) is. A page's
 * validators do not cover the data its scripts load, so with a browser in play every page is
 * fetched in full (no conditional GET); unchanged listings are still found by their content hash.
 */
import type { SourceConfig } from '../../../schemas/source.js';
import { discover } from '../discover.js';
import type { AdapterContext, Discovery, DiscoveredItem, Loaded, SourceAdapter } from './adapter.js';
import { loadConditionally } from './conditional.js';

/** Readable text shorter than this (characters) means the served HTML is an empty shell a script fills in. */
export const MIN_STATIC_TEXT = 120;

/** Whether a listing page's readable text is content, or the text of a shell a script fills in. */
export function isListingContent(readable: string): boolean {
  return readable.replace(/\s+/g, ' ').trim().length >= MIN_STATIC_TEXT;
}

/** The HTML to read for a page: as served, or as Chromium builds it, by the source's `render` mode. */
async function pageHtml(source: SourceConfig, context: AdapterContext, url: string, html: string, hasContent: (html: string) => boolean): Promise<string> {
  const mode = source.render ?? 'static';
  if (mode === 'static' || (mode === 'auto' && hasContent(html))) return html;
  return context.renderer().render(url, html, context.signal);
}

export const htmlAdapter: SourceAdapter = {
  async discover(context: AdapterContext): Promise<Discovery> {
    const { source } = context;
    const browser = (source.render ?? 'static') !== 'static';
    const found = await discover(source, context.fetcher, {
      signal: context.signal,
      limit: context.limit,
      ...(browser
        ? { render: (url: string, html: string, hasContent: (html: string) => boolean) => pageHtml(source, context, url, html, hasContent) }
        : { cache: context.store.cache }),
    });
    return { items: found.urls.map((url) => ({ url })), pagesVisited: found.pagesVisited, bytes: found.bytes, errors: found.errors, skips: [] };
  },

  load(item: DiscoveredItem, context: AdapterContext): Promise<Loaded> {
    const { source } = context;
    return loadConditionally(item.url, context, {
      accept: 'page',
      conditional: (source.render ?? 'static') === 'static',
      toListing: async (result) => {
        // Extraction (cheerio, linkedom, Readability) loads with the first page whose body is read:
        // a recrawl answered by 304s never loads it.
        const { extractListing, readableText } = await import('../extract.js');
        const html = await pageHtml(source, context, result.finalUrl, result.body, (page) => isListingContent(readableText(page)));
        context.checkpoint('extracting');
        return extractListing(html, {
          url: result.finalUrl,
          idUrl: context.idUrl(result.finalUrl),
          sourceId: source.id,
          fetchedAt: context.now().toISOString(),
          fields: source.fields,
          ...(context.maxTokens === undefined ? {} : { maxTokens: context.maxTokens }),
          checkpoint: (step) => context.checkpoint(`extracting (${step})`),
        });
      },
    });
  },
};
