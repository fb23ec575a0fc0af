import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { readEmbeddedData, unflatten } from '../../src/crawl/embedded.js';
import { extractListing } from '../../src/crawl/extract.js';

const page = (head: string, body = '<h1>Page title</h1>') => `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;
const ld = (value: unknown) => `<script type="application/ld+json">${JSON.stringify(value)}</script>`;
const options = { url: 'https://directory.example/agents/x', sourceId: 'dir', fetchedAt: '2026-01-01T00:00:00.000Z' };

describe('readEmbeddedData', () => {
  it('reads a schema.org SoftwareApplication as fields named as schema.org names them', () => {
    const data = readEmbeddedData(
      load(
        page(
          ld({
            '@context': 'https://schema.org',
            '@graph': [
              { '@type': 'Organization', name: 'Directory Inc', url: 'https://directory.example' },
              {
                '@type': ['SoftwareApplication', 'WebApplication'],
                name: 'Calendar Pilot',
                description: 'Schedules meetings across your team calendars.',
                applicationCategory: 'BusinessApplication',
                operatingSystem: 'Web',
                permissions: 'Reads and writes your Google Calendar',
                featureList: ['Finds free slots', 'Sends invitations'],
                offers: { '@type': 'Offer', price: '0', priceCurrency: 'USD' },
                author: { '@type': 'Organization', name: 'Pilot Labs' },
                sameAs: ['https://github.com/pilot-labs/calendar-pilot'],
              },
            ],
          }),
        ),
      ),
    );
    expect(data.title).toBe('Calendar Pilot');
    expect(data.summary).toBe('Schedules meetings across your team calendars.');
    expect(data.metadata).toMatchObject({
      applicationCategory: 'BusinessApplication',
      operatingSystem: 'Web',
      permissions: 'Reads and writes your Google Calendar',
      featureList: 'Finds free slots; Sends invitations',
      offers: 'free',
      author: 'Pilot Labs',
      organization: 'Directory Inc (https://directory.example)',
    });
    expect(data.capabilities).toEqual(['Finds free slots', 'Sends invitations']);
    expect(data.repositories).toEqual(['https://github.com/pilot-labs/calendar-pilot']);
  });

  it('reads OpenGraph type and site name', () => {
    const data = readEmbeddedData(load(page('<meta property="og:type" content="product"><meta property="og:site_name" content="Agent Hub">')));
    expect(data.metadata).toEqual({ 'og:type': 'product', 'og:site_name': 'Agent Hub' });
  });

  it('finds the listing in a Next.js payload by its name and reads its facts, bookkeeping left out', () => {
    const next = {
      props: {
        pageProps: {
          related: [{ name: 'Other agent', description: 'Something else entirely, not this page.' }],
          agent: {
            id: 'a1',
            slug: 'mail-sorter',
            name: 'Mail Sorter',
            description: 'Sorts your inbox and drafts replies for approval.',
            tools: ['gmail.modify', 'calendar.read'],
            memory: true,
            hostedBy: { name: 'Sorter Co' },
            updatedAt: '2026-01-01',
          },
        },
      },
    };
    const data = readEmbeddedData(load(page(`<script id="__NEXT_DATA__" type="application/json">${JSON.stringify(next)}</script>`)), 'Mail Sorter');
    expect(data.summary).toBe('Sorts your inbox and drafts replies for approval.');
    expect(data.metadata).toEqual({ tools: 'gmail.modify, calendar.read', memory: 'yes', hostedBy: 'Sorter Co' });
  });

  it('rebuilds Nuxt 3 devalue payloads and reads window.__NUXT__ when it is JSON', () => {
    const flat = [{ data: 1 }, ['Reactive', 2], { agent: 3 }, { name: 4, description: 5, deployment: 6 }, 'Ops Bot', 'Restarts services and rolls back deploys.', 'Self-hosted'];
    expect(unflatten(flat)).toEqual({ data: { agent: { name: 'Ops Bot', description: 'Restarts services and rolls back deploys.', deployment: 'Self-hosted' } } });
    const nuxt3 = readEmbeddedData(load(page(`<script id="__NUXT_DATA__" type="application/json">${JSON.stringify(flat)}</script>`)));
    expect(nuxt3.metadata).toEqual({ deployment: 'Self-hosted' });
    const nuxt2 = readEmbeddedData(load(page(`<script>window.__NUXT__={"state":{"item":{"title":"Tutor","summary":"Explains maths step by step to students.","audience":"students"}}}</script>`)));
    expect(nuxt2).toMatchObject({ title: 'Tutor', metadata: { audience: 'students' } });
  });

  it('ignores malformed, hostile or oversized blobs without throwing', () => {
    const cyclic = [{ a: 0 }];
    expect(() => unflatten(cyclic)).not.toThrow();
    const html = page(
      `<script type="application/ld+json">{ not json</script><script id="__NEXT_DATA__" type="application/json">[</script><script type="application/ld+json">${JSON.stringify({ '@type': 'Product', name: 'x'.repeat(1_100_000) })}</script>`,
    );
    expect(readEmbeddedData(load(html))).toEqual({ title: '', summary: '', metadata: {}, capabilities: [], repositories: [] });
  });
});

describe('extractListing with embedded data', () => {
  it('adds the fields to metadata, capabilities, repositories and text; the page’s own win', () => {
    const html = page(
      ld({ '@type': 'SoftwareApplication', name: 'Ld Name', permissions: 'Full disk access', featureList: 'Scans files, Deletes duplicates', codeRepository: 'https://github.com/acme/dedupe' }),
      '<h1>Dedupe</h1><p>Finds duplicate files on your computer and deletes them after you confirm.</p><table><tr><th>permissions</th><td>As stated on the page</td></tr></table>',
    );
    const listing = extractListing(html, options);
    expect(listing.title).toBe('Dedupe');
    expect(listing.fields.metadata['permissions']).toBe('As stated on the page');
    expect(listing.fields.metadata['featureList']).toBe('Scans files; Deletes duplicates');
    expect(listing.fields.capabilities).toEqual(['Scans files', 'Deletes duplicates']);
    expect(listing.fields.repositories).toEqual(['https://github.com/acme/dedupe']);
    expect(listing.text).toContain('featureList: Scans files; Deletes duplicates');
  });

  it('titles and summarises a page that has nothing else from its embedded data', () => {
    const listing = extractListing(page(ld({ '@type': 'WebApplication', name: 'Quiet App', description: 'Turns meeting audio into action items.' }), ''), options);
    expect(listing).toMatchObject({ title: 'Quiet App', summary: 'Turns meeting audio into action items.' });
  });
});
