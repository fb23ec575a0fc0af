/**
 * Queue overhead, measured side by side in one run on the same Redis (REDIS_URL, else
 * 127.0.0.1:6379), with the same job count and the same worker concurrency; the producer runs in
 * this process and the worker in a child process (as `threatdraft run` and `threatdraft worker`):
 * - the BullMQ executor with a no-op assess stage: `BullExecutor.assess` (the unchanged check
 *   against the Redis store, `addBulk`, waiting on QueueEvents) and `startWorkers` (processor,
 *   payload parsing, the listing's time budget kept in the job) with a stage that returns at once;
 *   on a first run (no drafts yet) and on a changed rerun (every listing has a draft of older
 *   content and a rerun index entry, read a batch at a time, so no draft is read);
 * - bare BullMQ: `addBulk` in batches of 500, QueueEvents, and a Worker whose processor returns at once;
 * - their ratio (the executor should keep at least 0.6 of bare BullMQ's throughput).
 * Both sides stay up for the whole bench and, after a warm-up, run `ROUNDS` segments of `JOBS` jobs
 * each, alternating; the rates are over all segments, the ratio is the median of the rounds'
 * ratios (a round's two segments run back to back), so a burst of other work skews it less.
 */
import { createHash, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { BullExecutor } from '../queues/executor.js';
import { bullConnection, prefixesFor } from '../queues/names.js';
import { startWorkers } from '../queues/worker.js';
import { createRulesAssessor } from '../src/assess/rules/assess.js';
import type { AssessInput, AssessOutput } from '../src/pipeline/contracts.js';
import { LISTINGS_PER_MODEL_SLOT } from '../src/pipeline/model-slots.js';
import { profileKey, profileOf } from '../src/pipeline/profile.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { draftId, type Draft } from '../schemas/draft.js';
import type { Listing } from '../schemas/listing.js';
import { computeContentHash } from '../src/crawl/extract.js';
import { assessStage } from '../src/pipeline/assess-stage.js';
import { deletePrefix } from './_redis.js';
import type { BenchResult } from './types.js';

/** Jobs per timed segment; each side runs `ROUNDS` segments, alternating with the other. */
const JOBS = 1_000;
const WARM_UP_JOBS = 500;
/** Model concurrency of the executor's worker; its assess worker runs twice as many jobs at once. */
const MODEL_CONCURRENCY = 8;
const WORKER_CONCURRENCY = MODEL_CONCURRENCY * LISTINGS_PER_MODEL_SLOT;
const TARGET_RATIO = 0.6;
const BARE_QUEUE = 'bare';
const ROUNDS = 8;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const rules = createRulesAssessor();
const profile = profileOf(rules);

/** The no-op assess stage: answers as an unchanged listing would, touching nothing. */
async function noopStage(input: AssessInput): Promise<AssessOutput> {
  return Promise.resolve({ listingId: input.listingId, outcome: 'assessed', draftId: `${input.listingId}@1`, revision: 1, tokensIn: 0, tokensOut: 0, costUsd: 0, attempts: 1 });
}

/** `count` listing refs with distinct ids and well-formed content hashes. */
function refs(count: number, tag: string): Array<{ id: string; contentHash: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `bench-${tag}-${i}`, contentHash: createHash('sha256').update(`${tag}:${i}`).digest('hex') }));
}

/**
 * Child mode: a worker in its own process, as `threatdraft worker` runs beside `threatdraft run`:
 * the executor's workers with the no-op stage, or a bare BullMQ Worker with a no-op processor.
 * Says `ready` on stdout once it takes jobs; closes gracefully on SIGTERM.
 */
