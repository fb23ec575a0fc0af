/**
 * Pipeline bench (measured side by side in one run, against the fake model at a fixed 200 ms
 * latency, model concurrency 16 per executor or worker):
 * - local executor throughput (ideal 80 listings/s);
 * - BullMQ with one `threatdraft worker` process (ideal 80/s) and with two (ideal 160/s: ≥ 1.8×);
 * - an unchanged rerun of 2,000 listings against the first run's time (≤ 10%);
 * - peak RSS of a child process running 10,000 listings through the local executor (< 400 MB with
 *   the default rules assessor), and on the openai path against the fake model with the heap it
 *   retains at the end (< 100 MB: nothing is kept per listing).
 * Needs `npm run build` (workers run `node bin/threatdraft.js worker`) and a Redis (REDIS_URL,
 * else 127.0.0.1:6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Listing } from '../schemas/listing.js';
import { BullExecutor } from '../queues/executor.js';
import { prefixesFor } from '../queues/names.js';
import { runAtOnce, type Assessor } from '../src/assess/assessor.js';
import { createThreadedRulesAssessor } from '../src/assess/create-assessor.js';
import { createRulesAssessor } from '../src/assess/rules/assess.js';
import { loadEnv } from '../src/config.js';
import { computeContentHash } from '../src/crawl/extract.js';
import { profileOf, type AssessorProfile } from '../src/pipeline/profile.js';
import { LocalExecutor, runPipeline, type Executor } from '../src/pipeline/run.js';
import { assessorFactory } from '../src/pipeline/wiring.js';
import { createFileStore } from '../src/store/file-store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { deletePrefix } from './_redis.js';
import { scratchDir } from './_scratch.js';
import type { BenchResult } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The package root, from `bench/` (tsx) or `dist/bench/` (compiled). */
const ROOT = resolve(HERE, HERE.endsWith(join('dist', 'bench')) ? '../..' : '..');
const LATENCY_MS = 200;
const CONCURRENCY = 16;
const IDEAL_PER_SECOND = (CONCURRENCY * 1000) / LATENCY_MS;

/** A synthetic listing (no crawl): distinct text per index and batch, a real content hash. */
function syntheticListing(i: number, batch: string): Listing {
  const id = `bench-${batch}-${String(i).padStart(5, '0')}`;
  const base = {
    id,
    sourceId: 'bench',
    url: `https://directory.example/agents/${id}`,
    fetchedAt: '2026-01-01T00:00:00.000Z',
    title: `Bench agent ${i}`,
    summary: 'An autonomous agent that plans tasks and calls tools.',
    text: `Bench agent ${i} plans multi-step tasks on its own, calls a shell and a browser, and keeps long-term memory in a vector database. Batch ${batch}.`,
    truncated: false,
    fields: { capabilities: ['shell', 'browser', 'memory'], metadata: {}, repositories: [], category: null },
  };
  return { ...base, contentHash: computeContentHash(base) };
}

async function seed(store: Store, count: number, batch: string): Promise<void> {
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, (_, k) => store.listings.put(syntheticListing(i + k, batch))),
    );
  }
}

/** Warms up code paths, connections and workers on a few listings first (not timed). */
async function warmUp(executor: Executor, store: Store, profile: Parameters<typeof runPipeline>[0]['profile']): Promise<void> {
  const refs = [];
  for (let i = 0; i < 2 * CONCURRENCY; i += 1) {
    const listing = syntheticListing(i, `warm-${randomUUID().slice(0, 8)}`);
    await store.listings.put(listing);
    refs.push({ id: listing.id, contentHash: listing.contentHash });
  }
  await executor.assess(refs, profile, {});
}

async function timed(executor: Executor, store: Store, profile: Parameters<typeof runPipeline>[0]['profile']) {
  const started = performance.now();
  const summary = await runPipeline({ executor, store, profile });
  const ms = performance.now() - started;
  if (summary.failed > 0) throw new Error(`bench run failed ${summary.failed} listings: ${summary.failures[0]?.reason ?? ''}`);
  return { ms, summary };
}

