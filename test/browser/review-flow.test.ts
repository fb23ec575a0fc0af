/**
 * Browser flows against a real review server and the published site, in Debian's Chromium
 * (never a downloaded browser): one launch for the file, screenshots kept in test-artifacts/ (see ./artifacts.ts).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Score } from '../../schemas/score.js';
import { computeAivss } from '../../src/aivss/index.js';
import { scoreAssessment } from '../../src/assess/assess.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { claimedBands } from '../../src/assess/summary-band.js';
import { textAt, textPaths } from '../../src/assess/text-paths.js';
import { publishSite } from '../../src/publish/publish.js';
import { startReviewServer, type ReviewServer } from '../../src/review/server.js';
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.js';
import { createAssessment, createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { ARTIFACTS_DIR, launchChromium } from './artifacts.js';
import { closeServer, serveDir } from './serve-dir.js';

/** The score the AIVSS module gives `draft` with some factor values (and the vector) replaced. */
function scoreWith(draft: Draft, factors: Partial<Record<ListingFactorKey, number>>, vector = draft.assessment.cvss.vector): Score {
  return computeAivss({
    formula: draft.score.formula,
    cvss: vector,
    factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factors[key] ?? draft.assessment.factors[key].value])),
    thm: draft.assessment.exploitMaturity.value,
    mf: draft.assessment.mitigation.value,
  });
}

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
// Started by whichever test publishes first (tests run shuffled); serves outDir as it is on disk.
let site: Server | undefined;
let siteUrl = '';
const tokens: Record<string, string> = {};
const outDir = join(mkdtempSync(join(tmpdir(), 'td-browser-')), 'site');

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
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
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
  // A rules draft the assessor scored Critical, from a listing the store holds.
  const forge = createListing({
    id: 'forge-agent',
    title: 'Forge Agent',
    summary: '',
    text: 'Forge Agent: Autonomous coding agent. Runs bash commands and edits files on its own.\n- Stores API keys for connected services\n- Sends pull-request comments to reviewers',
    fields: { capabilities: [], metadata: {}, repositories: [], category: null },
  });
  await store.listings.put(forge);
  const forgeAssessment = assessWithRules(forge);
  await store.drafts.save(createDraft({ listingId: 'forge-agent', assessment: forgeAssessment, score: scoreAssessment(forgeAssessment) }), null);
  server = await startReviewServer({ store, port: 0 });
  for (const name of ['alice', 'bob']) tokens[name] = (await server.service.addReviewer(name)).token;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeServer(site);
});

