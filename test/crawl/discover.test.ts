import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from '../../schemas/source.js';
import { discover, listingCap, MAX_SITEMAP_DEPTH } from '../../src/crawl/discover.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

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

describe('discover revalidating a cached pagination chain', () => {
  /** Index pages with ETags that answer 304 to a matching If-None-Match, after `delayMs`; tracks requests in flight. */
  async function startChain(pages: number, delayMs: number) {
    const table = new Map<string, string>();
    const requests: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const setPage = (index: number, links: string[], next: number | null): void => {
      table.set(`/p/${index}`, indexPage(links, next === null ? undefined : `/p/${next}`).body);
    };
    for (let index = 1; index <= pages; index += 1) setPage(index, [`/agent/${index}`], index < pages ? index + 1 : null);
    const server: Server = createServer((request, response) => {
      const path = request.url ?? '/';
      requests.push(path);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        const body = table.get(path);
        if (body === undefined) {
          response.writeHead(404).end();
          return;
        }
        const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
        if (request.headers['if-none-match'] === etag) response.writeHead(304, { etag }).end();
        else response.writeHead(200, { 'content-type': 'text/html', etag }).end(body);
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      origin,
      requests,
      setPage,
      maxInFlight: () => maxInFlight,
      resetCounts: () => {
        requests.length = 0;
        maxInFlight = 0;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const chainSource = (origin: string, overrides: Partial<SourceConfigInput> = {}): SourceConfig =>
    source(origin, { start: [`${origin}/p/1`], listingLinks: 'a.agent', nextPage: 'a.next', politeness: { concurrency: 4, intervalMs: 0 }, ...overrides });

  it('sends the conditional GETs of an unchanged chain together, and finds the same listings', async () => {
    const site = await startChain(8, 20);
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    const cache = createMemoryStore().cache;
    try {
      const first = await discover(chainSource(site.origin), fetcher, { cache });
      // Nothing cached yet: the walk can only learn each next page from the page before it.
      expect(site.maxInFlight()).toBe(1);
      site.resetCounts();
      const again = await discover(chainSource(site.origin), fetcher, { cache });
      expect(again.urls).toEqual(first.urls);
      expect(again.urls).toHaveLength(8);
      expect(again.pagesUnchanged).toBe(8);
      expect(site.requests.sort()).toEqual(Array.from({ length: 8 }, (_, index) => `/p/${index + 1}`).sort());
      expect(site.maxInFlight()).toBeGreaterThan(1);
      expect(site.maxInFlight()).toBeLessThanOrEqual(4);
    } finally {
      await fetcher.close();
      await site.close();
    }
  });

  it('puts one abort listener on the crawl signal however many pages are in flight under it', async () => {
    const site = await startChain(24, 20);
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 16, intervalMs: 0 }, maxAttempts: 1 });
    const cache = createMemoryStore().cache;
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const wide = chainSource(site.origin, { politeness: { concurrency: 16, intervalMs: 0 } });
      await discover(wide, fetcher, { cache });
      const controller = new AbortController();
      let most = 0;
      const watch = setInterval(() => {
        most = Math.max(most, getEventListeners(controller.signal, 'abort').length);
      }, 2);
      const again = await discover(wide, fetcher, { cache, signal: controller.signal });
      clearInterval(watch);
      expect(again.urls).toHaveLength(24);
      expect(site.maxInFlight()).toBeGreaterThan(10);
      expect(most).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await fetcher.close();
      await site.close();
    }
  });

  it('follows a changed page to its new links, whatever was requested past it', async () => {
    const site = await startChain(8, 5);
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    const cache = createMemoryStore().cache;
    try {
      await discover(chainSource(site.origin), fetcher, { cache });
      // Page 3 now links to a new listing and skips straight to page 7.
      site.setPage(3, ['/agent/3', '/agent/new'], 7);
      const again = await discover(chainSource(site.origin), fetcher, { cache });
      const fresh = await discover(chainSource(site.origin), fetcher, {});
      expect(again.urls).toEqual(fresh.urls);
      expect(again.urls.map((url) => new URL(url).pathname)).toEqual(['/agent/1', '/agent/2', '/agent/3', '/agent/new', '/agent/7', '/agent/8']);
      expect(again.errors).toEqual([]);
    } finally {
      await fetcher.close();
      await site.close();
    }
  });

  it('looks no further ahead than the listing cap needs', async () => {
    const site = await startChain(8, 5);
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    const cache = createMemoryStore().cache;
    try {
      await discover(chainSource(site.origin), fetcher, { cache });
      site.resetCounts();
      const capped = await discover(chainSource(site.origin), fetcher, { cache, limit: 2 });
      expect(capped.urls).toHaveLength(2);
      expect(site.requests.sort()).toEqual(['/p/1', '/p/2']);
    } finally {
      await fetcher.close();
      await site.close();
    }
  });
});