function startWorker(env: NodeJS.ProcessEnv, namespace: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'threatdraft.js'), 'worker', '--concurrency', String(CONCURRENCY), '--namespace', namespace],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolveReady, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready')) resolveReady(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr.slice(0, 500)}`)));
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.removeAllListeners('exit');
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** BullMQ throughput with `workers` worker processes over `count` listings. */
async function bullThroughput(url: string, env: NodeJS.ProcessEnv, workers: number, count: number): Promise<number> {
  const namespace = `tdbench-${randomUUID()}`;
  const store = new RedisStore({ url, prefix: prefixesFor(namespace).store });
  const children: ChildProcess[] = [];
  const executor = new BullExecutor({ redisUrl: url, namespace, store });
  try {
    for (let i = 0; i < workers; i += 1) children.push(await startWorker({ ...env, REDIS_URL: url }, namespace));
    const { profile } = await assessorFactory({ env: loadEnv(env) })('openai');
    await warmUp(executor, store, profile);
    await seed(store, count, 'bull');
    const { ms, summary } = await timed(executor, store, profile);
    if (summary.assessed !== count) throw new Error(`expected ${count} assessed, got ${summary.assessed}`);
    return count / (ms / 1000);
  } finally {
    await Promise.all(children.map(stopWorker));
    await executor.close();
    await store.close();
    await deletePrefix(url, `${namespace}:`);
  }
}

/**
 * Child mode: the listings stored in `root` (by `--seed-child`) through the local executor on a file store, as a bulk run does,
 * with the rules assessor (the default) or the openai assessor against the fake model at
 * `baseUrl`. Prints peak RSS, and the heap still in use after a full GC at the end (what the run
 * retained, as opposed to garbage V8 had not collected yet).
 */
async function rssChild(root: string, baseUrl: string | undefined): Promise<void> {
  const store = createFileStore({ root, fsync: false });
  let assessor: Assessor;
  let profile: AssessorProfile;
  if (baseUrl === undefined) {
    assessor = createRulesAssessor();
    profile = profileOf(assessor);
  } else {
    const env = loadEnv({ OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: 'bench-key', LOG_LEVEL: 'silent' });
    ({ assessor, profile } = await assessorFactory({ env, cache: store.cache })('openai'));
  }
  const executor = new LocalExecutor({ store, assessor, modelConcurrency: CONCURRENCY });
  const summary = await runPipeline({ executor, store, profile });
  await store.close();
  (globalThis as { gc?: () => void }).gc?.();
  const retainedBytes = process.memoryUsage().heapUsed;
  process.stdout.write(
    `${JSON.stringify({ assessed: summary.assessed, failed: summary.failed, maxRssBytes: process.resourceUsage().maxRSS * 1024, retainedBytes })}\n`,
  );
}

interface RssFigures {
  maxRssBytes: number;
  retainedBytes: number;
  assessed: number;
}

/**
 * Peak RSS of a run over `count` stored listings, in a child process of its own: the listings are
 * stored first by another child (as a crawl would have left them), so the figure is the run's memory,
 * not the seeding's.
 */
