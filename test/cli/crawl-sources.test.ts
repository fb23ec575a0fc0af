/** `threatdraft crawl` with each source type, against the demo server's agent cards, registry and gallery. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { captureIo } from '../helpers/io.js';

const dir = mkdtempSync(join(tmpdir(), 'td-cli-sources-'));
let files = 0;
const write = (value: unknown): string => {
  files += 1;
  const path = join(dir, `source-${files}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

async function crawl(args: string[]) {
  const io = captureIo({ env: { REDIS_URL: '' } });
  const code = await main(['crawl', ...args], io);
  const out = io.out().trim();
  return { code, last: out === '' ? {} : (JSON.parse(out.split('\n').at(-1) as string) as Record<string, unknown>), err: io.err() };
}

describe('threatdraft crawl --source with each source type', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemoServer();
  });
  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sourceOf = (id: string) => demo.sources.find((source) => source.id === id)!;

  it('crawls agent cards (v1.0 and legacy) and tells the card with a bad field on stderr', async () => {
    const result = await crawl(['--source', write(sourceOf('demo-a2a')), '--json', '--data', join(dir, 'a2a')]);
    expect(result.code).toBe(0);
    expect(result.last).toMatchObject({ found: 3, fetched: 3, skipped: 0, failed: 0, failures: [] });
    expect(result.err).toContain('`skills[1]` left out');
  });

  it('crawls the registry page by page, and asks a rerun only for what changed since', async () => {
    const data = join(dir, 'registry');
    const first = await crawl(['--source', write(sourceOf('demo-registry')), '--json', '--data', data]);
    expect(first.last).toMatchObject({ found: 6, fetched: 6, failed: 0 });
    const before = demo.requestsByPath.get('/registry/v0.1/servers') ?? 0;
    const second = await crawl(['--source', write(sourceOf('demo-registry')), '--json', '--data', data]);
    expect(second.code).toBe(0);
    expect(second.last).toMatchObject({ found: 0, fetched: 0 });
    expect((demo.requestsByPath.get('/registry/v0.1/servers') ?? 0) - before).toBe(1);
    expect(second.err).toContain('asked only for servers updated since');
  });

  it('lists a skipped document in failures with its reason, and still exits 0', async () => {
    const result = await crawl(['--source', write({ ...sourceOf('demo-a2a'), start: [`${demo.origin}/a2a/millrow`, `${demo.origin}/registry/servers.json`] }), '--json', '--data', join(dir, 'skip')]);
    expect(result.code).toBe(0);
    expect(result.last).toMatchObject({ found: 2, fetched: 1, skipped: 1, failed: 0, failures: [{ url: `${demo.origin}/registry/servers.json`, code: 'E_SCHEMA', stage: 'skipped', reason: expect.stringContaining('is not a JSON object') }] });
  });

  it.each([
    ['an unknown type', { id: 'x', name: 'X', type: 'rss', start: ['https://x.example/'] }, '`type`'],
    ['an html source without listingLinks', { id: 'x', name: 'X', start: ['https://x.example/'] }, '`listingLinks`: expected a CSS selector (required for an html source)'],
    ['listingLinks on an a2a source', { id: 'x', name: 'X', type: 'a2a', start: ['https://x.example/'], listingLinks: 'a' }, '`listingLinks`: only an html source takes `listingLinks` (this source is a2a)'],
    ['render on a registry', { id: 'x', name: 'X', type: 'mcp-registry', start: ['https://x.example/'], render: 'browser' }, '`render`: only an html source takes `render`'],
    ['an unknown render mode', { id: 'x', name: 'X', start: ['https://x.example/'], listingLinks: 'a', render: 'headless' }, '`render`'],
  ])('exits 2 for %s, naming the field', async (_, config, message) => {
    const result = await crawl(['--source', write(config), '--json', '--data', join(dir, 'bad')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });
});