async function workerChild(kind: 'executor' | 'bare', url: string, name: string): Promise<void> {
  let close: () => Promise<void>;
  if (kind === 'executor') {
    const store = new RedisStore({ url, prefix: prefixesFor(name).store });
    const workers = await startWorkers({
      redisUrl: url,
      namespace: name,
      store,
      concurrency: MODEL_CONCURRENCY,
      assessorFor: () => Promise.resolve({ assessor: rules, profile }),
      fetcherFor: () => Promise.reject(new Error('no crawling in the queue bench')),
      assessStage: noopStage,
    });
    close = async () => {
      await workers.close();
      await store.close();
    };
  } else {
    const worker = new Worker(BARE_QUEUE, () => Promise.resolve({ ok: true }), { connection: bullConnection(url), prefix: name, concurrency: WORKER_CONCURRENCY });
    await worker.waitUntilReady();
    close = () => worker.close();
  }
  process.once('SIGTERM', () => {
    void close().then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

/** Starts a worker child (see {@link workerChild}) and resolves once it is ready. */
async function startWorkerChild(kind: 'executor' | 'bare', url: string, name: string): Promise<{ stop(): Promise<void> }> {
  const self = fileURLToPath(import.meta.url);
  const args = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
  const child = spawn(process.execPath, [...args, '--queue-worker', kind, url, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`queue bench worker exited ${String(code)}: ${err.slice(0, 500)}`)));
  });
  return {
    stop: () =>
      new Promise<void>((done) => {
        child.removeAllListeners('exit');
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** One side of the comparison: a producer here, its worker in a child; `run` times `count` jobs. */
interface Side {
  /**
   * Milliseconds to enqueue `count` new jobs and see them all complete. With `changed`, each
   * listing already has a draft of an older content and a rerun index entry for it (seeded before
   * the clock starts), as on a rerun after the whole directory changed.
   */
  run(count: number, tag: string, changed?: boolean): Promise<number>;
  close(): Promise<void>;
}

const OLD_HASH = createHash('sha256').update('older content').digest('hex');

/** A real draft (the rules assessor on a synthetic listing, saved by the assess stage) to copy. */
async function draftTemplate(store: Store): Promise<Draft> {
  const base = {
    id: 'bench-template',
    sourceId: 'bench',
    url: 'https://directory.example/agents/bench-template',
    fetchedAt: '2026-01-01T00:00:00.000Z',
    title: 'Bench agent',
    summary: 'An autonomous agent that plans tasks and calls tools.',
    text: 'Bench agent plans multi-step tasks on its own, calls a shell and a browser, and keeps long-term memory in a vector database.',
    truncated: false,
    fields: { capabilities: ['shell', 'browser', 'memory'], metadata: {}, repositories: [], category: null },
  };
  const listing: Listing = { ...base, contentHash: computeContentHash(base) };
  await store.listings.put(listing);
  await assessStage({ listingId: listing.id, contentHash: listing.contentHash, assessor: 'rules' }, { store, assessor: rules, profile });
  const draft = await store.drafts.current(listing.id);
  if (draft === null) throw new Error('queue bench: the template draft was not saved');
  return draft;
}

/** The BullMQ executor (producer side) with its workers running the no-op stage. */
async function executorSide(url: string): Promise<Side> {
  const namespace = `tdbench-q-${randomUUID()}`;
  const store = new RedisStore({ url, prefix: prefixesFor(namespace).store });
  const executor = new BullExecutor({ redisUrl: url, namespace, store });
  const worker = await startWorkerChild('executor', url, namespace);
  const template = await draftTemplate(store);
  return {
    async run(count, tag, changed = false) {
      const list = refs(count, tag);
      if (changed) {
        for (let begin = 0; begin < list.length; begin += 200) {
          await Promise.all(
            list.slice(begin, begin + 200).map((ref) =>
              store.drafts.save({ ...template, id: draftId(ref.id, 1), listingId: ref.id, provenance: { ...template.provenance, listingContentHash: OLD_HASH } }, null),
            ),
          );
        }
        // As the run that made those drafts recorded them in the rerun index.
        await store.index.recordAssessed(list.map((ref) => [ref.id, { contentHash: OLD_HASH, draftId: draftId(ref.id, 1), profileKey: profileKey(profile) }] as const));
      }
      const started = performance.now();
      const tally = await executor.assess(list, profile);
      const ms = performance.now() - started;
      if (tally.assessed !== count) throw new Error(`queue bench: expected ${count} assessed, got ${tally.assessed} (${tally.failed} failed)`);
      return ms;
    },
    async close() {
      await worker.stop();
      await executor.close();
      await store.close();
      await deletePrefix(url, `${namespace}:`);
    },
  };
}

/** Bare BullMQ: `addBulk` in batches of 500, QueueEvents to see completions, a no-op processor. */
async function bareSide(url: string): Promise<Side> {
  const prefix = `tdbench-bare-${randomUUID()}`;
  const queue = new Queue(BARE_QUEUE, { connection: bullConnection(url), prefix });
  const events = new QueueEvents(BARE_QUEUE, { connection: bullConnection(url), prefix });
  await events.waitUntilReady();
  let done = 0;
  let target = 0;
  let wake: () => void = () => {};
  events.on('completed', () => {
    done += 1;
    if (done >= target) wake();
  });
  const worker = await startWorkerChild('bare', url, prefix);
  return {
    async run(count, tag) {
      const started = performance.now();
      done = 0;
      target = count;
      const finished = new Promise<void>((resolve) => (wake = resolve));
      const jobs = refs(count, tag).map((ref) => ({ name: BARE_QUEUE, data: { listingId: ref.id, contentHash: ref.contentHash, assessor: 'rules' } }));
      for (let begin = 0; begin < jobs.length; begin += 500) await queue.addBulk(jobs.slice(begin, begin + 500));
      await finished;
      return performance.now() - started;
    },
    async close() {
      await worker.stop();
      await events.close();
      await queue.close();
      await deletePrefix(url, `${prefix}:`);
    },
  };
}

/** Executor vs bare BullMQ throughput with no-op work, and their ratio. */
export async function bench(): Promise<BenchResult[]> {
  const url = process.env['REDIS_URL']?.trim() || 'redis://127.0.0.1:6379';
  const sides = { bare: await bareSide(url), executor: await executorSide(url) };
  const ms = { bare: [] as number[], executor: [] as number[], changed: [] as number[] };
  try {
    await sides.bare.run(WARM_UP_JOBS, 'warm');
    await sides.executor.run(WARM_UP_JOBS, 'warm');
    // Short segments, alternating, so a burst of other work on the machine lands on both sides.
    for (let round = 0; round < ROUNDS; round += 1) {
      ms.bare.push(await sides.bare.run(JOBS, `r${round}`));
      ms.executor.push(await sides.executor.run(JOBS, `r${round}`));
      ms.changed.push(await sides.executor.run(JOBS, `c${round}`, true));
    }
  } finally {
    await sides.bare.close();
    await sides.executor.close();
  }
  const total = (list: readonly number[]): number => list.reduce((sum, value) => sum + value, 0);
  const rate = (list: readonly number[]): number => (JOBS * ROUNDS) / (total(list) / 1000);
  // A round's segments ran back to back: their ratio shares the machine's load at that moment.
  const ratio = (list: readonly number[]): number => median(list.map((executorMs, round) => (ms.bare[round] ?? Number.NaN) / executorMs));
  const first = ratio(ms.executor);
  const changed = ratio(ms.changed);
  const round1 = (value: number): number => Math.round(value * 10) / 10;
  return [
    {
      name: `queue: bullmq executor, no-op stage, first run, ${ROUNDS}×${JOBS} jobs, concurrency ${WORKER_CONCURRENCY}`,
      value: round1(rate(ms.executor)),
      unit: 'jobs/s',
    },
    {
      name: `queue: bullmq executor, no-op stage, changed rerun (decided from the rerun index), ${ROUNDS}×${JOBS} jobs`,
      value: round1(rate(ms.changed)),
      unit: 'jobs/s',
    },
    {
      name: `queue: bare bullmq, no-op processor, ${ROUNDS}×${JOBS} jobs, concurrency ${WORKER_CONCURRENCY}`,
      value: round1(rate(ms.bare)),
      unit: 'jobs/s',
    },
    {
      name: `queue: bullmq executor / bare bullmq, no-op work, first run (median of ${ROUNDS} rounds)`,
      value: Math.round(first * 100) / 100,
      unit: '×',
      target: `>= ${TARGET_RATIO}`,
      ok: first >= TARGET_RATIO,
    },
    {
      name: `queue: bullmq executor / bare bullmq, no-op work, changed rerun (median of ${ROUNDS} rounds)`,
      value: Math.round(changed * 100) / 100,
      unit: '×',
      target: `>= ${TARGET_RATIO}`,
      ok: changed >= TARGET_RATIO,
    },
  ];
}

if (process.argv[2] === '--queue-worker') {
  const [kind, url, name] = process.argv.slice(3);
  if ((kind !== 'executor' && kind !== 'bare') || url === undefined || name === undefined) throw new Error('usage: queue.js --queue-worker executor|bare URL NAME');
  await workerChild(kind, url, name);
}
