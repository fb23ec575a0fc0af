/**
 * Every review page and every published page in Debian's Chromium: axe-core (WCAG 2.1 AA) finds
 * nothing, no page scrolls sideways at 1280 px (published pages not at 390 px either), and the
 * console stays clean, bull-board's dashboard included. Then the draft page as a reviewer uses it
 * (layout, sticky decision bar, keyboard, the preview's error), bulk approval and publishing from
 * the UI. Screenshots go to test-artifacts/, and with THREATDRAFT_UPDATE_DOCS=1 to docs/ for the README.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assessment } from '../../schemas/assessment.js';
import { scoreAssessment } from '../../src/assess/assess.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { publishSite } from '../../src/publish/publish.js';
import { Corrections } from '../../src/review/corrections.js';
import { startReviewServer, type ReviewServer } from '../../src/review/server.js';
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { ARTIFACTS_DIR, launchChromium } from './artifacts.js';
import { closeServer, serveDir } from './serve-dir.js';

const DOCS_DIR = join(import.meta.dirname, '..', '..', 'docs');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const NOW = new Date('2026-03-02T09:00:00.000Z');

let store: MemoryStore;
let server: ReviewServer;
let browser: Browser;
let site: Server | undefined;
let siteUrl = '';
let token = '';
let correctionPath = '';
let statusPath = '';
const siteDir = join(mkdtempSync(join(tmpdir(), 'td-review-pages-')), 'site');

/** An assessment that scores Low: every factor at 0 on a local, low-impact path. */
function lowAssessment(summary: string): Assessment {
  const assessment = createAssessment({ summary, cvss: { vector: LOW_VECTOR, rationale: 'Runs locally with little impact.' } });
  for (const factor of Object.values(assessment.factors)) factor.value = 0;
  return assessment;
}

async function seed(): Promise<void> {
  // A realistic rules draft from a listing, with evidence to highlight.
  const forge = createListing({
    id: 'forge-agent',
    title: 'Forge Agent',
    url: 'https://agents.example/forge-agent',
    text: 'Forge Agent: autonomous coding agent. Runs bash commands and edits files on its own.\n- Stores API keys for connected services\n- Sends pull-request comments to reviewers\n'.repeat(3),
  });
  await store.listings.put(forge);
  const forgeAssessment = assessWithRules(forge);
  await store.drafts.save(createDraft({ listingId: 'forge-agent', assessment: forgeAssessment, score: scoreAssessment(forgeAssessment) }), null);
  // Low drafts a reviewer may approve in bulk, and one edited down from High, which may not be.
  for (const id of ['quiet-notes', 'calm-notes']) {
    await store.listings.put(createListing({ id, title: id === 'quiet-notes' ? 'Quiet Notes' : 'Calm Notes' }));
    const assessment = lowAssessment(`A note-taking tool (${id}).`);
    await store.drafts.save(createDraft({ listingId: id, assessment, score: scoreAssessment(assessment) }), null);
  }
  await store.listings.put(createListing({ id: 'lowered-agent', title: 'Lowered Agent' }));
  const lowered = lowAssessment('Edited down from High.');
  await store.drafts.save(createDraft({ listingId: 'lowered-agent', assessment: lowered, score: scoreAssessment(lowered), peakSeverity: 'High' }), null);
  // An approved draft whose text no longer matches its values: the publish page holds it back.
  await store.listings.put(createListing({ id: 'stale-agent', title: 'Stale Agent' }));
  await store.drafts.save(
    createDraft({ listingId: 'stale-agent', status: 'approved', staleText: ['summary'], reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: '2026-02-01T00:00:00.000Z' }] }),
    null,
  );
  // Two published revisions of one agent (the site's history) and an open correction of it.
  await store.listings.put(createListing({ id: 'acme-ops-agent', title: 'Acme Ops Agent', url: 'https://agents.example/acme-ops-agent' }));
  const approval = { reviewer: 'alice', action: 'approve' as const, comment: null, at: '2026-02-01T00:00:00.000Z' };
  await store.drafts.save(createDraft({ listingId: 'acme-ops-agent', status: 'approved', reviews: [approval] }), null);
  await publishSite({ store, outDir: siteDir, clock: () => new Date('2026-02-02T00:00:00.000Z') });
  const second = createAssessment({ summary: 'Acme Ops Agent, reassessed after its listing added a memory feature.' });
  second.factors.persistentMemory.value = 0.9;
  await store.drafts.save(createDraft({ listingId: 'acme-ops-agent', revision: 2, status: 'approved', assessment: second, score: scoreAssessment(second), reviews: [approval] }), null);
  await publishSite({ store, outDir: siteDir, clock: () => new Date('2026-02-03T00:00:00.000Z') });
  const { correction, key } = await new Corrections(server.service).submit({
    agent: 'acme-ops-agent',
    name: 'Acme Security',
    email: 'security@acme.example',
    message: 'Acme Ops Agent keeps no memory between sessions; see our privacy page for details.',
  });
  correctionPath = `/corrections/${correction.id}`;
  statusPath = `/corrections/status/${correction.id}?key=${encodeURIComponent(key)}`;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  store = createMemoryStore();
  server = await startReviewServer({
    store,
    port: 0,
    clock: () => NOW,
    siteDir,
    // The BullMQ dashboard, on queues of this test's own prefix.
    redisUrl: await redisUrlForTests(),
    queuePrefix: `td-test-${randomUUID()}`,
  });
  token = (await server.service.addReviewer('alice')).token;
  await seed();
  ({ server: site, url: siteUrl } = await serveDir(siteDir));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeServer(site);
});

