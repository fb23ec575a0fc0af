/**
 * The published site in Debian's Chromium with JavaScript disabled: the index's band filter is
 * radio buttons, labels and CSS only, so it must work without any script; the radar is drawn.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assessment } from '../../schemas/assessment.js';
import { publishSite } from '../../src/publish/publish.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { ARTIFACTS_DIR, launchChromium } from './artifacts.js';
import { closeServer, serveDir } from './serve-dir.js';

const HIGH_VECTOR = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N';

let browser: Browser;
let site: Server | undefined;
let siteUrl = '';

/** Five approved agents: Critical, High, two Medium, Low. */
async function publishFixture(outDir: string): Promise<void> {
  const store = createMemoryStore();
  const zero: Assessment = createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } });
  for (const factor of Object.values(zero.factors)) factor.value = 0;
  const agents: Array<[string, string, Assessment]> = [
    ['acme-ops-agent', 'Acme Ops Agent', createAssessment()],
    ['mail-agent', 'Mail Agent', createAssessment({ cvss: { vector: HIGH_VECTOR, rationale: 'Network, low impact.' } })],
    ['calm-notes', 'Calm Notes', createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } })],
    ['quiet-notes', 'Quiet Notes', createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } })],
    ['bare-model', 'Bare Model', zero],
  ];
  for (const [id, title, assessment] of agents) {
    await store.listings.put(createListing({ id, title }));
    await store.drafts.save(
      createDraft({ listingId: id, status: 'approved', assessment, reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: '2025-02-01T00:00:00.000Z' }] }),
      null,
    );
  }
  await publishSite({ store, outDir, clock: () => new Date('2025-03-01T00:00:00.000Z') });
}

beforeAll(async () => {
  const outDir = join(mkdtempSync(join(tmpdir(), 'td-site-')), 'site');
  await publishFixture(outDir);
  ({ server: site, url: siteUrl } = await serveDir(outDir));
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await closeServer(site);
});

/** The agent names of the index rows a reader can see. */
async function visibleAgents(page: Page): Promise<string[]> {
  const rows = page.locator('table.agents tbody tr');
  const names: string[] = [];
  for (let index = 0; index < (await rows.count()); index += 1) {
    const row = rows.nth(index);
    if (await row.isVisible()) names.push((await row.locator('td').first().textContent()) ?? '');
  }
  return names;
}

describe('published site in a browser, JavaScript disabled', () => {
  it('filters the index by band with CSS alone: choosing a band hides the other rows, "All" brings them back', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${siteUrl}/index.html`);
    await expect(page.locator('script').count()).resolves.toBe(0);
    const all = ['Acme Ops Agent', 'Mail Agent', 'Calm Notes', 'Quiet Notes', 'Bare Model'];
    await expect(visibleAgents(page)).resolves.toEqual(all);

    await page.click('label[for="band-Medium"]');
    await expect(page.locator('#band-Medium').isChecked()).resolves.toBe(true);
    await expect(visibleAgents(page)).resolves.toEqual(['Calm Notes', 'Quiet Notes']);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'published-index-medium.png'), fullPage: true });

    await page.click('label[for="band-Critical"]');
    await expect(visibleAgents(page)).resolves.toEqual(['Acme Ops Agent']);
    await page.click('label[for="band-Low"]');
    await expect(visibleAgents(page)).resolves.toEqual(['Bare Model']);
    // The radios are reachable from the keyboard too: arrow keys move the choice within the group.
    await page.focus('#band-Low');
    await page.keyboard.press('ArrowLeft');
    await expect(page.locator('#band-Medium').isChecked()).resolves.toBe(true);
    await expect(visibleAgents(page)).resolves.toEqual(['Calm Notes', 'Quiet Notes']);

    await page.click('label[for="band-all"]');
    await expect(visibleAgents(page)).resolves.toEqual(all);
    // Nothing but the page and its stylesheet was loaded.
    expect(requests.map((url) => new URL(url).pathname)).toEqual(['/index.html', '/style.css']);
    await context.close();
  });

  it('draws the radar on an agent page with ten labelled points', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    context.setDefaultTimeout(8000);
    const page = await context.newPage();
    await page.goto(`${siteUrl}/index.html`);
    await page.click('a[href="agents/mail-agent/index.html"]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Mail Agent — agentic threat model');
    const radar = page.locator('svg.radar');
    await expect(radar.isVisible()).resolves.toBe(true);
    await expect(radar.locator('text').allTextContents()).resolves.toEqual([
      'Autonomy of Action',
      'Goal-Driven Planning',
      'Self-Modification',
      'Dynamic Tool Use',
      'Persistent Memory',
      'Contextual Awareness',
      'Dynamic Identity',
      'Multi-Agent Interactions',
      'Non-Determinism',
      'Opacity & Reflexivity',
    ]);
    const points = await radar.locator('circle.point').evaluateAll((nodes) =>
      nodes.map((node) => {
        const box = node.getBoundingClientRect();
        return { value: node.getAttribute('data-value'), visible: box.width > 0 && box.height > 0 };
      }),
    );
    expect(points).toEqual(['0.60', '0.50', '0.00', '0.80', '0.70', '0.40', '0.10', '0.60', '0.70', '0.60'].map((value) => ({ value, visible: true })));
    await context.close();
  });
});
