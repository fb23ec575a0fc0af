import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from '../../schemas/source.js';
import {
  discover,
  listingCap,
  MAX_SITEMAP_DEPTH,
  parseIndexPage,
  parseListingLinks,
  parseNextPage,
  parseSitemap,
} from '../../src/crawl/discover.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';

const PAGE = 'https://dir.example/agents/?page=1';

describe('parseListingLinks', () => {
  it('resolves matched anchors against the page URL, normalised, in document order', () => {
    const html = `<ul>
      <li><a class="agent" href="/agents/beta/">Beta</a></li>
      <li><a class="agent" href="alpha#reviews">Alpha</a></li>
      <li><a class="agent" href="HTTPS://DIR.EXAMPLE:443/agents/gamma?b=2&a=1">Gamma</a></li>
      <li><a class="other" href="/about">About</a></li>
    </ul>`;
    expect(parseListingLinks(html, PAGE, 'a.agent')).toEqual([
      'https://dir.example/agents/beta',
      'https://dir.example/agents/alpha',
      'https://dir.example/agents/gamma?a=1&b=2',
    ]);
  });

  it('de-duplicates links that normalise to the same URL', () => {
    const html = `<a class="a" href="/x">1</a><a class="a" href="/x/">2</a><a class="a" href="/x#top">3</a><a class="a" href="https://dir.example/x">4</a>`;
    expect(parseListingLinks(html, PAGE, '.a')).toEqual(['https://dir.example/x']);
  });

  it('drops non-http links and links back to the page itself', () => {
    const html = `<div class="c"><a href="mailto:a@b.c">m</a></div>
      <a class="c" href="javascript:void(0)">j</a><a class="c" href="data:text/html,x">d</a>
      <a class="c" href="">empty</a><a class="c" href="#top">frag</a><a class="c" href="ftp://dir.example/f">ftp</a>
      <a class="c" href="http://[bad">bad</a><a class="c" href="/ok">ok</a>`;
    expect(parseListingLinks(html, PAGE, '.c')).toEqual(['https://dir.example/ok']);
  });

  it('takes the first anchor inside a matched card that is not itself a link', () => {
    const html = `<div class="card"><h2>Alpha</h2><a href="/a">more</a><a href="/a-2">also</a></div>
      <div class="card"><a href="/b">Beta</a></div><div class="card">no link</div>`;
    expect(parseListingLinks(html, PAGE, '.card')).toEqual(['https://dir.example/a', 'https://dir.example/b']);
  });

  it('honours <base href> for relative links', () => {
    const html = `<html><head><base href="https://cdn.dir.example/listings/"></head><body><a class="a" href="one">1</a></body></html>`;
    expect(parseListingLinks(html, PAGE, '.a')).toEqual(['https://cdn.dir.example/listings/one']);
  });

  it('returns nothing when the selector matches nothing', () => {
    expect(parseListingLinks('<p>empty directory</p>', PAGE, 'a.agent')).toEqual([]);
  });
});

describe('parseNextPage', () => {
  it('returns the first usable next link, resolved and normalised', () => {
    const html = `<nav><a rel="next" href="#">skip</a><a rel="next" href="?page=2#list">Next</a></nav>`;
    expect(parseNextPage(html, PAGE, 'a[rel=next]')).toBe('https://dir.example/agents?page=2');
  });

  it('returns null on the last page', () => {
    expect(parseNextPage('<nav><span class="next">Next</span></nav>', PAGE, 'a.next')).toBeNull();
  });

  it('parses listings and next page from one document', () => {
    const html = `<a class="l" href="/a/1">1</a><a class="n" href="/p/2">next</a>`;
    expect(parseIndexPage(html, PAGE, { listingLinks: '.l', nextPage: '.n' })).toEqual({
      listings: ['https://dir.example/a/1'],
      next: 'https://dir.example/p/2',
    });
  });

  it('hardening #1 (hostile nesting): finds the links of an index page nested 100,000 deep, in bounded time', () => {
    const depth = 100_000;
    const html = `<a class="l" href="/a/1">1</a>${'<div>'.repeat(depth)}<a class="l" href="/a/2">2</a>${'</div>'.repeat(depth)}<a class="n" href="/p/2">next</a>`;
    expect(parseIndexPage(html, PAGE, { listingLinks: '.l', nextPage: '.n' })).toEqual({
      listings: ['https://dir.example/a/1'],
      next: 'https://dir.example/p/2',
    });
  });
});

