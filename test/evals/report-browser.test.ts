import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../../evals/runner/load.js';
import { renderHtml } from '../../evals/runner/report.js';
import { runEval } from '../../evals/runner/run.js';
import { assessListing } from '../../src/assess/assess.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => browser?.close());

describe('the eval HTML report in a browser', () => {
  it('opens with no external request and renders its three charts', async () => {
    const cases = await loadCases(join(ROOT, 'evals', 'cases'));
    const assessor = createRulesAssessor();
    const run = await runEval({
      cases,
      identity: { assessor: 'rules', assessorVersion: assessor.version, model: null, promptId: null, promptHash: null },
      assess: (listing) => assessListing(listing, { assessor, now: () => new Date(0) }),
      cache: createMemoryStore().cache,
      baseline: null,
    });
    const dir = mkdtempSync(join(tmpdir(), 'td-report-'));
    const file = join(dir, 'eval-report.html');
    writeFileSync(file, renderHtml(run, null));

    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(await page.locator('svg').count()).toBe(4);
    const layersWithKeywords = Object.values(run.metrics.keywordRecallByLayer).filter((value) => value !== null).length;
    const bars = await page.locator('rect.bar').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().width));
    expect(bars.length).toBe(10 + 2 * 10 + layersWithKeywords);
    expect(bars.filter((width) => width > 1).length).toBeGreaterThan(10);
    const dots = await page.locator('circle.dot').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().width));
    expect(dots.length).toBeGreaterThanOrEqual(35);
    expect(dots.every((width) => width > 0)).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'eval-report.png'), fullPage: true });
    await page.close();
  });
});
