/**
 * Change tracking end to end: an MCP registry crawled, assessed and published; then the registry
 * changes a server's package under the same version. The crawl records the version and flags a
 * possible rug pull, the new draft carries the warning, the review queue filters it as "changed
 * since published", and its page shows the listing diff next to the assessment diff.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { load } from 'cheerio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceConfigSchema } from '../../schemas/source.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { crawlSource } from '../../src/crawl/crawl.js';
import { registryPage, type RegistryEntry } from '../../src/crawl/demo-registry.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { assessStage } from '../../src/pipeline/assess-stage.js';
import { createReviewApp } from '../../src/review/app.js';
import { ReviewService } from '../../src/review/service.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { bearer, signIn } from './setup.js';

const entries = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'structured', 'registry-servers.json'), 'utf8')) as RegistryEntry[];

describe('a listing that changed since it was published', () => {
  let server: Server;
  let origin: string;
  const store = createMemoryStore();
  const service = new ReviewService({ store, twoPerson: false });
  const app = createReviewApp({ service });
  let token: string;
  let weatherId: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://loopback');
      const { status, body } = url.pathname === '/v0.1/servers' ? registryPage(entries, url.searchParams, 2) : { status: 404, body: {} };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = (await service.addReviewer('alice')).token;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  const crawlAndAssess = async (at: string) => {
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 2, intervalMs: 0 } });
    try {
      const source = sourceConfigSchema.parse({ id: 'registry', name: 'Registry', type: 'mcp-registry', start: [origin], allowPrivateNetwork: true });
      const summary = await crawlSource(source, { fetcher, store, now: () => new Date(at) });
      const assessor = createRulesAssessor();
      for (const { id } of summary.listings) {
        const listing = (await store.listings.get(id))!;
        await assessStage({ listingId: id, contentHash: listing.contentHash, assessor: 'rules' }, { store, assessor, now: () => new Date(at) });
      }
      return summary;
    } finally {
      await fetcher.close();
    }
  };

  it('is flagged, filtered and shown with both diffs', async () => {
    const first = await crawlAndAssess('2026-02-01T00:00:00.000Z');
    weatherId = first.listings.find((listing) => listing.title === 'Acme Weather')!.id;
    const published = (await store.drafts.current(weatherId))!;
    await store.drafts.save({ ...published, status: 'published' }, published.version);

    const weather = entries[0]!;
    (weather.server['packages'] as Array<Record<string, unknown>>)[0]!['identifier'] = '@acme-weather/mcp-server';
    (weather._meta!['io.modelcontextprotocol.registry/official'] as Record<string, unknown>)['updatedAt'] = '2026-01-30T00:00:00Z';
    const second = await crawlAndAssess('2026-02-02T00:00:00.000Z');
    expect(second.warnings.map((warning) => [warning.id, warning.code])).toEqual([[weatherId, 'possible-rug-pull']]);

    const draft = (await store.drafts.current(weatherId))!;
    expect(draft.revision).toBe(2);
    expect(draft.checks.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'possible-rug-pull', message: expect.stringContaining('document.packages[') })]));

    const { items, counts } = await service.queue({ sort: 'severity', changed: 'yes' });
    expect(items.map((item) => item.id)).toEqual([draft.id]);
    expect(counts.changedSincePublished).toBe(1);
    expect((await service.queue({ sort: 'severity', changed: 'no' })).items.map((item) => item.id)).not.toContain(draft.id);

    const api = (await (await app.request('/api/drafts?changed=yes', { headers: bearer(token) })).json()) as { drafts: Array<{ id: string; changedSincePublished: boolean }> };
    expect(api.drafts).toEqual([expect.objectContaining({ id: draft.id, changedSincePublished: true })]);
    const shown = (await (await app.request(`/api/drafts/${draft.id}`, { headers: bearer(token) })).json()) as { listingChanges: Array<{ path: string; change: string; before: string | null; after: string | null }>; listingFlags: string[] };
    expect(shown.listingFlags).toEqual(['possible-rug-pull']);
    expect(shown.listingChanges).toEqual(
      expect.arrayContaining([
        { path: 'document.packages[@acme-weather/mcp-server].identifier', change: 'added', before: null, after: '@acme-weather/mcp-server' },
        { path: 'document.packages[@acme/weather-mcp].identifier', change: 'removed', before: '@acme/weather-mcp', after: null },
      ]),
    );

    const session = await signIn(app, token);
    const $ = load(await (await app.request(`/drafts/${draft.id}`, { headers: { Cookie: session.cookie } })).text());
    expect($('#listing-changes .alert').text()).toContain('Possible rug pull');
    const paths = $('#listing-changes table.diff tbody tr')
      .toArray()
      .map((row) => $(row).find('td').first().text());
    expect(paths).toContain('document.packages[@acme-weather/mcp-server].identifier');
    expect($('#assessment-changes').text()).toMatch(/Same as published revision 1\.|Against published revision 1:/);
    const queue = load(await (await app.request('/?changed=yes', { headers: { Cookie: session.cookie } })).text());
    expect(queue(`tr[data-id="${draft.id}"] .changed`).text()).toBe('changed since published');
    expect(queue('table.queue tbody tr')).toHaveLength(1);
  });
});