/** What a page told the console, failed to load or threw: all of it must stay empty. */
function listen(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()} (${page.url()})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message} (${page.url()})`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}

async function signedIn(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = listen(page);
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
  return { context, page, problems };
}

/** WCAG 2.1 AA violations axe-core finds on the page, as "rule: selectors" lines. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: tags } });
  }, WCAG_21_AA);
  return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** How far the page is wider than its viewport (0: no sideways scrolling). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('every page: WCAG 2.1 AA, no sideways scrolling, a clean console', () => {
  it('holds for every review page at 1280 px, signed out and signed in', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const problems = listen(page);
    const checked: Record<string, { violations: string[]; overflow: number }> = {};
    const check = async (path: string): Promise<void> => {
      await page.goto(`${server.url}${path}`);
      checked[path] = { violations: await axeViolations(page), overflow: await overflow(page) };
    };
    // Public pages: sign-in, the vendors' form and their status page.
    for (const path of ['/login', '/corrections/new?agent=acme-ops-agent', statusPath]) await check(path);
    await page.goto(`${server.url}/login`);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
    for (const path of ['/', '/?severity=Low&changed=no', '/drafts/forge-agent.r1', '/drafts/quiet-notes.r1', '/drafts/acme-ops-agent.r2', '/publish', '/corrections', correctionPath, '/audit', '/methodology']) {
      await check(path);
    }
    expect(checked).toEqual(Object.fromEntries(Object.keys(checked).map((path) => [path, { violations: [], overflow: 0 }])));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('holds for the queue at 390 px: rows stack as cards, so a phone never scrolls sideways', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const problems = listen(page);
    await page.goto(`${server.url}/login`);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
    const checked: Record<string, { violations: string[]; overflow: number }> = {};
    for (const path of ['/', '/?severity=Low']) {
      await page.goto(`${server.url}${path}`);
      checked[path] = { violations: await axeViolations(page), overflow: await overflow(page) };
    }
    expect(checked).toEqual({ '/': { violations: [], overflow: 0 }, '/?severity=Low': { violations: [], overflow: 0 } });
    // Each cell says what it is once the header row is out of sight.
    expect(await page.locator('table.queue tbody tr').first().locator('td[data-label="Band"]').evaluate((cell) => getComputedStyle(cell, '::before').content)).toBe('"Band: "');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-queue-390.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('holds for every published page at 1280 px and at 390 px (index, agent page, an earlier version, methodology)', async () => {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const problems = listen(page);
      const checked: Record<string, { violations: string[]; overflow: number }> = {};
      for (const path of ['/index.html', '/agents/acme-ops-agent/index.html', '/agents/acme-ops-agent/v1/index.html', '/methodology.html']) {
        await page.goto(`${siteUrl}${path}`);
        checked[`${path} at ${width}`] = { violations: await axeViolations(page), overflow: await overflow(page) };
      }
      expect(checked).toEqual(Object.fromEntries(Object.keys(checked).map((path) => [path, { violations: [], overflow: 0 }])));
      expect(problems).toEqual([]);
      if (width === 390) await page.screenshot({ path: join(ARTIFACTS_DIR, 'published-agent-390.png'), fullPage: true });
      await context.close();
    }
  });

  it('holds the console clean on the job queues dashboard (bull-board), which loads nothing from another origin', async () => {
    const { context, page, problems } = await signedIn();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.click('header.top a[href="/admin/queues"]');
    await page.getByText('No workers').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    await context.close();
  });
});

describe('the draft page, as a reviewer uses it', () => {
  it('leads with the report beside its listing under a sticky decision bar, with wide editors and nothing sideways', async () => {
    const { context, page, problems } = await signedIn();
    await page.goto(`${server.url}/drafts/forge-agent.r1`);
    const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
    const [bar, report, listing, editor] = [await box('#decision'), await box('.report-pane'), await box('.listing-pane'), await box('#edit-form')];
    // The decision bar first, then the report (left) beside the listing (right), then the editor.
    expect(bar.y).toBeLessThan(report.y);
    expect(report.x).toBeLessThan(listing.x);
    expect(Math.abs(report.y - listing.y)).toBeLessThan(5);
    expect(report.width).toBeGreaterThan(listing.width);
    expect(editor.y).toBeGreaterThan(report.y + report.height - 1);
    // The evidence is highlighted in the listing, which a keyboard can reach and scroll.
    await expect(page.locator('.listing-pane pre.listing mark').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('pre.listing').getAttribute('tabindex')).resolves.toBe('0');
    // Editors wide enough for a paragraph.
    for (const selector of ['textarea[name="summary"]', 'textarea[name="factors.autonomyOfAction.rationale"]', 'textarea[name="layers.1.text"]']) {
      expect((await box(selector)).width, selector).toBeGreaterThan(600);
    }
    await expect(overflow(page)).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-draft-page.png') });
    // Scrolled to the audit trail, the decision bar is still at the top of the window.
    await page.locator('#audit-heading').scrollIntoViewIfNeeded();
    expect((await box('#decision')).y).toBeLessThan(1);
    await expect(page.locator('#approvals').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows why the live score is not updated while a value is invalid, and updates it once the value is fixed', async () => {
    const { context, page, problems } = await signedIn();
    await page.goto(`${server.url}/drafts/forge-agent.r1`);
    const score = page.locator('#preview-score');
    const before = (await score.textContent()) ?? '';
    // Beyond the input's range: the browser's own check names the factor, and nothing is sent.
    await page.fill('input[name="factors.selfModification.value"]', '1.5');
    await expect.poll(() => page.locator('#preview-error').textContent()).toMatch(/^Score not updated: Self-Modification: /);
    await expect(score.getAttribute('class')).resolves.toContain('stale');
    await expect(score.textContent()).resolves.toBe(before);
    await expect(page.locator('input[name="factors.selfModification.value"]').getAttribute('aria-invalid')).resolves.toBe('true');
    // A vector the server refuses: its error names the field.
    await page.fill('input[name="factors.selfModification.value"]', '1');
    await page.fill('input[name="cvss.vector"]', 'CVSS:4.0/AV:N');
    await expect.poll(() => page.locator('#preview-error').textContent()).toMatch(/^Score not updated: Invalid `cvss\.vector`/);
    await expect(page.locator('input[name="cvss.vector"]').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-preview-error.png') });
    // Fixed: the error goes, the score follows the values again.
    const draft = (await store.drafts.get('forge-agent.r1'))!;
    await page.fill('input[name="cvss.vector"]', draft.assessment.cvss.vector);
    await expect.poll(() => page.locator('#preview-error').textContent()).toBe('');
    await expect(score.getAttribute('class')).resolves.not.toContain('stale');
    await expect(page.locator('input[aria-invalid="true"]').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('moves to the next and previous draft with j and k, and needs a comment before x rejects', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${server.url}/drafts/forge-agent.r1`);
    const next = await page.locator('#next-draft').getAttribute('href');
    expect(next).toMatch(/^\/drafts\//);
    await Promise.all([page.waitForURL(`${server.url}${next}`), page.keyboard.press('j')]);
    await Promise.all([page.waitForURL(`${server.url}/drafts/forge-agent.r1`), page.keyboard.press('k')]);
    // x without a comment: the comment field asks for one, and nothing is sent.
    await page.keyboard.press('x');
    await expect(page.locator('#decision-comment').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('decision-comment');
    expect((await store.drafts.get('forge-agent.r1'))!.status).toBe('draft');
    // Typing in a field never triggers a shortcut.
    await page.keyboard.type('j');
    expect(page.url()).toBe(`${server.url}/drafts/forge-agent.r1`);
    await context.close();
  });
});

