import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startDemoServer } from '../../src/crawl/demo-server.js';
import { createFileStore } from '../../src/store/file-store.js';
import { captureIo } from '../helpers/io.js';

const dir = mkdtempSync(join(tmpdir(), 'td-cli-crawl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function sourceFile(content: string): string {
  fileCount += 1;
  const path = join(dir, `source-${fileCount}.json`);
  writeFileSync(path, content);
  return path;
}

async function crawl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(['crawl', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const lastJsonLine = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;

const validSource = {
  id: 'cli-dir',
  name: 'CLI test directory',
  start: ['http://127.0.0.1:9/'],
  listingLinks: 'a.agent',
};

describe('threatdraft crawl: bad input exits 2 and names the problem', () => {
  it('refuses a missing source file', async () => {
    const missing = join(dir, 'does-not-exist.json');
    const result = await crawl(['--source', missing, '--json', '--data', join(dir, 'data-missing')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${missing}: no such file`);
    expect(lastJsonLine(result.out)).toEqual({ error: { code: 'E_SOURCE_FILE', message: expect.stringContaining('no such file') } });
  });

  it('refuses malformed JSON with its line and column', async () => {
    const result = await crawl(['--source', sourceFile('{\n  "id": "x",\n  "name": "y",\n}\n'), '--data', join(dir, 'data-json')]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/malformed JSON at line 4, column 1/);
  });

  it('refuses a schema error naming the field', async () => {
    const result = await crawl(['--source', sourceFile(JSON.stringify({ ...validSource, start: 'http://127.0.0.1:9/' })), '--data', join(dir, 'data-schema')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('`start`');
  });

  it('requires --source', async () => {
    expect((await crawl(['--json'])).code).toBe(2);
  });

  it.each(['0', '-3', 'ten', '2.5', ''])('refuses --limit %j', async (limit) => {
    const result = await crawl(['--source', sourceFile(JSON.stringify(validSource)), '--limit', limit, '--data', join(dir, 'data-limit')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('`--limit` to be a positive integer');
  });
});

describe('threatdraft crawl against the demo directory', () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  let source: string;
  const data = join(dir, 'data-demo');

  beforeAll(async () => {
    demo = await startDemoServer();
    source = sourceFile(JSON.stringify(demo.sourceConfig));
  });
  afterAll(async () => {
    await demo.close();
  });

  it('crawls into the file store and prints the summary as the last JSON line; a recrawl finds everything unchanged', async () => {
    const first = await crawl(['--source', source, '--json', '--data', data, '--raw-base', `${demo.origin}/raw`]);
    expect(first.code).toBe(0);
    const summary = lastJsonLine(first.out) as {
      found: number;
      fetched: number;
      unchanged: number;
      skipped: number;
      failed: number;
      failures: unknown[];
      listings: Array<{ id: string; url: string; title: string }>;
    };
    expect(Object.keys(summary).sort()).toEqual(['failed', 'failures', 'fetched', 'found', 'listings', 'skipped', 'unchanged']);
    expect(summary.found).toBeGreaterThan(0);
    expect(summary.fetched + summary.unchanged + summary.skipped + summary.failed).toBe(summary.found);
    expect(summary.skipped).toBeGreaterThanOrEqual(1);
    expect(summary.listings).toHaveLength(summary.fetched);
    for (const listing of summary.listings) {
      expect(listing).toEqual({ id: expect.stringMatching(/^demo\./), url: expect.stringContaining(demo.origin), title: expect.any(String) });
    }

    const store = createFileStore({ root: data });
    try {
      expect((await store.listings.ids()).sort()).toEqual(summary.listings.map((listing) => listing.id).sort());
    } finally {
      await store.close();
    }

    const before = demo.responses.length;
    const second = lastJsonLine((await crawl(['--source', source, '--json', '--data', data, '--raw-base', `${demo.origin}/raw`])).out);
    expect(second).toMatchObject({ found: summary.found, fetched: 0, unchanged: summary.fetched, skipped: summary.skipped });
    // A new process transfers one body, robots.txt (read once per host per run); index pages,
    // pagination, the sitemap, listings and READMEs are all answered 304 from the file store's fetch cache.
    const recrawl = demo.responses.slice(before);
    expect(recrawl.filter((response) => response.status !== 304).map(({ path, status }) => ({ path, status }))).toEqual([{ path: '/robots.txt', status: 200 }]);
    expect(recrawl.filter((response) => response.status === 304).map((response) => response.path)).toEqual(
      expect.arrayContaining(['/', '/page-2.html', '/page-3.html', '/sitemap.xml', ...summary.listings.map((listing) => new URL(listing.url).pathname)]),
    );
  });

  it('on a TTY, draws a progress bar on stderr and prints the summary as a table', async () => {
    const io = captureIo({ tty: true });
    // The helper makes stdout a TTY; the progress bar goes to stderr, so that is a terminal too.
    Object.assign(io.stderr, { isTTY: true, columns: 120 });
    const data = join(dir, 'data-demo-tty');
    const code = await main(['crawl', '--source', source, '--data', data, '--raw-base', `${demo.origin}/raw`], io);
    expect(code).toBe(0);
    const out = io.out();
    // No JSON on a TTY: a two-column table, the counts of the crawl.
    expect(out).not.toMatch(/^\{/m);
    const rows = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((line) => /^(\S.*?)\s{2,}(\S+)$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    const store = createFileStore({ root: data });
    const stored = await store.listings.ids().finally(() => store.close());
    expect(rows).toEqual({
      source: 'demo',
      found: String(stored.length + 1),
      fetched: String(stored.length),
      unchanged: '0',
      skipped: '1',
      failed: '0',
    });
    // The bar: started once discovery knew the total, and finished at total/total.
    const err = io.err();
    const total = stored.length + 1;
    expect(err).toMatch(new RegExp(`crawl \\[░+\\] 0/${total} \\| ETA \\S+ \\| 4 index pages`));
    expect(err).toMatch(new RegExp(`crawl \\[(\u001b\\[[\\d;]+m)?█+(\u001b\\[0m)?\\] ${total}/${total} \\| ETA 0s \\| (fetched|skipped)`));
    // The cursor, hidden while drawing, is shown again at the end.
    expect(err.lastIndexOf('\u001b[?25h')).toBeGreaterThan(err.lastIndexOf('\u001b[?25l'));
  });

  it('honours --limit', async () => {
    const result = await crawl(['--source', source, '--json', '--limit', '2', '--data', join(dir, 'data-demo-limit'), '--raw-base', `${demo.origin}/raw`]);
    expect(result.code).toBe(0);
    expect(lastJsonLine(result.out)).toMatchObject({ found: 2 });
  });

  it('exits 1 when no index page can be read', async () => {
    const dead = sourceFile(JSON.stringify({ ...demo.sourceConfig, start: [`${demo.origin}/no-such-index.html`], sitemap: undefined }));
    const result = await crawl(['--source', dead, '--json', '--data', join(dir, 'data-dead')]);
    expect(result.code).toBe(1);
    expect(lastJsonLine(result.out)).toMatchObject({ found: 0, failures: [expect.objectContaining({ stage: 'discover', code: 'E_HTTP_4XX' })] });
  });
});