describe('parseSitemap', () => {
  it('hardening #1 (hostile nesting): reads a sitemap wrapped in 100,000 nested elements in one streaming pass', () => {
    const depth = 100_000;
    const xml = `<urlset><url><loc>https://dir.example/a</loc></url>${'<x>'.repeat(depth)}<url><loc>https://dir.example/deep</loc></url>${'</x>'.repeat(depth)}<url><loc>https://dir.example/b</loc></url></urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/a', 'https://dir.example/b'] });
  });

  it('decodes entities and CDATA in loc, and keeps a loc cut off by the end of the document', () => {
    const xml = `<urlset><url><loc><![CDATA[https://dir.example/c?a=1&b=2]]></loc></url><url><loc>https://dir.example/&#100;&amp;x</loc></url><url><loc>https://dir.example/cut`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({
      kind: 'urlset',
      urls: ['https://dir.example/c?a=1&b=2', 'https://dir.example/d&x', 'https://dir.example/cut'],
    });
  });

  it('reads page URLs from a urlset, resolved, normalised and de-duplicated', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc> https://dir.example/agents/a/ </loc><lastmod>2024-01-01</lastmod></url>
        <url><loc>https://dir.example/agents/a</loc></url>
        <url><loc>https://dir.example/agents/b?z=1&amp;y=2</loc></url>
        <url><loc>mailto:nobody@dir.example</loc></url>
      </urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/sitemap.xml')).toEqual({
      kind: 'urlset',
      urls: ['https://dir.example/agents/a', 'https://dir.example/agents/b?y=2&z=1'],
    });
  });

  it('reads child sitemaps from a sitemap index', () => {
    const xml = `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>https://dir.example/sitemap-1.xml</loc></sitemap>
        <sitemap><loc>/sitemap-2.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
      </sitemapindex>`;
    expect(parseSitemap(xml, 'https://dir.example/sitemap.xml')).toEqual({
      kind: 'index',
      sitemaps: ['https://dir.example/sitemap-1.xml', 'https://dir.example/sitemap-2.xml'],
    });
  });

  it('accepts namespace-prefixed elements', () => {
    const xml = `<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:url><sm:loc>https://dir.example/x</sm:loc></sm:url></sm:urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/x'] });
  });

  it('ignores loc elements outside url or sitemap entries (image and alternate extensions)', () => {
    const xml = `<urlset><url><loc>https://dir.example/a</loc><image:image><image:loc>https://dir.example/a.png</image:loc></image:image></url></urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/a'] });
  });

  it('says unknown for documents that are not sitemaps', () => {
    expect(parseSitemap('<html><body>Not found</body></html>', 'https://dir.example/s.xml')).toEqual({ kind: 'unknown' });
  });
});

describe('listingCap', () => {
  it.each([
    [undefined, undefined, Number.POSITIVE_INFINITY],
    [10, undefined, 10],
    [undefined, 7, 7],
    [10, 7, 7],
    [3, 7, 3],
  ])('with maxListings %s and limit %s caps at %s', (maxListings, limit, expected) => {
    expect(listingCap(maxListings === undefined ? {} : { maxListings }, limit)).toBe(expected);
  });
});

// ---- The driver, against a real loopback server. ----

type Route = { status?: number; type?: string; body: string; location?: string };