describe('review UI in a browser', () => {
  it('signs in, edits a factor with a live score preview, saves, approves, publishes and shows the published page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    const seen = watch(page);
    await signIn(page, tokens['alice']!);
    await expect(page.locator('table.queue tbody tr[data-id="acme-ops-agent.r1"]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-queue.png'), fullPage: true });

    await page.click('a[href="/drafts/acme-ops-agent.r1"]');
    const preview = page.locator('#preview-score');
    const draft = (await store.drafts.get('acme-ops-agent.r1'))!;
    await expect(preview.textContent()).resolves.toBe(`${draft.score.score.toFixed(1)} ${draft.score.severity}`);

    // One factor alone: the preview shows what the AIVSS module computes for exactly that change.
    const oneFactor = scoreWith(draft, { selfModification: 1 });
    expect(oneFactor.score).not.toBe(draft.score.score);
    await page.fill('input[name="factors.selfModification.value"]', '1');
    await expect.poll(() => preview.textContent(), { timeout: 5000 }).toBe(`${oneFactor.score.toFixed(1)} ${oneFactor.severity}`);
    await expect(preview.getAttribute('data-score')).resolves.toBe(String(oneFactor.score));
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'review-draft.png'), fullPage: true });

    // Then the exploit path too, on top of the factor.
    const vector = 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N';
    const both = scoreWith(draft, { selfModification: 1 }, vector);
    await page.fill('input[name="cvss.vector"]', vector);
    await expect.poll(() => preview.textContent(), { timeout: 5000 }).toBe(`${both.score.toFixed(1)} ${both.severity}`);
    const previewed = await preview.getAttribute('data-score');
    expect(previewed).toBe(String(both.score));

    await Promise.all([page.waitForURL(/done=saved/), page.click('#save')]);
    await expect(page.locator('.report [data-score]').textContent()).resolves.toBe(Number(previewed).toFixed(1));
    await expect(page.locator('#version').textContent()).resolves.toBe('2');

    await Promise.all([page.waitForURL(/done=approve/), page.click('#decision-form button.approve')]);
    await expect(page.locator('#status').textContent()).resolves.toBe('approved');

    await publishSite({ store, outDir, clock: () => new Date('2025-03-01T00:00:00.000Z') });
    if (site === undefined) ({ server: site, url: siteUrl } = await serveDir(outDir));
    await page.goto(`${siteUrl}/index.html`);
    await page.click('a[href="agents/acme-ops-agent/index.html"]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Acme Ops Agent — agentic threat model');
    await expect(page.locator('[data-score]').textContent()).resolves.toBe(Number(previewed).toFixed(1));
    await expect(page.locator('svg.radar').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'published-agent.png'), fullPage: true });
    expect(seen.dialogs).toEqual([]);
    await context.close();
  });

  it('moves a rules draft from Critical to Medium in the form, and no sentence of the draft or its published page still calls it Critical', async () => {
    const before = (await store.drafts.get('forge-agent.r1'))!;
    expect(before.score.severity).toBe('Critical');
    expect(before.assessment.summary).toContain('(Critical)');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    await signIn(page, tokens['bob']!);
    await page.goto(`${server.url}/drafts/forge-agent.r1`);
    const vector = 'CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N';
    const lowered = computeAivss({
      formula: before.score.formula,
      cvss: vector,
      factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, key === 'autonomyOfAction' ? 0.2 : before.assessment.factors[key].value])),
      thm: before.assessment.exploitMaturity.value,
      mf: 'partial',
    });
    expect(lowered.severity).toBe('Medium');
    await page.fill('input[name="cvss.vector"]', vector);
    await page.fill('input[name="factors.autonomyOfAction.value"]', '0.2');
    await page.selectOption('select[name="mitigation.value"]', 'partial');
    await expect.poll(() => page.locator('#preview-score').textContent(), { timeout: 5000 }).toBe(`${lowered.score.toFixed(1)} Medium`);
    await Promise.all([page.waitForURL(/done=saved/), page.click('#save')]);

    const saved = (await store.drafts.get('forge-agent.r1'))!;
    expect(saved.score.severity).toBe('Medium');
    expect(saved.staleText).toEqual([]);
    for (const path of textPaths(saved.assessment)) expect(claimedBands(textAt(saved.assessment, path)!), path).not.toContain('Critical');
    expect(saved.assessment.summary).toContain(`${lowered.score.toFixed(1)} (Medium)`);
    for (const text of await page.locator('.report').allInnerTexts()) expect(text).not.toMatch(/critical/i);

    await Promise.all([page.waitForURL(/done=approve/), page.click('#decision-form button.approve')]);
    await publishSite({ store, outDir, clock: () => new Date('2025-03-03T00:00:00.000Z') });
    if (site === undefined) ({ server: site, url: siteUrl } = await serveDir(outDir));
    await page.goto(`${siteUrl}/agents/forge-agent/index.html`);
    await expect(page.locator('[data-score]').textContent()).resolves.toBe(lowered.score.toFixed(1));
    await expect(page.locator('body').innerText()).resolves.not.toMatch(/critical/i);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'published-after-edit.png'), fullPage: true });
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
    await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/api/drafts/evil-agent.r1/preview') && response.ok()),
      page.fill('input[name="factors.autonomyOfAction.value"]', '0.9'),
    ]);
    await Promise.all([page.waitForURL(/done=approve/), page.click('#decision-form button.approve')]);

    await publishSite({ store, outDir, clock: () => new Date('2025-03-02T00:00:00.000Z') });
    if (site === undefined) ({ server: site, url: siteUrl } = await serveDir(outDir));
    await page.goto(`${siteUrl}/index.html`);
    await page.goto(`${siteUrl}/agents/evil-agent/index.html`);
    await expect(page.locator('h1').textContent()).resolves.toContain('Evil Agent</title><script>');
    await expect(page.locator('a[href^="javascript:"], img, script').count()).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'published-hostile.png'), fullPage: true });

    expect(seen.dialogs).toEqual([]);
    const allowed = [
      /^http:\/\/127\.0\.0\.1:\d+\/(login|drafts\/evil-agent\.r1(\?done=approve|\/approve)?|static\/(app|report)\.css|static\/(preview|review)\.js|api\/drafts\/evil-agent\.r1\/preview|)$/,
      /^http:\/\/127\.0\.0\.1:\d+\/(index\.html|style\.css|agents\/evil-agent\/index\.html)$/,
    ];
    expect(seen.requests.filter((url) => !allowed.some((pattern) => pattern.test(url)))).toEqual([]);
    await context.close();
  });
});