async function rssInChild(count: number, baseUrl?: string): Promise<RssFigures> {
  const root = scratchDir('threatdraft-bench-rss-');
  const self = fileURLToPath(import.meta.url);
  const args = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
  const child = async (mode: '--seed-child' | '--rss-child'): Promise<string> => {
    const process_ = spawn(process.execPath, ['--expose-gc', ...args, mode, root, String(count), ...(baseUrl === undefined ? [] : [baseUrl])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    process_.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    process_.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((done) => process_.once('exit', done));
    if (code !== 0) throw new Error(`${mode} exited ${code}: ${err.slice(0, 500)}`);
    return out;
  };
  await child('--seed-child');
  const out = await child('--rss-child');
  return JSON.parse(out.trim().split('\n').at(-1) as string) as RssFigures;
}

/**
 * The fake model in its own process, so its CPU does not share an event loop with the executor
 * under test (a real model server does not either).
 */
async function startFakeModelProcess(latencyMs: number): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const compiled = join(ROOT, 'dist', 'src', 'fake-openai', 'main.js');
  const args = HERE.endsWith(join('dist', 'bench')) ? [compiled] : ['--import', 'tsx', join(ROOT, 'src', 'fake-openai', 'main.ts')];
  const child = spawn(process.execPath, [...args, '--port', '0', '--latency-ms', String(latencyMs)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const baseUrl = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolveUrl(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`fake model exited ${code}`)));
  });
  return {
    baseUrl,
    close: () =>
      new Promise<void>((done) => {
        child.removeAllListeners('exit');
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs `threatdraft <args>` as a child process; resolves with its wall time and parsed last JSON line. */
async function timeCli(args: readonly string[]): Promise<{ ms: number; summary: Record<string, unknown> }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'threatdraft.js'), ...args], {
    cwd: ROOT,
    // No REDIS_URL: the run must use the file store given by --data and the local executor.
    env: { ...process.env, REDIS_URL: '', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`threatdraft ${args[0] ?? ''} exited ${code}: ${err.slice(0, 500)}`);
  const last = out.trim().split('\n').at(-1) ?? '{}';
  return { ms, summary: JSON.parse(last) as Record<string, unknown> };
}

/**
 * (a) An unchanged rerun against a cold run, both through the CLI (`run --source`, a new process
 * each, the default file store with fsync), on a synthetic directory served by a real loopback
 * HTTP server in this process.
 */
async function cliRerunShare(listings: number): Promise<BenchResult> {
  const { startSyntheticDirectory } = await import('../src/crawl/demo-server.js');
  const server = await startSyntheticDirectory({ listings, perPage: 50 });
  const dir = scratchDir('threatdraft-bench-cli-rerun-');
  try {
    const config = join(dir, 'source.json');
    writeFileSync(config, JSON.stringify({ ...server.sourceConfig, politeness: { concurrency: 16, intervalMs: 0 } }));
    const args = ['run', '--source', config, '--data', join(dir, 'data'), '--json'];
    const cold = await timeCli(args);
    if (cold.summary['assessed'] !== listings) throw new Error(`cold run assessed ${String(cold.summary['assessed'])} of ${listings}`);
    const rerun = await timeCli(args);
    if (rerun.summary['unchanged'] !== listings) throw new Error(`rerun found ${String(rerun.summary['unchanged'])} unchanged of ${listings}`);
    const share = rerun.ms / cold.ms;
    return {
      name: `run (CLI) unchanged rerun / cold run, ${listings.toLocaleString('en')} pages on loopback (cold ${(cold.ms / 1000).toFixed(1)} s, rerun ${(rerun.ms / 1000).toFixed(2)} s)`,
      value: Math.round(share * 1000) / 1000,
      unit: '× cold',
      target: '<= 0.10',
      ok: share <= 0.1,
    };
  } finally {
    await server.close();
  }
}

/** Listings a rules figure's executor assesses before it is timed. */
const RULES_WARM_UP = 300;

/**
 * (b) The rules pipeline (assess stage, local executor with its default threads, default
 * concurrency) on the default file store (fsync on): the listings per second of a run of `count`
 * listings. Steady state, like this bench's other throughput figures: the executor first assesses
 * {@link RULES_WARM_UP} other listings in the same store with a run of their own (its threads started,
 * code compiled, the listings recorded in the rerun index, so the timed run finds them unchanged);
 * `first` is the rate of that first run, for comparison.
 */
async function rulesOnFileStore(count: number): Promise<{ rate: number; first: number }> {
  const root = scratchDir('threatdraft-bench-rules-');
  const store = createFileStore({ root });
  // The rules assessor as `threatdraft run` builds it (its threads can rebuild it).
  const assessor = createThreadedRulesAssessor();
  const executor = new LocalExecutor({ store, assessor });
  try {
    // A first run over the warm-up listings records them in the rerun index, so the timed run
    // finds them unchanged with one index lookup each, as a directory's next run would.
    await seed(store, RULES_WARM_UP, `warm-${randomUUID().slice(0, 8)}`);
    const warm = await timed(executor, store, profileOf(assessor));
    if (warm.summary.assessed !== RULES_WARM_UP) throw new Error(`rules warm-up assessed ${warm.summary.assessed} of ${RULES_WARM_UP}`);
    const first = RULES_WARM_UP / (warm.ms / 1000);
    await seed(store, count, 'rules');
    const { ms, summary } = await timed(executor, store, profileOf(assessor));
    if (summary.assessed !== count || summary.unchanged !== RULES_WARM_UP) {
      throw new Error(`rules run assessed ${summary.assessed} of ${count} (unchanged ${summary.unchanged} of ${RULES_WARM_UP})`);
    }
    return { rate: count / (ms / 1000), first };
  } finally {
    await executor.close();
    await store.close();
  }
}

/** The figures of issue 17 (directory scale): (a) rerun share, (b) rules pipeline rate, (d) peak RSS 100k / 10k. */
async function scaleFigures(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // THREATDRAFT_BENCH_PARTS=a,b,d picks figures while iterating; the default is all of them.
  const parts = (process.env['THREATDRAFT_BENCH_PARTS'] ?? 'a,b,d').split(',');
  if (parts.includes('a')) results.push(await cliRerunShare(2_000));
  for (const count of parts.includes('b') ? [1_000, 5_000] : []) {
    const { rate, first } = await rulesOnFileStore(count);
    results.push({
      name: `pipeline rules assessor, file store (fsync on), ${count.toLocaleString('en')} listings (its executor's first ${RULES_WARM_UP}: ${Math.round(first)}/s)`,
      value: Math.round(rate),
      unit: 'listings/s',
      target: '>= 500',
      ok: rate >= 500,
    });
  }
  if (!parts.includes('d')) return results;
  const small = await rssInChild(10_000);
  const large = await rssInChild(100_000);
  const ratio = large.maxRssBytes / small.maxRssBytes;
  results.push({
    name: `pipeline peak RSS 100,000-listing run / 10,000 run, rules, file store (${Math.round(large.maxRssBytes / 2 ** 20)} / ${Math.round(small.maxRssBytes / 2 ** 20)} MB)`,
    value: Math.round(ratio * 100) / 100,
    unit: '×',
    target: '<= 1.5',
    ok: ratio <= 1.5 && large.assessed === 100_000 && small.assessed === 10_000,
  });
  return results;
}

/** Runs the pipeline bench (THREATDRAFT_BENCH_SCALE_ONLY=1: only the directory-scale figures). */
export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = await scaleFigures();
  if (process.env['THREATDRAFT_BENCH_SCALE_ONLY'] === '1') return results;
  const fake = await startFakeModelProcess(LATENCY_MS);
  const env = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'bench-key', LOG_LEVEL: 'silent' };
  const url = process.env['REDIS_URL']?.trim() || 'redis://127.0.0.1:6379';
  try {
    // Local executor, memory store: the executor and the model, nothing else.
    {
      const store = createMemoryStore();
      const count = 480;
      await seed(store, count, 'local');
      const { assessor, profile } = await assessorFactory({ env: loadEnv(env) })('openai');
      const warmStore = createMemoryStore();
      await warmUp(new LocalExecutor({ store: warmStore, assessor, modelConcurrency: CONCURRENCY }), warmStore, profile);
      const { ms } = await timed(new LocalExecutor({ store, assessor, modelConcurrency: CONCURRENCY }), store, profile);
      const rate = count / (ms / 1000);
      results.push({
        name: `pipeline local executor, ${LATENCY_MS} ms model, concurrency ${CONCURRENCY}`,
        value: Math.round(rate * 10) / 10,
        unit: 'listings/s',
        target: `>= ${0.9 * IDEAL_PER_SECOND} (90% of ${IDEAL_PER_SECOND})`,
        ok: rate >= 0.9 * IDEAL_PER_SECOND,
      });
    }

    // The executor alone: an assessor that only waits the model latency (no HTTP, no parsing).
    {
      const store = createMemoryStore();
      const count = 480;
      await seed(store, count, 'sleep');
      const rules = createRulesAssessor();
      // The sleep stands for the model call, so it takes a model slot as one does.
      const sleeper: Assessor = {
        id: rules.id,
        version: rules.version,
        assess: async (listing, options = {}) => {
          await (options.modelSlot ?? runAtOnce)(() => new Promise((done) => setTimeout(done, LATENCY_MS)));
          return rules.assess(listing);
        },
      };
      const { ms } = await timed(new LocalExecutor({ store, assessor: sleeper, modelConcurrency: CONCURRENCY }), store, profileOf(sleeper));
      results.push({
        name: `pipeline local executor overhead (assessor = ${LATENCY_MS} ms sleep), concurrency ${CONCURRENCY}`,
        value: Math.round((count / (ms / 1000)) * 10) / 10,
        unit: 'listings/s',
      });
    }

    const one = await bullThroughput(url, env, 1, 960);
    results.push({
      name: `pipeline bullmq, 1 worker process, concurrency ${CONCURRENCY}`,
      value: Math.round(one * 10) / 10,
      unit: 'listings/s',
      target: `>= ${0.9 * IDEAL_PER_SECOND} (90% of ${IDEAL_PER_SECOND})`,
      ok: one >= 0.9 * IDEAL_PER_SECOND,
    });
    const two = await bullThroughput(url, env, 2, 1920);
    results.push({
      name: 'pipeline bullmq, 2 worker processes vs 1 (throughput ratio)',
      value: Math.round((two / one) * 100) / 100,
      unit: '×',
      target: '>= 1.8',
      ok: two / one >= 1.8,
    });

    // Unchanged rerun: the default file store, 2,000 listings, first run against the model.
    {
      const store = createFileStore({ root: scratchDir('threatdraft-bench-rerun-') });
      try {
        await seed(store, 2000, 'rerun');
        const { assessor, profile } = await assessorFactory({ env: loadEnv(env), cache: store.cache })('openai');
        const executor = new LocalExecutor({ store, assessor, modelConcurrency: CONCURRENCY });
        const first = await timed(executor, store, profile);
        const rerun = await timed(executor, store, profile);
        if (rerun.summary.unchanged !== 2000) throw new Error(`rerun found ${rerun.summary.unchanged} unchanged, expected 2000`);
        const share = rerun.ms / first.ms;
        results.push({
          name: `pipeline unchanged rerun of 2,000 (first ${(first.ms / 1000).toFixed(1)} s, rerun ${(rerun.ms / 1000).toFixed(2)} s)`,
          value: Math.round(share * 1000) / 10,
          unit: '% of first run',
          target: '<= 10',
          ok: share <= 0.1,
        });
      } finally {
        await store.close();
      }
    }

    // Peak memory of a bulk run: the default rules assessor (the target), then the openai path,
    // the model answering at once so it is quick. Its peak is mostly garbage V8 lets pile up
    // between full GCs at that allocation rate; the heap retained at the end shows nothing leaks.
    const rules = await rssInChild(10_000);
    const mb = (bytes: number): number => Math.round(bytes / (1024 * 1024));
    results.push({
      name: `pipeline peak RSS, 10,000 listings, local executor, rules assessor (child, ${rules.assessed} assessed)`,
      value: mb(rules.maxRssBytes),
      unit: 'MB',
      target: '< 400',
      ok: mb(rules.maxRssBytes) < 400 && rules.assessed === 10_000,
    });
    const quick = await startFakeModelProcess(0);
    let openai: RssFigures;
    try {
      openai = await rssInChild(10_000, quick.baseUrl);
    } finally {
      await quick.close();
    }
    results.push({
      name: `pipeline peak RSS, 10,000 listings, local executor, openai assessor vs fake at 0 ms (${openai.assessed} assessed)`,
      value: mb(openai.maxRssBytes),
      unit: 'MB',
    });
    results.push({
      name: 'pipeline heap retained after the 10,000-listing openai run (full GC)',
      value: mb(openai.retainedBytes),
      unit: 'MB',
      target: '< 100 (nothing per listing is kept)',
      ok: mb(openai.retainedBytes) < 100 && openai.assessed === 10_000,
    });
  } finally {
    await fake.close();
  }
  return results;
}

if (process.argv[2] === '--seed-child' && process.argv[3] !== undefined) {
  const store = createFileStore({ root: process.argv[3], fsync: false });
  await seed(store, Number(process.argv[4] ?? 10_000), 'rss');
  await store.close();
}
if (process.argv[2] === '--rss-child' && process.argv[3] !== undefined) {
  await rssChild(process.argv[3], process.argv[5]);
}
