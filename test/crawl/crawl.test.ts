import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listingSchema } from '../../schemas/listing.js';
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from '../../schemas/source.js';
import { crawlSource, readmeUrlFor, type CrawlProgress, type CrawlSummary } from '../../src/crawl/crawl.js';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

type Route = { status?: number; type?: string; body: string | Buffer; headers?: Record<string, string> };
type Logged = { path: string; status: number; bytes: number };

/**
 * A small directory on loopback: robots.txt, an index page, listing pages, raw READMEs under
 * /raw/, strong ETags and 304s on If-None-Match, and a log of every response with its body size.
 */
async function startDirectory() {
  const routes = new Map<string, Route>();
  const log: Logged[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const route = routes.get(path) ?? { status: 404, type: 'text/plain', body: 'not found' };
    const status = route.status ?? 200;
    const etag = `"${createHash('sha256').update(route.body).digest('hex').slice(0, 16)}"`;
    if (status === 200 && request.headers['if-none-match'] === etag) {
      log.push({ path, status: 304, bytes: 0 });
      response.writeHead(304, { etag }).end();
      return;
    }
    log.push({ path, status, bytes: Buffer.byteLength(route.body) });
    response
      .writeHead(status, { 'content-type': route.type ?? 'text/html; charset=utf-8', ...(status === 200 ? { etag } : {}), ...route.headers })
      .end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, routes, log, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function listingPage(title: string, body: string, repo?: string): Route & { body: string } {
  return {
    body: `<!doctype html><html><head><title>${title}</title><meta name="description" content="${title} is an agent."></head>
<body><main><h1>${title}</h1><p>${body}</p>${repo === undefined ? '' : `<p>Source: <a href="${repo}">${repo}</a></p>`}</main></body></html>`,
  };
}

const README = '# Alpha\n\nAlpha calls tools and keeps long-term memory.\n';

describe('crawlSource', () => {
  let site: Awaited<ReturnType<typeof startDirectory>>;
  let fetcher: UndiciFetcher;
  let store: Store;

  const source = (overrides: Partial<SourceConfigInput> = {}): SourceConfig =>
    sourceConfigSchema.parse({
      id: 'loop-dir',
      name: 'Loopback directory',
      start: [`${site.origin}/agents`],
      listingLinks: 'a.listing',
      allowPrivateNetwork: true,
      politeness: { concurrency: 4, intervalMs: 0 },
      ...overrides,
    });
  const crawl = (overrides: Partial<SourceConfigInput> = {}, extra: { limit?: number; onProgress?: (p: CrawlProgress) => void } = {}) =>
    crawlSource(source(overrides), {
      fetcher,
      store,
      rawBase: `${site.origin}/raw`,
      now: () => new Date('2025-01-02T03:04:05.000Z'),
      ...extra,
    });
  const url = (path: string): string => `${site.origin}${path}`;

  beforeAll(async () => {
    site = await startDirectory();
  });
  afterAll(async () => {
    await site.close();
  });
  beforeEach(() => {
    site.routes.clear();
    site.log.length = 0;
    site.routes.set('/robots.txt', { type: 'text/plain', body: 'User-agent: *\nDisallow: /private/\n' });
    site.routes.set('/agents', {
      body: ['/agents/alpha', '/agents/beta', '/agents/gamma', '/agents/broken', '/private/secret']
        .map((path) => `<a class="listing" href="${path}">${path}</a>`)
        .join('\n'),
    });
    site.routes.set('/agents/alpha', listingPage('Alpha', 'Alpha books travel.', 'https://github.com/acme/alpha'));
    site.routes.set('/agents/beta', listingPage('Beta', 'Beta writes code.', 'https://github.com/acme/ghost'));
    site.routes.set('/agents/gamma', listingPage('Gamma', 'Gamma answers questions.'));
    site.routes.set('/agents/broken', { status: 500, body: 'internal error' });
    site.routes.set('/private/secret', listingPage('Secret', 'Not for crawlers.'));
    site.routes.set('/raw/acme/alpha/HEAD/README.md', { type: 'text/plain; charset=utf-8', body: README });
    // A fresh fetcher per test: robots rules are cached per fetcher.
    fetcher = new UndiciFetcher({
      allowPrivateNetwork: true,
      politeness: { concurrency: 4, intervalMs: 0 },
      maxAttempts: 2,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    store = createMemoryStore();
  });
  afterEach(async () => {
    await fetcher.close();
    await store.close();
  });

  it('fetches, extracts and stores every listing, counting robots refusals and failures', async () => {
    const summary = await crawl();
    expect(summary).toMatchObject({ found: 5, fetched: 3, unchanged: 0, skipped: 1, failed: 1, pagesVisited: 1 });
    expect(summary.failures).toEqual([
      { url: url('/agents/broken'), code: 'E_HTTP_5XX', reason: expect.stringContaining('HTTP 500'), stage: 'listing' },
    ]);
    expect(summary.listings.map((listing) => [listing.url, listing.title])).toEqual([
      [url('/agents/alpha'), 'Alpha'],
      [url('/agents/beta'), 'Beta'],
      [url('/agents/gamma'), 'Gamma'],
    ]);
    // robots.txt was obeyed: the disallowed page was never requested.
    expect(site.log.some((entry) => entry.path === '/private/secret')).toBe(false);
    const ids = await store.listings.ids();
    expect(ids.sort()).toEqual(summary.listings.map((listing) => listing.id).sort());
    for (const id of ids) {
      const stored = await store.listings.get(id);
      expect(listingSchema.safeParse(stored).success).toBe(true);
      expect(stored?.fetchedAt).toBe('2025-01-02T03:04:05.000Z');
    }
  });

  it('attaches the linked repository README and records a README that 404s on repo.error', async () => {
    const summary = await crawl();
    const byTitle = new Map(summary.listings.map((listing) => [listing.title, listing.id]));
    const alpha = await store.listings.get(byTitle.get('Alpha') as string);
    expect(alpha?.repo).toEqual({ url: 'https://github.com/acme/alpha', readme: README, error: null, truncated: false });
    const beta = await store.listings.get(byTitle.get('Beta') as string);
    expect(beta?.repo).toMatchObject({ url: 'https://github.com/acme/ghost', readme: null, truncated: false });
    expect(beta?.repo?.error).toMatch(/^E_HTTP_4XX: HTTP 404/);
    const gamma = await store.listings.get(byTitle.get('Gamma') as string);
    expect(gamma?.repo).toBeUndefined();
  });

  it('caps a long README and marks it truncated', async () => {
    site.routes.set('/raw/acme/alpha/HEAD/README.md', { type: 'text/plain', body: 'x'.repeat(50) });
    const summary = await crawlSource(source(), { fetcher, store, rawBase: `${site.origin}/raw`, readmeMaxChars: 10 });
    const alpha = await store.listings.get(summary.listings.find((listing) => listing.title === 'Alpha')?.id as string);
    expect(alpha?.repo).toEqual({ url: 'https://github.com/acme/alpha', readme: 'x'.repeat(10), error: null, truncated: true });
  });

  it('recrawls unchanged pages with conditional GETs: the index page and every listing answer 304, no body bytes', async () => {
    await crawl();
    site.log.length = 0;
    const second = await crawl();
    expect(second).toMatchObject({ found: 5, fetched: 0, unchanged: 3, skipped: 1, failed: 1, bytes: 0, pagesVisited: 1 });
    expect(second.listings.map((listing) => listing.title)).toEqual(['Alpha', 'Beta', 'Gamma']);
    // Every response of the recrawl, index page included: only the page failing with 500 (which
    // never had a body to cache) sends anything, and that is its error text, twice (two attempts).
    expect(site.log.filter((entry) => entry.status !== 304)).toEqual([
      { path: '/agents/broken', status: 500, bytes: 'internal error'.length },
      { path: '/agents/broken', status: 500, bytes: 'internal error'.length },
    ]);
    expect(site.log.filter((entry) => entry.status === 304).map((entry) => entry.path).sort()).toEqual([
      '/agents',
      '/agents/alpha',
      '/agents/beta',
      '/agents/gamma',
      '/raw/acme/alpha/HEAD/README.md',
    ]);
  });

  it('recrawls paginated index pages, a sitemap index and its sitemaps with 304s alone, still finding every listing', async () => {
    site.routes.set('/agents', {
      body: `<a class="listing" href="/agents/alpha">a</a><a rel="next" href="/agents?page=2">next</a>`,
    });
    site.routes.set('/agents?page=2', { body: `<a class="listing" href="/agents/beta">b</a><a rel="next" href="/agents">back to the start</a>` });
    site.routes.set('/sitemap-index.xml', {
      type: 'application/xml',
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${url('/sitemap-1.xml')}</loc></sitemap></sitemapindex>`,
    });
    site.routes.set('/sitemap-1.xml', {
      type: 'text/xml',
      body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${url('/agents/gamma')}</loc></url></urlset>`,
    });
    const overrides = { nextPage: 'a[rel=next]', sitemap: url('/sitemap-index.xml') };
    const first = await crawl(overrides);
    expect(first).toMatchObject({ found: 3, fetched: 3, pagesVisited: 4 });
    expect(first.bytes).toBeGreaterThan(0);

    site.log.length = 0;
    const second = await crawl(overrides);
    expect(second).toMatchObject({ found: 3, fetched: 0, unchanged: 3, failed: 0, pagesVisited: 4, bytes: 0 });
    expect(second.listings).toEqual(first.listings);
    expect(site.log.map((entry) => [entry.path, entry.status, entry.bytes]).sort()).toEqual(
      [
        ['/agents', 304, 0],
        ['/agents?page=2', 304, 0],
        ['/sitemap-index.xml', 304, 0],
        ['/sitemap-1.xml', 304, 0],
        ['/agents/alpha', 304, 0],
        ['/agents/beta', 304, 0],
        ['/agents/gamma', 304, 0],
        ['/raw/acme/alpha/HEAD/README.md', 304, 0],
      ].sort(),
    );
  });

  it('sends only robots.txt in full to a fresh fetcher (a new process) recrawling an unchanged directory', async () => {
    site.routes.set('/agents', { body: ['/agents/alpha', '/agents/gamma'].map((path) => `<a class="listing" href="${path}">${path}</a>`).join('') });
    await crawl();
    await fetcher.close();
    // What the next `threatdraft crawl` process does: same store, a new fetcher with an empty robots cache.
    fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    site.log.length = 0;
    const second = await crawl();
    expect(second).toMatchObject({ found: 2, fetched: 0, unchanged: 2, bytes: 0 });
    expect(site.log.filter((entry) => entry.status !== 304)).toEqual([
      { path: '/robots.txt', status: 200, bytes: 'User-agent: *\nDisallow: /private/\n'.length },
    ]);
  });

  it('finds the new links of an index page that changed', async () => {
    await crawl();
    site.routes.set('/agents', { body: '<a class="listing" href="/agents/gamma">g</a><a class="listing" href="/agents/delta">d</a>' });
    site.routes.set('/agents/delta', listingPage('Delta', 'Delta drives a browser.'));
    site.log.length = 0;
    const second = await crawl();
    expect(second).toMatchObject({ found: 2, fetched: 1, unchanged: 1 });
    expect(second.listings.map((listing) => listing.title)).toEqual(['Delta', 'Gamma']);
    expect(site.log.find((entry) => entry.path === '/agents')).toMatchObject({ status: 200 });
  });

  it('refetches an index page in full when the source selectors changed, instead of reusing links parsed with the old ones', async () => {
    site.routes.set('/agents', {
      body: '<a class="listing" href="/agents/alpha">a</a><a class="featured" href="/agents/gamma">g</a>',
    });
    expect(await crawl()).toMatchObject({ found: 1 });
    site.log.length = 0;
    const second = await crawl({ listingLinks: 'a.featured' });
    expect(second).toMatchObject({ found: 1, fetched: 1 });
    expect(second.listings.map((listing) => listing.title)).toEqual(['Gamma']);
    expect(site.log.find((entry) => entry.path === '/agents')).toMatchObject({ status: 200 });
  });

  it('refetches an index page whose 304 came from a different redirect target than the cached links', async () => {
    // Same bytes (so the same ETag) behind two URLs; links are relative, so they depend on where the page landed.
    const body = '<a class="listing" href="alpha">a</a>';
    site.routes.set('/v1/alpha', listingPage('Alpha', 'Alpha books travel.'));
    site.routes.set('/v2/alpha', listingPage('Alpha two', 'Alpha moved.'));
    site.routes.set('/v1/', { body });
    site.routes.set('/v2/', { body });
    site.routes.set('/agents', { status: 302, body: '', headers: { location: '/v1/' } });
    const first = await crawl();
    expect(first.listings.map((listing) => listing.url)).toEqual([url('/v1/alpha')]);
    site.routes.set('/agents', { status: 302, body: '', headers: { location: '/v2/' } });
    site.log.length = 0;
    const second = await crawl();
    expect(second.listings.map((listing) => listing.url)).toEqual([url('/v2/alpha')]);
    expect(site.log.filter((entry) => entry.path === '/v2/').map((entry) => entry.status)).toEqual([304, 200]);
  });

  it('reports an index page that answers 304 to a request without validators, and caches nothing for it', async () => {
    site.routes.set('/agents', { status: 304, body: '' });
    const summary = await crawl();
    expect(summary).toMatchObject({ found: 0, failures: [{ url: url('/agents'), code: 'E_HTTP_304', stage: 'discover', reason: expect.stringContaining('304') }] });
    expect(site.log.filter((entry) => entry.path === '/agents')).toHaveLength(1);
    expect(await store.cache.get('fetch', `index ${url('/agents')}`)).toBeNull();
  });

  it('fails a listing, and records a README error, when either answers 304 to a request without validators', async () => {
    site.routes.set('/agents', { body: '<a class="listing" href="/agents/alpha">a</a><a class="listing" href="/agents/gamma">g</a>' });
    site.routes.set('/agents/gamma', { status: 304, body: '' });
    site.routes.set('/raw/acme/alpha/HEAD/README.md', { status: 304, body: '' });
    const summary = await crawl();
    expect(summary).toMatchObject({ found: 2, fetched: 1, failed: 1 });
    expect(summary.failures).toEqual([{ url: url('/agents/gamma'), code: 'E_HTTP_304', reason: expect.stringContaining('without validators'), stage: 'listing' }]);
    const alpha = await store.listings.get(summary.listings[0]?.id as string);
    expect(alpha?.repo).toMatchObject({ readme: null, error: expect.stringMatching(/^E_HTTP_304: /) });
  });

  it('stops with the store error when the fetch cache fails during discovery', async () => {
    const broken: Store = {
      ...store,
      kind: store.kind,
      stats: () => store.stats(),
      close: () => store.close(),
      cache: { ...store.cache, get: async () => Promise.reject(new Error('cache unreadable')) },
    };
    await expect(crawlSource(source(), { fetcher, store: broken, rawBase: `${site.origin}/raw` })).rejects.toThrow('cache unreadable');
    expect(site.log.some((entry) => entry.path === '/agents')).toBe(false);
  });

  it('stores a listing again when its page changes, and only that one', async () => {
    const first = await crawl();
    site.routes.set('/agents/gamma', listingPage('Gamma', 'Gamma now runs shell commands.'));
    const second = await crawl();
    expect(second).toMatchObject({ fetched: 1, unchanged: 2 });
    const gamma = await store.listings.get(first.listings.find((listing) => listing.title === 'Gamma')?.id as string);
    expect(gamma?.text).toContain('Gamma now runs shell commands.');
  });

  it('counts a page whose body changed but whose content did not as unchanged', async () => {
    await crawl();
    // A new ETag (different bytes) for the same readable content.
    const page = listingPage('Gamma', 'Gamma answers questions.');
    site.routes.set('/agents/gamma', { body: page.body.replace('<main>', '<main>\n\n   ') });
    const second = await crawl();
    expect(second).toMatchObject({ fetched: 0, unchanged: 3 });
    expect(second.bytes).toBeGreaterThan(0);
  });

  it('picks up a changed README even when the listing page answers 304', async () => {
    const first = await crawl();
    const alphaId = first.listings.find((listing) => listing.title === 'Alpha')?.id as string;
    const before = await store.listings.get(alphaId);
    site.routes.set('/raw/acme/alpha/HEAD/README.md', { type: 'text/plain', body: '# Alpha\n\nNow with code execution.\n' });
    const second = await crawl();
    expect(second).toMatchObject({ fetched: 1, unchanged: 2 });
    const after = await store.listings.get(alphaId);
    expect(after?.repo?.readme).toBe('# Alpha\n\nNow with code execution.\n');
    expect(after?.contentHash).not.toBe(before?.contentHash);
    expect(site.log.filter((entry) => entry.path === '/agents/alpha').map((entry) => entry.status)).toEqual([200, 304]);
  });

  it('crawls an XHTML listing (application/xhtml+xml, charset in the XML declaration) into a clean listing', async () => {
    site.routes.set('/agents', { body: '<a class="listing" href="/agents/cafe.xhtml">café</a>' });
    site.routes.set('/agents/cafe.xhtml', {
      type: 'application/xhtml+xml',
      body: readFileSync(new URL('../fixtures/crawl/xhtml-latin1.xhtml', import.meta.url)),
    });
    const summary = await crawl();
    expect(summary).toMatchObject({ found: 1, fetched: 1, failed: 0, failures: [] });
    const listing = await store.listings.get(summary.listings[0]?.id as string);
    expect(listing).toMatchObject({
      title: 'Agent Café',
      summary: 'Agent Café réserve des tables et gère les commandes du café de façon autonome.',
      fields: { capabilities: ['Réservations dans le calendrier', 'Paiements par carte via le terminal'], category: 'assistant de café' },
    });
    expect(listing?.text).toContain('Agent Café réserve des tables, gère les commandes et envoie des reçus par courriel.');
    expect(listing?.text).not.toMatch(/<\?xml|DOCTYPE|xmlns/);
  });

  it('extracts malformed, truncated HTML served over HTTP cleanly', async () => {
    site.routes.set('/agents', { body: '<a class="listing" href="/agents/broken-markup">x</a>' });
    site.routes.set('/agents/broken-markup', {
      // Unclosed and misnested tags, stray end tags, unquoted attributes, a NUL byte, and the
      // document cut off in the middle of a tag (as a server that died mid-write would leave it).
      body: [
        '<!doctype html><html><head><title>Night Ops Agent — Dir</title>',
        '<meta name=description content="Night Ops Agent files tickets and restarts services when alerts fire at night.">',
        '<body><div><main><h1>Night Ops Agent</h1>',
        '<p>Night Ops Agent files tickets <b>and <i>restarts services</b></i> when alerts fire.\u0000',
        '<p>It keeps a log of every action</span></div> for the morning shift.',
        '<h2>Capabilities</h2><ul><li>Opens Jira tickets<li>Restarts services over SSH<li>Pages the on-call engineer</ul></div></div>',
        '<table><tr><td>Category<td>ops agent</table>',
        '<p>Source code lives at <a href=https://github.com/nightops/agent class=repo>nightops/agent</a> and',
        '<p>the rest of this page was cut off mid-<a href="https://example.com/x" cla',
      ].join('\n'),
    });
    const summary = await crawl();
    expect(summary).toMatchObject({ found: 1, fetched: 1, failed: 0, failures: [] });
    const listing = await store.listings.get(summary.listings[0]?.id as string);
    expect(listingSchema.safeParse(listing).success).toBe(true);
    expect(listing).toMatchObject({
      title: 'Night Ops Agent',
      summary: 'Night Ops Agent files tickets and restarts services when alerts fire at night.',
      fields: {
        capabilities: ['Opens Jira tickets', 'Restarts services over SSH', 'Pages the on-call engineer'],
        category: 'ops agent',
        repositories: ['https://github.com/nightops/agent'],
      },
    });
    expect(listing?.text).toContain('Night Ops Agent files tickets and restarts services when alerts fire.');
    // The stray </div> closes <main> and the paragraph, as in a browser: the sentence is split, not lost.
    expect(listing?.text).toMatch(/It keeps a log of every action\s+for the morning shift\./);
    expect(listing?.text).toContain('- Restarts services over SSH');
    // No markup, no NUL, nothing of the tag the page was cut off in.
    expect(listing?.text).not.toMatch(/[<>]|cla$|href=/);
    expect(listing?.text.includes('\u0000')).toBe(false);
  });

  it('stops at --limit and at maxListings, whichever is smaller', async () => {
    expect(await crawl({}, { limit: 2 })).toMatchObject({ found: 2, fetched: 2 });
    expect(await crawl({ maxListings: 1 }, { limit: 2 })).toMatchObject({ found: 1 });
  });

  it('reports discovery failures without counting them as failed listings', async () => {
    const summary = await crawl({ start: [`${site.origin}/missing-index`, `${site.origin}/agents`] });
    expect(summary).toMatchObject({ found: 5, failed: 1 });
    expect(summary.failures).toContainEqual({
      url: url('/missing-index'),
      code: 'E_HTTP_4XX',
      reason: expect.stringContaining('404'),
      stage: 'discover',
    });
  });

  it('reports progress: discovery first, then one event per listing', async () => {
    const events: CrawlProgress[] = [];
    await crawl({}, { onProgress: (event) => events.push(event) });
    expect(events[0]).toEqual({ phase: 'discovered', total: 5, pagesVisited: 1 });
    const listingEvents = events.slice(1);
    expect(listingEvents.map((event) => (event.phase === 'listing' ? event.done : -1))).toEqual([1, 2, 3, 4, 5]);
    expect(listingEvents.filter((event) => event.phase === 'listing' && event.outcome === 'skipped')).toHaveLength(1);
  });

  it('stops with the store error when the store fails, instead of counting it per URL', async () => {
    const broken: Store = {
      ...store,
      kind: store.kind,
      stats: () => store.stats(),
      close: () => store.close(),
      listings: { ...store.listings, put: async () => Promise.reject(new Error('disk full')) },
    };
    await expect(crawlSource(source(), { fetcher, store: broken, rawBase: `${site.origin}/raw` })).rejects.toThrow('disk full');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(crawl({}, {}).then(() => crawlSource(source(), { fetcher, store, signal: controller.signal }))).rejects.toThrow('stop');
  });
});

describe('readmeUrlFor', () => {
  it.each([
    ['https://github.com/acme/alpha', 'https://raw.githubusercontent.com/acme/alpha/HEAD/README.md'],
    ['https://github.com/acme/alpha.git', 'https://raw.githubusercontent.com/acme/alpha/HEAD/README.md'],
    ['https://www.github.com/a-b/c.d/', 'https://raw.githubusercontent.com/a-b/c.d/HEAD/README.md'],
    ['https://gitlab.com/acme/alpha', undefined],
    ['https://github.com/acme', undefined],
  ])('maps %s to %s', (repoUrl, expected) => {
    expect(readmeUrlFor(repoUrl)).toBe(expected);
  });

  it('uses a configured raw base', () => {
    expect(readmeUrlFor('https://github.com/acme/alpha', 'http://127.0.0.1:9/raw/')).toBe('http://127.0.0.1:9/raw/acme/alpha/HEAD/README.md');
  });
});

describe('crawlSource against the demo directory', () => {
  let demo: DemoServer;
  let fetcher: UndiciFetcher;
  let store: Store;

  beforeAll(async () => {
    demo = await startDemoServer();
    fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    store = createMemoryStore();
  });
  afterAll(async () => {
    await fetcher.close();
    await store.close();
    await demo.close();
  });

  it('crawls every listing once, then recrawls with no body bytes; robots, README and README 404 as recorded', async () => {
    const run = () => crawlSource(demo.sourceConfig, { fetcher, store, rawBase: demo.rawBase });
    const first = await run();
    expect(first).toMatchObject({ fetched: first.found - 1, unchanged: 0, skipped: 1, failed: 0, failures: [] });
    expect(demo.requestsByPath.get('/private/staff-notes.html')).toBeUndefined();
    const forge = await store.listings.get(first.listings.find((listing) => listing.title === 'Forge Coder')?.id as string);
    expect(forge?.repo).toMatchObject({ url: 'https://github.com/forgehq/forge-coder', error: null, truncated: false });
    expect(forge?.repo?.readme).toMatch(/\S/);
    const patchpilot = await store.listings.get(first.listings.find((listing) => listing.title === 'PatchPilot')?.id as string);
    expect(patchpilot?.repo).toMatchObject({ url: 'https://github.com/patchpilot/patchpilot', readme: null, error: expect.stringMatching(/^E_HTTP_4XX/) });

    const before = demo.responses.length;
    const second = await run();
    expect(second).toMatchObject({ found: first.found, fetched: 0, unchanged: first.fetched, skipped: 1, failed: 0, bytes: 0 });
    expect(second.listings).toEqual(first.listings);
    // No body at all: index pages, pagination, the sitemap, listings and READMEs all answer 304
    // (robots.txt is cached by this fetcher; PatchPilot's missing README is not asked for again).
    const recrawl = demo.responses.slice(before);
    expect(recrawl.filter((response) => response.status !== 304)).toEqual([]);
    expect(recrawl.reduce((sum, response) => sum + response.bytes, 0)).toBe(0);
    const paths = new Set(recrawl.map((response) => response.path));
    for (const path of ['/', '/page-2.html', '/page-3.html', '/sitemap.xml']) expect(paths).toContain(path);
    expect([...paths].filter((path) => path.startsWith('/agents/'))).toHaveLength(first.fetched);
  });
});

describe('the per-listing time budget', () => {
  /**
   * Crawls a directory whose index links `links` (in order): `/a/stall` sends headers and a first
   * chunk, then nothing, so only the budget ends it; every other link is a listing titled by `titles`.
   */
  async function crawlWithStall(links: string[], titles: Record<string, string>, options: { concurrency: number; listingBudgetMs: number }): Promise<{ origin: string; summary: CrawlSummary }> {
    const html = (title: string): string => `<html><body><main><h1>${title}</h1><p>${title} reads tickets.</p></main></body></html>`;
    const stalled: Array<() => void> = [];
    const server = createServer((request, response) => {
      const path = request.url ?? '';
      if (path === '/agents') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(links.map((link) => `<a class="listing" href="${link}">${link}</a>`).join(''));
      } else if (titles[path] !== undefined) {
        response.writeHead(200, { 'content-type': 'text/html' }).end(html(titles[path]));
      } else if (path === '/a/stall') {
        response.writeHead(200, { 'content-type': 'text/html' }).write('<html><body><h1>Stall');
        stalled.push(() => response.destroy());
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const politeness = { concurrency: options.concurrency, intervalMs: 0 };
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness, maxAttempts: 1, robots: false });
    const store = createMemoryStore();
    try {
      const source = sourceConfigSchema.parse({ id: 'slow', name: 'Slow directory', start: [`${origin}/agents`], listingLinks: 'a.listing', allowPrivateNetwork: true, politeness });
      return { origin, summary: await crawlSource(source, { fetcher, store, listingBudgetMs: options.listingBudgetMs }) };
    } finally {
      for (const end of stalled) end();
      await fetcher.close();
      await store.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('a worker whose listing ran out of budget goes on with fresh budgets: the listings after it on the same worker are stored', async () => {
    // One worker: the three listings run one after another under one budget lane.
    const { origin, summary } = await crawlWithStall(['/a/stall', '/a/one', '/a/two'], { '/a/one': 'First Agent', '/a/two': 'Second Agent' }, { concurrency: 1, listingBudgetMs: 500 });
    expect(summary).toMatchObject({ found: 3, fetched: 2, failed: 1 });
    expect(summary.failures.map((failure) => [failure.url, failure.code])).toEqual([[`${origin}/a/stall`, 'E_LISTING_BUDGET']]);
    expect(summary.listings.map((listing) => listing.title)).toEqual(['First Agent', 'Second Agent']);
  });

  it('hardening #1 (hostile listing): a listing that stalls fails alone with E_LISTING_BUDGET naming the step; the others are stored', async () => {
    const { origin, summary } = await crawlWithStall(['/a/ok', '/a/stall'], { '/a/ok': 'Fine Agent' }, { concurrency: 2, listingBudgetMs: 2000 });
    expect(summary).toMatchObject({ found: 2, fetched: 1, failed: 1 });
    expect(summary.listings.map((listing) => listing.title)).toEqual(['Fine Agent']);
    expect(summary.failures).toEqual([
      {
        url: `${origin}/a/stall`,
        code: 'E_LISTING_BUDGET',
        reason: 'Listing did not finish within its 2 s time budget (stopped while fetching the page); raise THREATDRAFT_LISTING_BUDGET_MS if the source is just slow',
        stage: 'listing',
      },
    ]);
  });
});
