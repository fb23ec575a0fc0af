/**
 * Browser flows against a real review server and the published site, in Debian's Chromium
 * (never a downloaded browser): one launch for the file, screenshots kept in test-artifacts/.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishSite } from '../../src/publish/publish.js';
import { startReviewServer, type ReviewServer } from '../../src/review/server.js';
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.js';
import { createAssessment, createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const HOSTILE_TITLE = 'Evil Agent</title><script>alert("title")</script>';
const HOSTILE_TEXT = [
  'Evil Agent helps with email. <script>alert("text")</script>',
  'See <img src=x onerror="alert(\'img\')"> and <a href="javascript:alert(\'link\')">docs</a>.',
  'javascript:alert("bare") </textarea></pre><svg onload=alert("svg")>',
].join('\n');

function hostileAssessment(): ReturnType<typeof createAssessment> {
  const assessment = createAssessment({ summary: 'Summary <img src=x onerror=alert("summary")> <script>alert("s")</script>' });
  assessment.factors.dynamicToolUse.evidence = ['<img src=x onerror="alert(\'img\')">'];
  assessment.layers[0]!.text = 'Layer text </textarea><script>alert("layer")</script>';
  return assessment;
}

let store: MemoryStore;
let server: ReviewServer;
let browser: Browser;
let site: Server;
let siteUrl: string;
const tokens: Record<string, string> = {};
const outDir = join(mkdtempSync(join(tmpdir(), 'td-browser-')), 'site');

function serveDir(dir: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.md': 'text/markdown' };
  const httpServer = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      response.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve(httpServer)));
}

/** Fails the test on any dialog; records every request so a test can check none left the allowed set. */
function watch(page: Page): { dialogs: string[]; requests: string[] } {
  const seen = { dialogs: [] as string[], requests: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('request', (request) => seen.requests.push(request.url()));
  return seen;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  store = createMemoryStore();
  await store.listings.put(createListing());
  await store.listings.put(createListing({ id: 'evil-agent', title: HOSTILE_TITLE, url: 'javascript:alert("url")', text: HOSTILE_TEXT }));
  await store.drafts.save(createDraft(), null);
  await store.drafts.save(createDraft({ listingId: 'shared-agent' }), null);
  await store.drafts.save(
    createDraft({
      listingId: 'evil-agent',
      assessment: hostileAssessment(),
      checks: {
        grounding: [{ where: 'factors.dynamicToolUse', quote: '<img src=x onerror="alert(\'img\')">', grounded: true }],
        groundingRate: 1,
        injection: { suspected: true, matches: ['<script>alert("text")</script>'] },
        warnings: [{ code: 'prompt-injection', message: 'Instruction-like text: <script>alert("w")</script>', where: null }],
      },
    }),
    null,
  );
  server = await startReviewServer({ store, port: 0 });
  for (const name of ['alice', 'bob']) tokens[name] = (await server.service.addReviewer(name)).token;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise<void>((resolve) => (site === undefined ? resolve() : site.close(() => resolve())));
});

