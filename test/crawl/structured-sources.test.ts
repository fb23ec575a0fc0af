/**
 * The a2a and mcp-registry sources against real HTTP servers on loopback: v1.0 and legacy agent
 * cards, a registry with several cursor pages and an `updated_since` rerun that fetches only the
 * changed servers, change tracking with a possible rug pull, and every bad input (not JSON, a
 * schema break, over the cap, a redirect to a private address, a cursor that loops), each skipped
 * or reported with its reason while the run goes on and nothing stored is lost.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from '../../schemas/source.js';
import { crawlSource } from '../../src/crawl/crawl.js';
import { registryPage, type RegistryEntry } from '../../src/crawl/demo-registry.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'structured');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

/** A loopback server routing by path; JSON answers carry strong ETags and 304 on If-None-Match. */
async function startServer() {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://loopback');
    requests.push(`${url.pathname}${url.search}`);
    const handler = routes.get(url.pathname);
    if (handler === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    handler(request, response, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    routes,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(body: string, type = 'application/json'): Handler {
  return (request, response) => {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { 'content-type': type, etag }).end(body);
  };
}

describe('structured sources', () => {
  let site: Awaited<ReturnType<typeof startServer>>;
  let fetcher: UndiciFetcher;
  let store: Store;
  let clock: Date;

  const source = (overrides: Partial<SourceConfigInput>): SourceConfig =>
    sourceConfigSchema.parse({ id: 'structured', name: 'Structured', politeness: { concurrency: 2, intervalMs: 0 }, start: [site.origin], ...overrides });
  const crawl = (overrides: Partial<SourceConfigInput>, limit?: number) =>
    crawlSource(source(overrides), { fetcher, store, rawBase: `${site.origin}/raw`, now: () => clock, ...(limit === undefined ? {} : { limit }) });

  beforeAll(async () => {
    site = await startServer();
  });
  afterAll(async () => {
    await site.close();
  });
  beforeEach(() => {
    site.routes.clear();
    site.requests.length = 0;
    clock = new Date('2026-02-01T00:00:00.000Z');
    // The loopback server plays a public host: only its own ip:port is trusted, every other private address stays refused.
    fetcher = new UndiciFetcher({ trustedAddresses: [`127.0.0.1:${site.port}`], politeness: { concurrency: 2, intervalMs: 0 }, maxAttempts: 1 });
    store = createMemoryStore();
  });
  afterEach(async () => {
    await fetcher.close();
    await store.close();
  });

  describe('a2a agent cards', () => {
    it('reads a v1.0 card at /.well-known/agent-card.json into a listing that keeps the card and quotes its fields', async () => {
      site.routes.set('/agents/quoter/.well-known/agent-card.json', json(fixture('agent-card-v1.json')));
      const summary = await crawl({ type: 'a2a', start: [`${site.origin}/agents/quoter`] });
      expect(summary).toMatchObject({ found: 1, fetched: 1, skipped: 0, failed: 0, failures: [] });
      const listing = await store.listings.get(summary.listings[0]!.id);
      expect(listing).toMatchObject({
        title: 'NorthPeak Quote Agent',
        url: `${site.origin}/agents/quoter/.well-known/agent-card.json`,
        document: { type: 'a2a-agent-card', schema: 'a2a 1.0', warnings: [] },
      });
      expect(listing!.id).toMatch(/^structured\.northpeak-quote-agent-[0-9a-f]{12}$/);
      // Unknown fields are kept as published.
      expect(listing!.document!.data['x-vendor-rating']).toBe(4.5);
      for (const line of [
        'protocol: A2A 1.0',
        'securitySchemes: oauth2 clientCredentials (scopes: quotes:create, schedule:write)',
        'pushNotifications: supported',
        'signatures: signed agent card (1 JWS signature)',
      ]) {
        expect(listing!.text.split('\n')).toContain(line);
      }
      expect(listing!.text).toMatch(/^skill: Book production slot \(book-slot\): Books a slot/m);
    });

    it('falls back to the legacy /.well-known/agent.json when agent-card.json is not there, and names a bad skill in a warning', async () => {
      site.routes.set('/legacy/.well-known/agent.json', json(fixture('agent-card-legacy.json')));
      const summary = await crawl({ type: 'a2a', start: [`${site.origin}/legacy/`] });
      expect(summary).toMatchObject({ found: 1, fetched: 1, failed: 0 });
      expect(site.requests).toEqual(expect.arrayContaining(['/legacy/.well-known/agent-card.json', '/legacy/.well-known/agent.json']));
      const listing = await store.listings.get(summary.listings[0]!.id);
      expect(listing!.document).toMatchObject({ schema: 'a2a 0.3.0 (legacy)', warnings: ['`skills[1]` left out: `id`: Invalid input: expected string, received number'] });
      expect(listing!.text).toContain('supportedInterfaces: JSONRPC https://helpdesk.harbor.example/a2a (from the legacy url fields)');
      expect(summary.warnings).toEqual([{ id: listing!.id, url: listing!.url, code: 'document-fields', message: expect.stringContaining('`skills[1]` left out') }]);
    });

    it('takes a card URL as given, and answers a recrawl of an unchanged card with a 304 and no body', async () => {
      site.routes.set('/cards/quoter.json', json(fixture('agent-card-v1.json')));
      const first = await crawl({ type: 'a2a', start: [`${site.origin}/cards/quoter.json`] });
      expect(first).toMatchObject({ fetched: 1 });
      const second = await crawl({ type: 'a2a', start: [`${site.origin}/cards/quoter.json`] });
      expect(second).toMatchObject({ found: 1, fetched: 0, unchanged: 1, bytes: 0 });
    });

    it('records what changed in a card as a new version of the same listing', async () => {
      const card = JSON.parse(fixture('agent-card-v1.json')) as Record<string, unknown>;
      site.routes.set('/cards/quoter.json', json(JSON.stringify(card)));
      const first = await crawl({ type: 'a2a', start: [`${site.origin}/cards/quoter.json`] });
      const id = first.listings[0]!.id;
      site.routes.set('/cards/quoter.json', json(JSON.stringify({ ...card, version: '2.4.0', capabilities: { streaming: true, pushNotifications: false } })));
      clock = new Date('2026-02-02T00:00:00.000Z');
      const second = await crawl({ type: 'a2a', start: [`${site.origin}/cards/quoter.json`] });
      expect(second).toMatchObject({ fetched: 1, unchanged: 0 });
      const versions = await store.listings.versions(id);
      expect(versions.map((version) => version.fetchedAt)).toEqual(['2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z']);
      expect(versions[1]!.changes).toEqual(
        expect.arrayContaining([
          { path: 'document.version', change: 'altered', before: '2.3.0', after: '2.4.0' },
          { path: 'document.capabilities.pushNotifications', change: 'altered', before: 'true', after: 'false' },
        ]),
      );
      expect(versions[1]!.flags).toEqual([]);
    });

    it('skips, with the reason, a card that is not JSON, is HTML, breaks the schema, is over the cap or redirects to a private address; the rest is read', async () => {
      site.routes.set('/good/.well-known/agent-card.json', json(fixture('agent-card-v1.json')));
      site.routes.set('/notjson/.well-known/agent-card.json', json('{"name": "Half a card",'));
      site.routes.set('/html/.well-known/agent-card.json', json('<html><body>Welcome</body></html>', 'text/html'));
      site.routes.set('/noname/.well-known/agent-card.json', json(JSON.stringify({ description: 'A card without a name', skills: [] })));
      site.routes.set('/huge/.well-known/agent-card.json', json(JSON.stringify({ name: 'Huge', description: 'x'.repeat(1_100_000) })));
      site.routes.set('/private/.well-known/agent-card.json', (_request, response) => {
        response.writeHead(302, { location: 'http://10.0.0.7/.well-known/agent-card.json' }).end();
      });
      const names = ['good', 'notjson', 'html', 'noname', 'huge', 'private'];
      const summary = await crawl({ type: 'a2a', start: names.map((name) => `${site.origin}/${name}`) });
      expect(summary).toMatchObject({ found: 6, fetched: 1, skipped: 5, failed: 0 });
      expect(summary.failures.every((failure) => failure.stage === 'skipped')).toBe(true);
      const codeOf = (name: string) => summary.failures.find((skip) => skip.url === `${site.origin}/${name}`)?.code;
      expect(names.slice(1).map(codeOf)).toEqual(['E_JSON', 'E_CONTENT_TYPE', 'E_SCHEMA', 'E_TOO_LARGE', 'E_SSRF']);
      for (const skip of summary.failures) expect(skip.reason.length).toBeGreaterThan(10);
      expect(summary.failures.find((skip) => skip.code === 'E_SCHEMA')!.reason).toContain('`name` is missing');
    });

    it('keeps the stored listing when its card later breaks', async () => {
      site.routes.set('/agent/.well-known/agent-card.json', json(fixture('agent-card-v1.json')));
      const first = await crawl({ type: 'a2a', start: [`${site.origin}/agent`] });
      const stored = await store.listings.get(first.listings[0]!.id);
      site.routes.set('/agent/.well-known/agent-card.json', json('not json at all'));
      const second = await crawl({ type: 'a2a', start: [`${site.origin}/agent`] });
      expect(second).toMatchObject({ skipped: 1, failed: 0, failures: [{ code: 'E_JSON', stage: 'skipped' }] });
      expect(await store.listings.get(first.listings[0]!.id)).toEqual(stored);
    });
  });

  describe('mcp registry', () => {
    let entries: RegistryEntry[];
    const pageSize = 2;

    beforeEach(() => {
      entries = JSON.parse(fixture('registry-servers.json')) as RegistryEntry[];
      site.routes.set('/v0.1/servers', (_request, response, url) => {
        const { status, body } = registryPage(entries, url.searchParams, pageSize);
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    const listRequests = () => site.requests.filter((path) => path.startsWith('/v0.1/servers'));
    const update = (name: string, change: (server: Record<string, unknown>) => void, updatedAt: string): void => {
      const entry = entries.find((candidate) => candidate.server['name'] === name)!;
      change(entry.server);
      (entry._meta!['io.modelcontextprotocol.registry/official'] as Record<string, unknown>)['updatedAt'] = updatedAt;
    };

    it('follows every cursor page, then asks a rerun only for servers updated since and fetches only those', async () => {
      const first = await crawl({ type: 'mcp-registry' });
      expect(first).toMatchObject({ found: 5, fetched: 5, skipped: 0, failed: 0, failures: [], pagesVisited: 3 });
      expect(listRequests()).toHaveLength(3);
      expect(listRequests()[0]).toBe('/v0.1/servers?limit=100&version=latest');
      expect(listRequests()[1]).toMatch(/^\/v0\.1\/servers\?limit=100&version=latest&cursor=/);
      const weather = (await store.listings.get(first.listings.find((entry) => entry.title === 'Acme Weather')!.id))!;
      expect(weather).toMatchObject({ url: `${site.origin}/v0.1/servers/io.github.acme%2Fweather/versions/latest`, fields: { category: 'MCP server' }, document: { type: 'mcp-server' } });
      expect(weather.text.split('\n')).toEqual(
        expect.arrayContaining(['packages: npm @acme/weather-mcp 1.4.0 (transport stdio, runtime npx)', 'environmentVariables: WEATHER_API_KEY (secret, required) — OpenWeatherMap API key']),
      );

      update('com.example/postgres', (server) => (server['description'] = 'Read-only SQL against a PostgreSQL database from any MCP client.'), '2026-01-20T00:00:00Z');
      site.requests.length = 0;
      const second = await crawl({ type: 'mcp-registry' });
      // The newest updatedAt the registry reported last time, not this machine's clock.
      expect(listRequests()).toEqual(['/v0.1/servers?limit=100&version=latest&updated_since=2026-01-09T06%3A00%3A00.000Z']);
      expect(second).toMatchObject({ found: 1, fetched: 1, unchanged: 0 });
      expect(second.listings.map((entry) => entry.title)).toEqual(['com.example/postgres']);

      site.requests.length = 0;
      const third = await crawl({ type: 'mcp-registry' });
      expect(listRequests()).toEqual(['/v0.1/servers?limit=100&version=latest&updated_since=2026-01-20T00%3A00%3A00.000Z']);
      expect(third).toMatchObject({ found: 0, fetched: 0 });
    });

    it('flags a possible rug pull when a package changes under the same version, and not when the version moves', async () => {
      const first = await crawl({ type: 'mcp-registry' });
      const id = first.listings.find((entry) => entry.title === 'Acme Weather')!.id;
      update(
        'io.github.acme/weather',
        (server) => ((server['packages'] as Array<Record<string, unknown>>)[0]!['identifier'] = '@acme-weather/mcp-server'),
        '2026-01-21T00:00:00Z',
      );
      const second = await crawl({ type: 'mcp-registry' });
      expect(second.warnings).toEqual([{ id, url: expect.any(String), code: 'possible-rug-pull', message: expect.stringContaining('version (1.4.0) stayed the same') }]);
      const versions = await store.listings.versions(id);
      expect(versions.at(-1)).toMatchObject({ flags: ['possible-rug-pull'], changes: expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^document\.packages\[/), change: expect.any(String) })]) });

      update(
        'io.github.acme/weather',
        (server) => {
          server['version'] = '1.5.0';
          (server['packages'] as Array<Record<string, unknown>>)[0]!['version'] = '1.5.0';
        },
        '2026-01-22T00:00:00Z',
      );
      const third = await crawl({ type: 'mcp-registry' });
      expect(third.warnings).toEqual([]);
      expect((await store.listings.versions(id)).at(-1)!.flags).toEqual([]);
    });

    it('stops a cursor that loops, reports it, keeps what it found, and asks the next crawl for everything again', async () => {
      site.routes.set('/v0.1/servers', (_request, response, url) => {
        const { body } = registryPage(entries, url.searchParams, pageSize);
        const page = body as { metadata: { nextCursor?: string } };
        // Page 2 points back at page 2.
        if (url.searchParams.get('cursor') !== null) page.metadata.nextCursor = url.searchParams.get('cursor')!;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
      });
      const summary = await crawl({ type: 'mcp-registry' });
      expect(summary.failures).toEqual([expect.objectContaining({ code: 'E_CURSOR_LOOP', stage: 'discover', reason: expect.stringContaining('a second time') })]);
      expect(summary).toMatchObject({ found: 4, fetched: 4 });
      // Page 1, then page 2, whose next cursor is its own: asked once, never again.
      expect(listRequests()).toHaveLength(2);
      site.requests.length = 0;
      await crawl({ type: 'mcp-registry' });
      expect(listRequests()[0]).toBe('/v0.1/servers?limit=100&version=latest');
    });

    it('skips entries that break the schema or are deleted, with the reason, and stores the rest', async () => {
      entries.push(
        { server: { description: 'no name at all' } },
        { server: { name: 'io.example/empty', version: '1.0.0' } },
        { server: { name: 'io.example/gone', description: 'Withdrawn server.', version: '0.1.0' }, _meta: { 'io.modelcontextprotocol.registry/official': { status: 'deleted', updatedAt: '2026-01-10T00:00:00Z' } } },
      );
      const summary = await crawl({ type: 'mcp-registry' });
      // One entry refused on the list page (no server name), one at reading (nothing to assess), one deleted.
      expect(summary).toMatchObject({ found: 8, fetched: 5, skipped: 3, failed: 0 });
      expect(summary.failures.map((skip) => `${skip.stage} ${skip.code}`).sort()).toEqual(['skipped E_DELETED', 'skipped E_SCHEMA', 'skipped E_SCHEMA']);
      expect(summary.failures.find((skip) => skip.url.includes('io.example%2Fempty'))!.reason).toContain('nothing to assess');
    });

    it('reports a registry page that is not JSON, is over the cap or redirects to a private address, and stores nothing from it', async () => {
      for (const [handler, code] of [
        [json('<html>maintenance</html>', 'application/json'), 'E_JSON'],
        [json(JSON.stringify({ servers: 'none' })), 'E_SCHEMA'],
        [json(JSON.stringify({ servers: [], padding: 'x'.repeat(200_000) })), 'E_TOO_LARGE'],
        [((_request: IncomingMessage, response: ServerResponse) => response.writeHead(307, { location: 'http://169.254.169.254/v0.1/servers' }).end()) as Handler, 'E_SSRF'],
      ] as const) {
        site.routes.set('/v0.1/servers', handler);
        await fetcher.close();
        fetcher = new UndiciFetcher({ trustedAddresses: [`127.0.0.1:${site.port}`], politeness: { concurrency: 2, intervalMs: 0 }, maxAttempts: 1, maxBodyBytes: 100_000 });
        const summary = await crawl({ type: 'mcp-registry' });
        expect(summary).toMatchObject({ found: 0, fetched: 0, failures: [expect.objectContaining({ code, stage: 'discover' })] });
      }
      expect(await store.listings.ids()).toEqual([]);
    });

    it('stops at --limit and does not move updated_since on a partial crawl', async () => {
      const summary = await crawl({ type: 'mcp-registry' }, 3);
      expect(summary).toMatchObject({ found: 3, fetched: 3 });
      site.requests.length = 0;
      await crawl({ type: 'mcp-registry' });
      expect(listRequests()[0]).toBe('/v0.1/servers?limit=100&version=latest');
    });
  });
});
