/**
 * Pages that only render in a browser, in the system Chromium through playwright-core: the demo
 * gallery that builds its listings in JavaScript, and a hostile page whose requests must all pass
 * the crawl's SSRF guard, robots.txt and caps (WebSockets and other schemes refused, nothing
 * reaching the network past the interception).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlSource } from '../../src/crawl/crawl.js';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { ChromiumRenderer, type Refusal } from '../../src/crawl/render/chromium.js';
import type { PageRenderer } from '../../src/crawl/render/renderer.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; origin: string; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '/');
    handler?.(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, origin: `http://127.0.0.1:${port}`, port, hits };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('pages rendered in Chromium', () => {
  describe('the demo gallery (render: auto)', () => {
    let demo: DemoServer;
    beforeAll(async () => {
      demo = await startDemoServer();
    });
    afterAll(async () => {
      await demo.close();
    });

    it('builds the index and each listing in the browser and extracts what the scripts wrote', async () => {
      const source = demo.sources.find((candidate) => candidate.id === 'demo-gallery')!;
      expect(source.render).toBe('auto');
      const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 } });
      const store = createMemoryStore();
      let renderer: ChromiumRenderer | undefined;
      try {
        const summary = await crawlSource(source, {
          fetcher,
          store,
          rawBase: demo.rawBase,
          renderer: (shared) => (renderer = new ChromiumRenderer({ fetcher: shared, executablePath: CHROMIUM })),
        });
        expect(summary).toMatchObject({ found: 4, fetched: 4, failed: 0, failures: [] });
        const titles = summary.listings.map((listing) => listing.title).sort();
        expect(titles).toEqual(['Crew Dispatch', 'Inbox Zero Assistant', 'Ledger Scout', 'Repo Janitor']);
        const inbox = (await store.listings.get(summary.listings.find((listing) => listing.title === 'Inbox Zero Assistant')!.id))!;
        expect(inbox.fields.metadata).toMatchObject({ Authentication: 'Google OAuth (gmail.modify)', Deployment: 'Hosted SaaS' });
        expect(inbox.text).toContain('drafts replies for you to approve');
        // Every request the pages made went through the fetcher; none reached the trap proxy.
        expect(renderer!.trappedRequests.filter((line) => line.includes('127.0.0.1'))).toEqual([]);
        expect(demo.requestsByPath.get('/js/listings.json')).toBeGreaterThanOrEqual(5);
      } finally {
        await fetcher.close();
        await store.close();
      }
    });

    it('does not start a browser for pages whose served HTML already holds the listing', async () => {
      const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 } });
      const store = createMemoryStore();
      const refused: PageRenderer = {
        render: () => Promise.reject(new Error('no browser wanted here')),
        close: () => Promise.resolve(),
      };
      try {
        const summary = await crawlSource({ ...demo.sourceConfig, render: 'auto' }, { fetcher, store, rawBase: demo.rawBase, limit: 5, renderer: () => refused });
        expect(summary).toMatchObject({ found: 5, fetched: 5, failed: 0 });
      } finally {
        await fetcher.close();
        await store.close();
      }
    });
  });

  describe('a hostile page', () => {
    let page: Awaited<ReturnType<typeof listen>>;
    let bystander: Awaited<ReturnType<typeof listen>>;
    const pages = new Map<string, { type: string; body: string }>();

    beforeAll(async () => {
      // Another loopback service the page tries to reach: it must never be contacted.
      bystander = await listen((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"secret":"bystander"}'));
      page = await listen((request, response) => {
        const found = pages.get((request.url ?? '/').split('?')[0] ?? '/');
        if (found === undefined) {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        response.writeHead(200, { 'content-type': found.type }).end(found.body);
      });
      pages.set('/robots.txt', { type: 'text/plain', body: 'User-agent: *\nDisallow: /forbidden/\n' });
      pages.set('/data.json', { type: 'application/json', body: JSON.stringify({ text: 'Built from same-origin data.' }) });
      pages.set('/forbidden/data.json', { type: 'application/json', body: JSON.stringify({ text: 'robots says no' }) });
      pages.set('/big.js', { type: 'text/javascript', body: `window.big = "${'x'.repeat(300_000)}";` });
      pages.set('/hostile.html', {
        type: 'text/html',
        body: `<!doctype html><html><head><title>Hostile</title></head><body><main id="out"></main><img src="/pixel.png"><script>
const out = document.getElementById('out');
const note = (text) => { const p = document.createElement('p'); p.textContent = text; out.append(p); };
fetch('/data.json').then((r) => r.json()).then((d) => note(d.text)).catch(() => note('same-origin refused'));
fetch('http://10.0.0.7/latest/meta-data').then(() => note('private reached')).catch(() => note('private refused'));
fetch('http://169.254.169.254/latest/meta-data').then(() => note('metadata reached')).catch(() => note('metadata refused'));
fetch('${'BYSTANDER'}/steal').then(() => note('bystander reached')).catch(() => note('bystander refused'));
fetch('/forbidden/data.json').then(() => note('robots ignored')).catch(() => note('robots refused'));
fetch('/data.json', { method: 'POST', body: 'x' }).then(() => note('post reached')).catch(() => note('post refused'));
try { const ws = new WebSocket('ws://127.0.0.1:${'BYSTANDER_PORT'}/ws'); ws.onopen = () => note('websocket open'); ws.onerror = () => note('websocket refused'); ws.onclose = () => note('websocket closed'); } catch (e) { note('websocket refused'); }
const s = document.createElement('script'); s.src = '/big.js'; s.onerror = () => note('big script refused'); s.onload = () => note('big script loaded'); document.head.append(s);
</script></body></html>`,
      });
      pages.set('/flood.html', {
        type: 'text/html',
        body: `<!doctype html><html><body><main id="out"></main><script>
let ok = 0, refused = 0;
const done = () => { document.getElementById('out').textContent = 'ok ' + ok + ' refused ' + refused; };
Promise.all(Array.from({ length: 10 }, (_, i) => fetch('/data.json?n=' + i).then(() => ok++).catch(() => refused++))).then(done);
</script></body></html>`,
      });
    });
    afterAll(async () => {
      await close(page.server);
      await close(bystander.server);
    });

    const render = async (path: string, options: { maxRequests?: number; maxBytes?: number } = {}) => {
      const refusals: Refusal[] = [];
      // Only the page's own ip:port plays a public host; every other private address stays refused.
      const fetcher = new UndiciFetcher({ trustedAddresses: [`127.0.0.1:${page.port}`], politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
      const renderer = new ChromiumRenderer({ fetcher, executablePath: CHROMIUM, onRefusal: (refusal) => refusals.push(refusal), ...options });
      try {
        const body = pages.get(path)!.body.replaceAll('BYSTANDER_PORT', String(bystander.port)).replaceAll('BYSTANDER', bystander.origin);
        const html = await renderer.render(`${page.origin}${path}`, body);
        return { html, refusals, trapped: [...renderer.trappedRequests] };
      } finally {
        await renderer.close();
        await fetcher.close();
      }
    };

    it('passes every request through the SSRF guard and robots.txt, refuses WebSockets, POSTs and images, and lets nothing past the interception', async () => {
      const { html, refusals, trapped } = await render('/hostile.html', { maxBytes: 200_000 });
      // What the page's script wrote (its own source also holds the words, so only the output is read).
      const out = /<main id="out">([\s\S]*?)<\/main>/.exec(html)?.[1] ?? '';
      for (const outcome of ['Built from same-origin data.', 'private refused', 'metadata refused', 'bystander refused', 'robots refused', 'post refused', 'big script refused']) {
        expect(out).toContain(outcome);
      }
      expect(out).not.toMatch(/private reached|metadata reached|bystander reached|robots ignored|post reached|websocket open|big script loaded/);
      const reasons = refusals.map((refusal) => `${refusal.url} ${refusal.reason}`).join('\n');
      expect(reasons).toMatch(/10\.0\.0\.7.*E_SSRF/);
      expect(reasons).toMatch(/169\.254\.169\.254.*E_SSRF/);
      expect(reasons).toMatch(new RegExp(`127\\.0\\.0\\.1:${bystander.port}/steal.*E_SSRF`));
      expect(reasons).toMatch(/forbidden\/data\.json.*E_ROBOTS/);
      expect(reasons).toMatch(/WebSocket refused/);
      expect(reasons).toMatch(/POST is not fetched/);
      expect(reasons).toMatch(/pixel\.png image is not needed/);
      expect(reasons).toMatch(/big\.js.*E_TOO_LARGE/);
      expect(bystander.hits).toEqual([]);
      // Nothing the page asked for went past the interception to the trap proxy either.
      expect(trapped.filter((line) => /127\.0\.0\.1|10\.0\.0\.7|169\.254/.test(line))).toEqual([]);
    });

    it('stops at the request cap', async () => {
      const { html, refusals } = await render('/flood.html', { maxRequests: 3 });
      expect(html).toContain('ok 3 refused 7');
      expect(refusals.filter((refusal) => refusal.reason.includes('3-request cap'))).toHaveLength(7);
    });

    it('names the executable when Chromium cannot start', async () => {
      const fetcher = new UndiciFetcher({ trustedAddresses: [`127.0.0.1:${page.port}`] });
      const renderer = new ChromiumRenderer({ fetcher, executablePath: '/nonexistent/chromium' });
      try {
        await expect(renderer.render(`${page.origin}/flood.html`, '<p>x</p>')).rejects.toMatchObject({ code: 'E_RENDER', message: expect.stringContaining('/nonexistent/chromium') });
      } finally {
        await renderer.close();
        await fetcher.close();
      }
    });
  });
});
