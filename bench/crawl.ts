/**
 * Crawl throughput and memory: a synthetic directory on loopback (served by this process), crawled
 * with politeness off (16 in flight, no interval) into a file store in a temp dir by a child
 * process, so each size's peak RSS is measured on its own. 1,000 and 5,000 listings show whether
 * memory stays flat as the directory grows. A second child then recrawls the unchanged directory
 * into the same store: every index page, sitemap and listing should answer 304, no body but robots.txt.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SourceConfig } from '../schemas/source.js';
import { scratchDir } from './_scratch.js';
import type { BenchResult } from './types.js';

const CHILD_FLAG = 'THREATDRAFT_BENCH_CRAWL_CHILD';
const RSS_TARGET_MB = 300;
const SIZES = [1_000, 5_000] as const;

interface ChildRequest {
  source: SourceConfig;
  dataDir: string;
}

interface ChildReport {
  found: number;
  fetched: number;
  unchanged: number;
  failed: number;
  /** Body bytes of index pages, sitemaps and listings (robots.txt not counted). */
  bytes: number;
  wallMs: number;
  peakRssMb: number;
  baselineRssMb: number;
  /** Heap still in use after a full GC at the end (needs --expose-gc, as `npm run bench` runs): what the crawl retains. */
  retainedHeapMb: number | undefined;
}

async function runChild(request: ChildRequest): Promise<ChildReport> {
  const { crawlSource } = await import('../src/crawl/crawl.js');
  const { UndiciFetcher } = await import('../src/crawl/undici-fetcher.js');
  const { FileStore } = await import('../src/store/file-store.js');
  const store = new FileStore({ root: request.dataDir, fsync: false });
  const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: request.source.politeness, maxAttempts: 2 });
  const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  try {
    const summary = await crawlSource(request.source, { fetcher, store, rawBase: 'http://127.0.0.1:9/raw' });
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    return {
      found: summary.found,
      fetched: summary.fetched,
      unchanged: summary.unchanged,
      failed: summary.failed,
      bytes: summary.bytes,
      wallMs: performance.now() - started,
      // maxRSS is in KiB on Linux: the peak over the whole child, start-up included.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      baselineRssMb,
      retainedHeapMb: gc === undefined ? undefined : process.memoryUsage().heapUsed / 2 ** 20,
    };
  } finally {
    await fetcher.close();
    await store.close();
  }
}

function runInChild(request: ChildRequest): Promise<ChildReport> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, [CHILD_FLAG]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<ChildReport>((resolve, reject) => {
    let report: ChildReport | undefined;
    child.once('message', (message) => {
      const typed = message as { ok: true; report: ChildReport } | { ok: false; error: string };
      if (typed.ok) report = typed.report;
      else reject(new Error(`crawl bench child failed: ${typed.error}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => (report === undefined ? reject(new Error(`crawl bench child exited with ${String(code)}`)) : resolve(report)));
    child.send(request);
  });
}

/** A crawl, then a recrawl by a new process into the same store; `bodies` counts recrawl responses that sent one. */
async function measure(listings: number): Promise<{ crawl: ChildReport; recrawl: ChildReport; bodies: number }> {
  const { startSyntheticDirectory } = await import('../src/crawl/demo-server.js');
  const server = await startSyntheticDirectory({ listings, perPage: 50 });
  const dataDir = scratchDir('td-bench-crawl-');
  try {
    const source: SourceConfig = { ...server.sourceConfig, politeness: { concurrency: 16, intervalMs: 0 } };
    const crawl = await runInChild({ source, dataDir });
    const before = server.responses.length;
    const recrawl = await runInChild({ source, dataDir });
    const bodies = server.responses.slice(before).filter((response) => response.bytes > 0).length;
    return { crawl, recrawl, bodies };
  } finally {
    await server.close();
  }
}

/** Crawl throughput and peak RSS at 1,000 and 5,000 listings. */
export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const reports = new Map<number, ChildReport>();
  for (const size of SIZES) {
    const { crawl: report, recrawl, bodies } = await measure(size);
    if (report.fetched !== size || report.failed !== 0) {
      throw new Error(`crawl bench: expected ${size} listings fetched, got ${report.fetched} (${report.failed} failed)`);
    }
    reports.set(size, report);
    results.push(
      { name: `crawl ${size.toLocaleString('en')} listings (16 in flight, file store)`, value: Math.round(size / (report.wallMs / 1000)), unit: 'listings/s' },
      ...(report.retainedHeapMb === undefined
        ? []
        : [{ name: `crawl ${size.toLocaleString('en')} listings: heap retained after GC`, value: Math.round(report.retainedHeapMb), unit: 'MB' }]),
      {
        name: `crawl ${size.toLocaleString('en')} listings: peak RSS`,
        value: Math.round(report.peakRssMb),
        unit: 'MB',
        target: `< ${RSS_TARGET_MB} MB`,
        ok: report.peakRssMb < RSS_TARGET_MB,
      },
      {
        name: `recrawl ${size.toLocaleString('en')} unchanged listings (new process, same store)`,
        value: Math.round(size / (recrawl.wallMs / 1000)),
        unit: 'listings/s',
      },
      {
        name: `recrawl ${size.toLocaleString('en')} unchanged listings: responses with a body`,
        value: bodies,
        unit: 'responses',
        // robots.txt, read afresh by each new process; everything else answers 304.
        target: '1 (robots.txt), 0 body bytes counted',
        ok: bodies === 1 && recrawl.bytes === 0 && recrawl.unchanged === size && recrawl.fetched === 0,
      },
    );
  }
  const small = reports.get(SIZES[0]) as ChildReport;
  const large = reports.get(SIZES[1]) as ChildReport;
  const span = `${SIZES[0].toLocaleString('en')} -> ${SIZES[1].toLocaleString('en')} listings`;
  // Peak RSS also reflects how far V8 lets garbage pile up before a full GC, which takes a few
  // thousand listings to settle; the retained heap is what actually grows with the directory.
  results.push({ name: `crawl peak RSS growth ${span}`, value: Math.round(large.peakRssMb - small.peakRssMb), unit: 'MB' });
  if (small.retainedHeapMb !== undefined && large.retainedHeapMb !== undefined) {
    const growth = large.retainedHeapMb - small.retainedHeapMb;
    results.push({
      name: `crawl retained heap after GC growth ${span}`,
      value: Math.round(growth * 10) / 10,
      unit: 'MB',
      target: '< 20 MB (flat: only the summary grows)',
      ok: growth < 20,
    });
  }
  return results;
}

if (process.env[CHILD_FLAG] === '1') {
  process.once('message', (message) => {
    runChild(message as ChildRequest).then(
      (report) => process.send?.({ ok: true, report }, () => process.disconnect()),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () => process.disconnect()),
    );
  });
}
