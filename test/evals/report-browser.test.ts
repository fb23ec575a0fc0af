import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineSchema, GATED_METRICS, summariseOverall } from '../../evals/runner/baseline.js';
import { loadCases } from '../../evals/runner/load.js';
import { renderHtml } from '../../evals/runner/report.js';
import { runEval } from '../../evals/runner/run.js';
import { assessListing } from '../../src/assess/assess.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ARTIFACTS_DIR, launchChromium } from '../browser/artifacts.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = ARTIFACTS_DIR;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});

let measured: Promise<{ cases: Awaited<ReturnType<typeof loadCases>>; run: Awaited<ReturnType<typeof runEval>> }> | undefined;
/** The rules assessor over every case, without a baseline: measured once for the file. */
function rulesRun(): NonNullable<typeof measured> {
  measured ??= (async () => {
    const cases = await loadCases(join(ROOT, 'evals', 'cases'));
    const assessor = createRulesAssessor();
    const run = await runEval({
      cases,
      identity: { assessor: 'rules', assessorVersion: assessor.version, model: null, promptId: null, promptHash: null },
      assess: (listing) => assessListing(listing, { assessor, now: () => new Date(0) }),
      cache: createMemoryStore().cache,
      baseline: null,
    });
    return { cases, run };
  })();
  return measured;
}
afterAll(async () => browser?.close());

describe('the eval HTML report in a browser', () => {
  it('opens with no external request and renders its five charts, with no baseline bars when there is no baseline', async () => {
    const { run } = await rulesRun();
    const dir = mkdtempSync(join(tmpdir(), 'td-report-'));
    const file = join(dir, 'eval-report.html');
    writeFileSync(file, renderHtml(run, null));

    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(await page.locator('svg').count()).toBe(5);
    const widths = (selector: string) => page.locator(selector).evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().width));

    const perFactor = await widths('figure.bar-chart rect.bar');
    expect(perFactor).toHaveLength(10);
    expect(perFactor.filter((width) => width > 1).length).toBeGreaterThan(5);

    // No baseline: every baseline row shows "—" and draws nothing; every measured current row draws a bar.
    const measured = GATED_METRICS.filter((metric) => summariseOverall(run.metrics)[metric] !== null && summariseOverall(run.metrics)[metric] !== undefined).length;
    expect(await widths('figure.comparison-chart rect.bar')).toHaveLength(measured);
    expect(await page.locator('figure.comparison-chart text.none').allTextContents()).toEqual(
      Array.from({ length: GATED_METRICS.length * 2 - measured }, () => '—'),
    );
    expect(await page.locator('figure.comparison-chart svg').getAttribute('aria-label')).toBe('Baseline (none yet) against current, per metric');

    const layersWithKeywords = Object.values(run.metrics.keywordRecallByLayer).filter((value) => value !== null).length;
    const keywordBars = await widths('figure.keyword-chart rect.bar');
    expect(keywordBars).toHaveLength(layersWithKeywords);
    expect(keywordBars.every((width) => width > 1)).toBe(true);

    // The worst cases: one bar each, longest first, named as in the table below the chart.
    const worstBars = await widths('figure.worst-chart rect.bar');
    expect(worstBars).toHaveLength(10);
    expect(worstBars.every((width) => width > 1)).toBe(true);
    expect([...worstBars].sort((a, b) => b - a)).toEqual(worstBars);
    const worstLabels = await page.locator('figure.worst-chart text[text-anchor="end"]').allTextContents();
    const tableIds = await page.locator('h2:has-text("Worst cases") ~ table tbody tr td:first-child').allTextContents();
    expect(worstLabels).toHaveLength(tableIds.length);
    // Long ids are cut to fit the label column (the tooltip has the whole one).
    worstLabels.forEach((label, index) => expect(tableIds[index]?.startsWith(label.replace(/…$/, ''))).toBe(true));

    const dots = await widths('circle.dot');
    expect(dots.length).toBeGreaterThanOrEqual(35);
    expect(dots.every((width) => width > 0)).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'eval-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);

    // With the committed baseline: its bars are drawn too.
    const baseline = baselineSchema.parse(JSON.parse(readFileSync(join(ROOT, 'evals', 'baselines', 'rules.json'), 'utf8')));
    writeFileSync(file, renderHtml(run, baseline));
    await page.goto(pathToFileURL(file).href);
    expect(await widths('figure.comparison-chart rect.bar')).toHaveLength(measured * 2);
    expect(await page.locator('figure.comparison-chart text.none').count()).toBe(GATED_METRICS.length * 2 - measured * 2);
    await page.close();
  });
});

describe('the eval report drill-down', () => {
  it('lists every case, filters them by category and by what went wrong with CSS alone, and opens one to its listing, expected, got and diff', async () => {
    const { cases, run } = await rulesRun();
    const file = join(mkdtempSync(join(tmpdir(), 'td-report-')), 'eval-report.html');
    writeFileSync(file, renderHtml(run, null, { cases, notes: ['Recordings missing: 1 of 150 cases.'] }));
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1000, height: 1400 } });
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    await expect(page.locator('p.note.warn').textContent()).resolves.toBe('Recordings missing: 1 of 150 cases.');
    // Each gated metric with which way is better, its floor, and its standing.
    await expect(page.locator('table.metrics tr:has(td:text-is("bandAccuracy")) td').allTextContents()).resolves.toEqual(['bandAccuracy', '↑ higher', '≥ 0.6', '—', '1', 'ok']);
    await expect(page.locator('table.metrics tr:has(td:text-is("factorMae")) td').nth(1).textContent()).resolves.toBe('↓ lower');
    const visible = async (): Promise<number> => page.locator('details.case').evaluateAll((nodes) => nodes.filter((node) => (node as HTMLElement).offsetParent !== null).length);
    await expect(visible()).resolves.toBe(cases.length);
    const coding = cases.filter((item) => item.expected.kind === 'coding-agent').length;
    expect(coding).toBeGreaterThan(1);
    await page.click('label[for="cat-coding-agent"]');
    await expect(visible()).resolves.toBe(coding);
    const outside = run.results.filter((result) => result.metrics.factorsCompared > result.metrics.factorsWithin).length;
    await page.click('label[for="cat-all"]');
    await page.click('label[for="out-tolerance"]');
    await expect(visible()).resolves.toBe(outside);
    await page.click('label[for="out-all"]');
    const one = page.locator('details#case-hw-pentest-agent');
    await one.locator('summary').click();
    await expect(one.locator('pre.listing').isVisible()).resolves.toBe(true);
    await expect(one.locator('table.case-factors tbody tr').count()).resolves.toBe(10);
    await expect(one.locator('table.case-factors').textContent()).resolves.toMatch(/Autonomy of Action.*(within|outside)/);
    await page.screenshot({ path: join(ARTIFACTS, 'eval-report-drilldown.png') });
    await context.close();
  });
});