describe('review UI in a browser', () => {
  it('signs in, edits a factor with a live score preview, saves, approves, publishes and shows the published page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    const seen = watch(page);
    await signIn(page, tokens['alice']!);
    await expect(page.locator('table.queue tbody tr[data-id="acme-ops-agent.r1"]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'review-queue.png'), fullPage: true });

    await page.click('a[href="/drafts/acme-ops-agent.r1"]');
    const preview = page.locator('#preview-score');
    const before = await preview.getAttribute('data-score');
    await page.fill('input[name="factors.selfModification.value"]', '1');
    await page.fill('input[name="cvss.vector"]', 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N');
    await expect.poll(() => preview.getAttribute('data-score'), { timeout: 5000 }).not.toBe(before);
    const previewed = await preview.getAttribute('data-score');
    await page.screenshot({ path: join(ARTIFACTS, 'review-draft.png'), fullPage: true });

    await Promise.all([page.waitForURL(/done=saved/), page.click('#save')]);
    await expect(page.locator('.report [data-score]').textContent()).resolves.toBe(Number(previewed).toFixed(1));
    await expect(page.locator('#version').textContent()).resolves.toBe('2');

    await Promise.all([page.waitForURL(/done=approve/), page.click('form.action-approve button')]);
    await expect(page.locator('#status').textContent()).resolves.toBe('approved');

    await publishSite({ store, outDir, clock: () => new Date('2025-03-01T00:00:00.000Z') });
    site = await serveDir(outDir);
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    await page.goto(`${siteUrl}/index.html`);
    await page.click('a[href="agents/acme-ops-agent/index.html"]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Acme Ops Agent — agentic threat model');
    await expect(page.locator('[data-score]').textContent()).resolves.toBe(Number(previewed).toFixed(1));
    await expect(page.locator('svg.radar').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'published-agent.png'), fullPage: true });
    expect(seen.dialogs).toEqual([]);
    await context.close();
  });

  it('shows the second of two concurrent editors a conflict (409) and keeps their edits in the form', async () => {
    const [alice, bob] = await Promise.all([browser.newContext(), browser.newContext()]);
    alice.setDefaultTimeout(8000);
    bob.setDefaultTimeout(8000);
    const [pageA, pageB] = await Promise.all([alice.newPage(), bob.newPage()]);
    await signIn(pageA, tokens['alice']!);
    await signIn(pageB, tokens['bob']!);
    await Promise.all([pageA.goto(`${server.url}/drafts/shared-agent.r1`), pageB.goto(`${server.url}/drafts/shared-agent.r1`)]);
    await pageA.fill('textarea[name="summary"]', 'Alice rewrote the summary.');
    await Promise.all([pageA.waitForURL(/done=saved/), pageA.click('#save')]);
    await pageB.fill('textarea[name="summary"]', 'Bob’s careful summary, not to be lost.');
    const [response] = await Promise.all([pageB.waitForResponse((r) => r.url().endsWith('/drafts/shared-agent.r1/edit')), pageB.click('#save')]);
    expect(response.status()).toBe(409);
    await expect(pageB.locator('#error').textContent()).resolves.toContain('Conflict: someone else saved this draft');
    await expect(pageB.locator('textarea[name="summary"]').inputValue()).resolves.toBe('Bob’s careful summary, not to be lost.');
    // The form now carries the current version, so saving again goes through with Bob's text.
    await Promise.all([pageB.waitForURL(/done=saved/), pageB.click('#save')]);
    expect((await store.drafts.get('shared-agent.r1'))!.assessment.summary).toBe('Bob’s careful summary, not to be lost.');
    await Promise.all([alice.close(), bob.close()]);
  });

  it('keeps a hostile listing inert in the review UI and on the published site: no dialog, no stray request', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    const seen = watch(page);
    await signIn(page, tokens['bob']!);
    await page.goto(`${server.url}/drafts/evil-agent.r1`);
    await expect(page.title()).resolves.toContain('Evil Agent</title><script>');
    await expect(page.locator('pre.listing').textContent()).resolves.toContain('<script>alert("text")</script>');
    await expect(page.locator('pre.listing mark').first().textContent()).resolves.toContain('<img src=x');
    await expect(page.locator('a[href^="javascript:"], img[src="x"], svg[onload], script:not([src])').count()).resolves.toBe(0);
    // Typing in the form runs the preview script against the hostile draft too.
    await page.fill('input[name="factors.autonomyOfAction.value"]', '0.9');
    await expect.poll(() => page.locator('#preview-score').getAttribute('data-score')).not.toBe(null);
    await page.waitForTimeout(400);
    await Promise.all([page.waitForURL(/done=approve/), page.click('form.action-approve button')]);

    await publishSite({ store, outDir, clock: () => new Date('2025-03-02T00:00:00.000Z') });
    site ??= await serveDir(outDir);
    siteUrl ??= `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    await page.goto(`${siteUrl}/index.html`);
    await page.goto(`${siteUrl}/agents/evil-agent/index.html`);
    await expect(page.locator('h1').textContent()).resolves.toContain('Evil Agent</title><script>');
    await expect(page.locator('a[href^="javascript:"], img, script').count()).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'published-hostile.png'), fullPage: true });

    expect(seen.dialogs).toEqual([]);
    const allowed = [
      /^http:\/\/127\.0\.0\.1:\d+\/(login|drafts\/evil-agent\.r1(\?done=approve|\/approve)?|static\/(app|report)\.css|static\/preview\.js|api\/drafts\/evil-agent\.r1\/preview|)$/,
      /^http:\/\/127\.0\.0\.1:\d+\/(index\.html|style\.css|agents\/evil-agent\/index\.html)$/,
    ];
    expect(seen.requests.filter((url) => !allowed.some((pattern) => pattern.test(url)))).toEqual([]);
    await context.close();
  });
});