describe('bulk approval and publishing from the UI', () => {
  it('approves the Low drafts a reviewer ticks, never one that was above Low, then previews and publishes what changes on the site', async () => {
    const { context, page, problems } = await signedIn();
    await page.goto(`${server.url}/?severity=Low`);
    // Only drafts that were never above Low, with no warning and no stale text, can be ticked.
    const selectable = await page.locator('input[name="draft"][form="bulk-form"]').evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).value));
    expect(selectable.sort()).toEqual(['calm-notes.r1@1', 'quiet-notes.r1@1']);
    await expect(page.locator('tr[data-id="lowered-agent.r1"] input[name="draft"]').count()).resolves.toBe(0);
    await expect(page.locator('tr[data-id="lowered-agent.r1"]').textContent()).resolves.toContain('(was High)');
    await page.check('#select-eligible');
    await page.fill('#bulk-comment', 'read in the queue');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-queue.png'), fullPage: true });
    await page.click('#bulk-approve');
    await expect(page.locator('#notice').textContent()).resolves.toBe('Approved 2 drafts.');
    for (const id of ['quiet-notes.r1', 'calm-notes.r1']) expect((await store.drafts.get(id))!.status).toBe('approved');
    expect((await store.drafts.get('lowered-agent.r1'))!.status).toBe('draft');
    expect((await store.audit.list({ subject: 'quiet-notes.r1' })).at(-1)).toMatchObject({ actor: 'alice', action: 'approve', detail: { bulk: true, via: 'web', comment: 'read in the queue' } });

    // The publish page says what will change, and holds back the draft with stale text.
    await page.click('header.top a[href="/publish"]');
    const rows = await page.locator('#plan tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-listing'), tr.querySelectorAll('td')[1]?.textContent]));
    expect(rows.sort()).toEqual([
      ['calm-notes', 'new page'],
      ['quiet-notes', 'new page'],
    ]);
    await expect(page.locator('#agents-now').textContent()).resolves.toBe('1');
    await expect(page.locator('#agents-after').textContent()).resolves.toBe('3');
    await expect(page.locator('li[data-refused="stale-agent.r1"]').textContent()).resolves.toContain('stale text at summary');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-publish.png'), fullPage: true });
    await page.click('#publish');
    await expect(page.locator('#notice').textContent()).resolves.toMatch(/^Published 2 drafts; the site in .* has 3 agents\. Refused stale-agent\.r1 \(stale text: summary\)/);
    expect(existsSync(join(siteDir, 'agents/quiet-notes/index.html'))).toBe(true);
    expect(existsSync(join(siteDir, 'agents/stale-agent'))).toBe(false);
    expect((await store.drafts.get('stale-agent.r1'))!.status).toBe('approved');
    expect((await store.audit.list({ subject: 'quiet-notes.r1' })).at(-1)).toMatchObject({ actor: 'alice', action: 'publish' });
    await expect(page.locator('#no-changes').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    if (process.env['THREATDRAFT_UPDATE_DOCS'] === '1') {
      mkdirSync(DOCS_DIR, { recursive: true });
      for (const name of ['review-draft-page.png', 'review-queue.png', 'review-publish.png']) {
        if (existsSync(join(ARTIFACTS_DIR, name))) copyFileSync(join(ARTIFACTS_DIR, name), join(DOCS_DIR, name));
      }
    }
    await context.close();
  });
});
