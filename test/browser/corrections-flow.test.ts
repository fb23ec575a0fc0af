/**
 * A vendor correction in a real browser (Debian's Chromium): from the published page's "Request a
 * correction" link, through the review server's public form, to a reviewer accepting it with the
 * change and approving the new revision, and the republished page saying "Corrected on DATE" with
 * the changed value. The published page's new parts are saved as screenshots in test-artifacts/;
 * with THREATDRAFT_UPDATE_DOCS=1 also as the README's image in docs/.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreAssessment } from '../../src/assess/assess.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { publishSite } from '../../src/publish/publish.js';
import { startReviewServer, type ReviewServer } from '../../src/review/server.js';
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.js';
import { createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { ARTIFACTS_DIR, launchChromium } from './artifacts.js';
import { closeServer, serveDir } from './serve-dir.js';

const DOCS_DIR = join(import.meta.dirname, '..', '..', 'docs');
const NOW = new Date('2026-03-02T09:30:00.000Z');

let store: MemoryStore;
let server: ReviewServer;
let browser: Browser;
let site: Server | undefined;
let siteBase = '';
const tokens: Record<string, string> = {};
const outDir = join(mkdtempSync(join(tmpdir(), 'td-corrections-')), 'site');

const LISTING_TEXT = [
  'Courier Desk: AI email assistant for support teams.',
  'It reads the shared inbox, drafts replies with GPT-4o and sends them on its own after office hours.',
  'It remembers every customer conversation in a vector database to personalise later replies.',
  'Tools: Gmail API, Zendesk API, web search',
  'Authentication: OAuth with each agent’s Google account',
].join('\n');

beforeAll(async () => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  store = createMemoryStore();
  const listing = createListing({ id: 'courier-desk', title: 'Courier Desk', url: 'https://directory.example/agents/courier-desk', summary: '', text: LISTING_TEXT, fields: { capabilities: [], metadata: {}, repositories: [], category: 'customer support' } });
  await store.listings.put(listing);
  const assessment = assessWithRules(listing);
  const published = [
    { reviewer: 'alice', action: 'approve' as const, comment: null, at: '2026-02-20T10:00:00.000Z' },
    { reviewer: 'publisher', action: 'publish' as const, comment: null, at: '2026-02-21T10:00:00.000Z' },
  ];
  await store.drafts.save(createDraft({ listingId: 'courier-desk', status: 'published', assessment, score: scoreAssessment(assessment), reviews: published }), null);
  // A fixed clock and no minimum fill time: the browser fills the form faster than a person would.
  server = await startReviewServer({ store, port: 0, correctionMinFillMs: 0, clock: () => NOW });
  for (const name of ['alice', 'bob']) tokens[name] = (await server.service.addReviewer(name)).token;
  await publishSite({ store, outDir, correctionsUrl: `${server.url}/corrections/new`, clock: () => NOW });
  ({ server: site, url: siteBase } = await serveDir(outDir));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeServer(site);
});

const siteUrl = (): string => siteBase;

describe('vendor corrections in a browser', () => {
  it('a vendor asks through the public form, a reviewer accepts it with the change, and the republished page shows it', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const before = (await store.drafts.get('courier-desk.r1'))!;
    expect(before.assessment.factors.persistentMemory.value).toBeGreaterThan(0);

    // The vendor, from the published page.
    await page.goto(`${siteUrl()}/agents/courier-desk/index.html`);
    await expect(page.locator('[data-corrected]').count()).resolves.toBe(0);
    await Promise.all([page.waitForURL(/\/corrections\/new\?agent=courier-desk$/), page.click('a[data-corrections]')]);
    await page.fill('input[name="name"]', 'Courier Desk, Inc. <security team>');
    await page.fill('input[name="email"]', 'security@courier.example');
    await page.fill('textarea[name="message"]', 'Courier Desk keeps no memory between conversations since v3 <script>alert(1)</script>; see our privacy page.');
    await Promise.all([page.waitForURL(/\/corrections\/status\/c-[a-f0-9]{24}\?key=/), page.click('#correction-form button[type="submit"]')]);
    await expect(page.locator('#correction-status').textContent()).resolves.toBe('open');
    const statusUrl = page.url();
    const id = (await page.locator('#correction-id').textContent()) ?? '';

    // A reviewer signs in, finds it in the corrections queue and accepts it with the change.
    await page.goto(`${server.url}/login`);
    await page.fill('input[name="token"]', tokens['alice']!);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
    await page.click('header.top a[href="/corrections"]');
    await page.click(`tr[data-correction="${id}"] a`);
    await expect(page.locator('#vendor-message').textContent()).resolves.toContain('<script>alert(1)</script>');
    await page.fill('input[name="factors.persistentMemory.value"]', '0');
    await page.fill('textarea[name="reply"]', 'Confirmed against your privacy page: no memory between conversations.');
    await Promise.all([page.waitForURL(`${server.url}/drafts/courier-desk.r2?done=correction`), page.click('section.accept button[type="submit"]')]);
    await expect(page.locator('#correction-note').textContent()).resolves.toContain(id);
    await page.fill('#decision-comment', 'vendor correction checked');
    await Promise.all([page.waitForURL(`${server.url}/drafts/courier-desk.r2?done=approve`), page.click('#decision-form button.approve')]);
    await expect(page.locator('#status').textContent()).resolves.toBe('approved');

    // Republished: the page says it was corrected and shows the new value; r1 is in its history.
    await publishSite({ store, outDir, correctionsUrl: `${server.url}/corrections/new`, clock: () => NOW });
    await page.goto(`${siteUrl()}/agents/courier-desk/index.html`);
    await expect(page.locator('[data-corrected]').textContent()).resolves.toContain('Corrected on 2026-03-02');
    await expect(page.locator('tr[data-factor="persistentMemory"] .factor-value').textContent()).resolves.toBe('0.00');
    await expect(page.locator('.versions li[data-revision="1"] a').getAttribute('href')).resolves.toBe('../../agents/courier-desk/v1/index.html');
    await expect(page.locator('[data-range]').textContent()).resolves.toMatch(/^\(\d+\.\d–\d+\.\d\)$/);
    await expect(page.locator('section.layer a.chip-asi').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('a[data-methodology]').getAttribute('href')).resolves.toBe('../../methodology.html');

    // The new parts of a published page, for the README.
    const top = join(ARTIFACTS_DIR, 'published-report-corrected.png');
    await page.screenshot({ path: top, clip: { x: 0, y: 0, width: 1100, height: 1000 } });
    const lower = join(ARTIFACTS_DIR, 'published-report-threats.png');
    await page.locator('article.report').screenshot({ path: join(ARTIFACTS_DIR, 'published-report-full.png') });
    // Page coordinates: measured on a freshly loaded (unscrolled) page.
    await page.reload();
    const layers = await page.locator('section.layer[data-layer="1"]').boundingBox();
    expect(layers).not.toBeNull();
    await page.screenshot({ path: lower, fullPage: true, clip: { x: 0, y: Math.max(0, layers!.y - 20), width: 1100, height: 1300 } });
    if (process.env['THREATDRAFT_UPDATE_DOCS'] === '1') {
      mkdirSync(DOCS_DIR, { recursive: true });
      copyFileSync(top, join(DOCS_DIR, 'published-report-corrected.png'));
      copyFileSync(lower, join(DOCS_DIR, 'published-report-threats.png'));
    }

    // The vendor sees the reply on their private status page.
    await page.goto(statusUrl);
    await expect(page.locator('#correction-status').textContent()).resolves.toBe('accepted');
    await expect(page.locator('#correction-reply').textContent()).resolves.toBe('Confirmed against your privacy page: no memory between conversations.');
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