/** A loopback server serving a fixed route table; records every path requested. */
async function startSite(routes: (origin: string) => Record<string, Route>): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  let table: Record<string, Route> = {};
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const route = table[path];
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(route.status ?? 200, { 'content-type': route.type ?? 'text/html; charset=utf-8', ...(route.location === undefined ? {} : { location: route.location }) })
      .end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = routes(origin);
  return { origin, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function source(origin: string, overrides: Partial<SourceConfigInput> = {}): SourceConfig {
  return sourceConfigSchema.parse({
    id: 'test-dir',
    name: 'Test directory',
    start: [`${origin}/page/1`],
    listingLinks: 'a.agent',
    nextPage: 'a.next',
    allowPrivateNetwork: true,
    ...overrides,
  });
}

function indexPage(links: string[], next?: string): Route {
  return {
    body: `<html><body>${links.map((href) => `<a class="agent" href="${href}">x</a>`).join('')}${
      next === undefined ? '' : `<a class="next" href="${next}">next</a>`
    }</body></html>`,
  };
}

describe('discover', () => {
  const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 1, intervalMs: 0 }, maxAttempts: 1 });
  let site: Awaited<ReturnType<typeof startSite>>;

  beforeAll(async () => {
    site = await startSite((origin) => ({
      // A pagination cycle: 1 -> 2 -> 3 -> 1, with a duplicate listing across pages.
      '/page/1': indexPage(['/a/1', '/a/2'], '/page/2'),
      '/page/2': indexPage(['/a/3', '/a/1/'], '/page/3'),
      '/page/3': indexPage(['/a/4'], '/page/1#again'),
      // A long chain for the page cap.
      ...Object.fromEntries(
        Array.from({ length: 10 }, (_, index) => [`/long/${index}`, indexPage([`/l/${index}`], `/long/${index + 1}`)]),
      ),
      '/broken': { status: 500, body: 'down' },
      // A directory URL: the normalised start URL redirects to it, and its links are relative.
      '/dir': { status: 301, body: '', location: '/dir/' },
      '/dir/': indexPage(['alpha', './beta', '../gamma']),
      '/sitemap.xml': {
        type: 'application/xml',
        body: `<sitemapindex><sitemap><loc>${origin}/sitemaps/a.xml</loc></sitemap><sitemap><loc>/sitemaps/nested.xml</loc></sitemap><sitemap><loc>/sitemaps/missing.xml</loc></sitemap></sitemapindex>`,
      },
      '/sitemaps/a.xml': { type: 'application/xml', body: `<urlset><url><loc>/s/1</loc></url><url><loc>/a/1</loc></url></urlset>` },
      '/sitemaps/nested.xml': {
        type: 'application/xml',
        body: `<sitemapindex><sitemap><loc>/sitemaps/b.xml</loc></sitemap><sitemap><loc>/sitemap.xml</loc></sitemap></sitemapindex>`,
      },
      '/sitemaps/b.xml': { type: 'application/xml', body: `<urlset><url><loc>/s/2</loc></url><url><loc>/s/3</loc></url></urlset>` },
      // Each level names the next: deeper than MAX_SITEMAP_DEPTH.
      ...Object.fromEntries(
        Array.from({ length: MAX_SITEMAP_DEPTH + 2 }, (_, depth) => [
          `/deep/${depth}.xml`,
          { type: 'application/xml', body: `<sitemapindex><sitemap><loc>/deep/${depth + 1}.xml</loc></sitemap></sitemapindex>` },
        ]),
      ),
    }));
  });
  afterAll(async () => {
    await fetcher.close();
    await site.close();
  });
  const pagesRequested = (): string[] => site.requests.filter((path) => path !== '/robots.txt');

  it('follows pagination through a cycle once and stops', async () => {
    site.requests.length = 0;
    const result = await discover(source(site.origin), fetcher);
    expect(result).toEqual({
      urls: ['/a/1', '/a/2', '/a/3', '/a/4'].map((path) => `${site.origin}${path}`),
      pagesVisited: 3,
      pagesUnchanged: 0,
      bytes: expect.any(Number),
      errors: [],
    });
    expect(result.bytes).toBeGreaterThan(0);
    expect(pagesRequested()).toEqual(['/page/1', '/page/2', '/page/3']);
  });

  it('resolves relative links against the exact URL a redirect landed on, trailing slash included', async () => {
    const result = await discover(source(site.origin, { start: [`${site.origin}/dir/`], nextPage: undefined }), fetcher);
    expect(result.urls).toEqual(['/dir/alpha', '/dir/beta', '/gamma'].map((path) => `${site.origin}${path}`));
  });

  it('stops paginating at maxPages', async () => {
    const result = await discover(source(site.origin, { start: [`${site.origin}/long/0`], maxPages: 4 }), fetcher);
    expect(result.pagesVisited).toBe(4);
    expect(result.urls).toEqual([0, 1, 2, 3].map((index) => `${site.origin}/l/${index}`));
  });

  it('caps listings at maxListings and at the smaller --limit, without fetching further pages', async () => {
    site.requests.length = 0;
    const capped = await discover(source(site.origin, { maxListings: 3 }), fetcher);
    expect(capped.urls).toEqual(['/a/1', '/a/2', '/a/3'].map((path) => `${site.origin}${path}`));
    expect(capped.pagesVisited).toBe(2);
    const limited = await discover(source(site.origin, { maxListings: 3 }), fetcher, { limit: 1 });
    expect(limited.urls).toEqual([`${site.origin}/a/1`]);
    expect(limited.pagesVisited).toBe(1);
  });

  it('records a failing start page and goes on with the next one', async () => {
    const result = await discover(source(site.origin, { start: [`${site.origin}/broken`, `${site.origin}/page/3`] }), fetcher);
    expect(result.urls).toContain(`${site.origin}/a/4`);
    expect(result.errors).toEqual([{ url: `${site.origin}/broken`, code: 'E_HTTP_5XX', reason: expect.stringContaining(`HTTP 500 from ${site.origin}/broken`) }]);
  });

  it('reads a sitemap index with nested sitemaps, de-duplicating against index pages and skipping repeats', async () => {
    site.requests.length = 0;
    const result = await discover(
      source(site.origin, { start: [`${site.origin}/page/3`], nextPage: undefined, sitemap: `${site.origin}/sitemap.xml` }),
      fetcher,
    );
    expect(result.urls).toEqual(['/a/4', '/s/1', '/a/1', '/s/2', '/s/3'].map((path) => `${site.origin}${path}`));
    expect(result.errors).toEqual([
      expect.objectContaining({ url: `${site.origin}/sitemaps/missing.xml`, code: 'E_HTTP_4XX' }),
    ]);
    // The nested index names the root sitemap again: fetched once only.
    expect(pagesRequested().filter((path) => path === '/sitemap.xml')).toHaveLength(1);
    expect(result.pagesVisited).toBe(1 + 5);
  });

  it('stops following sitemap indexes nested deeper than the cap', async () => {
    const result = await discover(source(site.origin, { start: [`${site.origin}/page/3`], nextPage: undefined, sitemap: `${site.origin}/deep/0.xml` }), fetcher);
    expect(result.errors).toEqual([expect.objectContaining({ url: `${site.origin}/deep/${MAX_SITEMAP_DEPTH}.xml`, code: 'E_SITEMAP_DEPTH' })]);
    expect(result.pagesVisited).toBe(1 + MAX_SITEMAP_DEPTH + 1);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(discover(source(site.origin), fetcher, { signal: controller.signal })).rejects.toThrow();
  });
});
