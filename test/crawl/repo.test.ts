/**
 * Repositories as evidence: the README and the manifests of a listing's GitHub repository, fetched
 * from a raw-file host on loopback with conditional GETs, read by the rules assessor as fields whose
 * evidence is grounded, and refreshed when a manifest changes while the listing page does not.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sourceConfigSchema } from '../../schemas/source.js';
import { runChecks } from '../../src/assess/checks.js';
import { assessWithRules, rulesBasis } from '../../src/assess/rules/assess.js';
import { crawlSource } from '../../src/crawl/crawl.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

describe('repository manifests', () => {
  const files = new Map<string, { type: string; body: string }>();
  const log: Array<{ path: string; status: number }> = [];
  let origin: string;
  let close: () => Promise<void>;
  let store: Store;

  beforeAll(async () => {
    const server = createServer((request, response) => {
      const path = request.url ?? '/';
      const file = files.get(path);
      if (file === undefined) {
        log.push({ path, status: 404 });
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const etag = `"${createHash('sha256').update(file.body).digest('hex').slice(0, 16)}"`;
      if (request.headers['if-none-match'] === etag) {
        log.push({ path, status: 304 });
        response.writeHead(304, { etag }).end();
        return;
      }
      log.push({ path, status: 200 });
      response.writeHead(200, { 'content-type': file.type, etag }).end(file.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
  });
  beforeEach(() => {
    files.clear();
    log.length = 0;
    store = createMemoryStore();
    files.set('/agents', { type: 'text/html', body: '<a class="listing" href="/agents/forge">Forge</a>' });
    files.set('/agents/forge', {
      type: 'text/html',
      body: '<html><body><main><h1>Forge</h1><p>A coding assistant for your repositories.</p><p>Source: <a href="https://github.com/forge/forge">GitHub</a></p></main></body></html>',
    });
    files.set('/raw/forge/forge/HEAD/README.md', { type: 'text/plain', body: '# Forge\n' });
    files.set('/raw/forge/forge/HEAD/package.json', { type: 'text/plain', body: JSON.stringify({ dependencies: { '@modelcontextprotocol/sdk': '^1', openai: '^5', execa: '^9' } }) });
    files.set('/raw/forge/forge/HEAD/Dockerfile', { type: 'text/plain', body: 'FROM node:20-slim\nEXPOSE 3000\n' });
  });

  const crawl = async () => {
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 2, intervalMs: 0 } });
    try {
      const source = sourceConfigSchema.parse({ id: 'repos', name: 'Repos', start: [`${origin}/agents`], listingLinks: 'a.listing', allowPrivateNetwork: true });
      return await crawlSource(source, { fetcher, store, rawBase: `${origin}/raw` });
    } finally {
      await fetcher.close();
    }
  };

  it('reads the manifests next to the README, and the rules assessor quotes them as grounded evidence', async () => {
    const summary = await crawl();
    const listing = (await store.listings.get(summary.listings[0]!.id))!;
    expect(listing.repo).toEqual({
      url: 'https://github.com/forge/forge',
      readme: '# Forge\n',
      error: null,
      truncated: false,
      manifests: [
        { path: 'package.json', facts: 'package.json: depends on @modelcontextprotocol/sdk, openai, execa' },
        { path: 'Dockerfile', facts: 'Dockerfile: builds a container image from node:20-slim; exposes port 3000; runs as root (no USER)' },
      ],
    });
    // Missing manifests are simply not there: no error on the listing.
    expect(log.filter((entry) => entry.status === 404).map((entry) => entry.path).sort()).toEqual(
      ['/raw/forge/forge/HEAD/pyproject.toml', '/raw/forge/forge/HEAD/requirements.txt', '/raw/forge/forge/HEAD/server.json', '/robots.txt'].sort(),
    );
    const fired = rulesBasis(listing).reading.firings.map((firing) => [firing.signal.id, firing.quotes[0]]);
    expect(fired).toEqual(
      expect.arrayContaining([
        ['mcp-sdk-dependency', 'package.json: depends on @modelcontextprotocol/sdk, openai, execa'],
        ['model-client-dependency', 'package.json: depends on @modelcontextprotocol/sdk, openai, execa'],
        ['code-execution-dependency', 'package.json: depends on @modelcontextprotocol/sdk, openai, execa'],
      ]),
    );
    const { checks } = runChecks(listing, assessWithRules(listing));
    expect(checks.grounding.filter((entry) => entry.quote.startsWith('package.json:')).length).toBeGreaterThan(0);
    expect(checks.grounding.every((entry) => entry.grounded)).toBe(true);
  });

  it('re-checks known manifests with conditional GETs on an unchanged page, and picks up a change in one', async () => {
    await crawl();
    log.length = 0;
    const second = await crawl();
    expect(second).toMatchObject({ fetched: 0, unchanged: 1, bytes: 0 });
    // README and the two manifests found before, each a 304; missing ones are not asked for again.
    expect(log.filter((entry) => entry.path.startsWith('/raw/')).map((entry) => `${entry.status} ${entry.path}`).sort()).toEqual([
      '304 /raw/forge/forge/HEAD/Dockerfile',
      '304 /raw/forge/forge/HEAD/README.md',
      '304 /raw/forge/forge/HEAD/package.json',
    ]);
    files.set('/raw/forge/forge/HEAD/Dockerfile', { type: 'text/plain', body: 'FROM node:20-slim\nUSER app\n' });
    const third = await crawl();
    expect(third).toMatchObject({ fetched: 1, unchanged: 0 });
    const listing = (await store.listings.get(third.listings[0]!.id))!;
    expect(listing.repo?.manifests?.find((manifest) => manifest.path === 'Dockerfile')?.facts).toBe('Dockerfile: builds a container image from node:20-slim; runs as user app');
    const versions = await store.listings.versions(listing.id);
    expect(versions.at(-1)!.changes).toEqual([
      { path: 'repo.Dockerfile', change: 'altered', before: 'Dockerfile: builds a container image from node:20-slim; exposes port 3000; runs as root (no USER)', after: 'Dockerfile: builds a container image from node:20-slim; runs as user app' },
    ]);
  });
});
