import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { assessJobId } from '../../queues/names.js';
import { startWorkers, type WorkerHandle } from '../../queues/worker.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { ScriptedAssessor, agentListing, manyListings } from '../pipeline/helpers.js';
import { freshNamespace } from './helpers.js';

let url: string;
beforeAll(async () => {
  url = await redisUrlForTests();
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A ScriptedAssessor that records when each assessment started. */
class TimedAssessor extends ScriptedAssessor {
  readonly startedAt: number[] = [];
  override async assess(listing: Parameters<ScriptedAssessor['assess']>[0]) {
    this.startedAt.push(Date.now());
    return super.assess(listing);
  }
}

/**
 * A fresh namespace with one in-process worker per assessor (all sharing the first one's profile)
 * and a BullExecutor; everything is closed after the test.
 */
async function setup(
  assessors: ScriptedAssessor | readonly ScriptedAssessor[],
  options: { concurrency?: number; rateLimit?: { max: number; durationMs: number }; reconcileEveryMs?: number } = {},
) {
  const list = Array.isArray(assessors) ? assessors : [assessors as ScriptedAssessor];
  const ns = freshNamespace(url);
  closers.push(ns.cleanup);
  const policy = { attempts: 3, backoffMs: 10, maxDelayMs: 50 };
  const profile = profileOf(list[0]!);
  const handles: WorkerHandle[] = [];
  for (const assessor of list) {
    const handle = await startWorkers({
      redisUrl: url,
      namespace: ns.namespace,
      store: ns.store,
      assessorFor: async () => ({ assessor, profile }),
      fetcherFor: async () => {
        throw new Error('no crawling in this test');
      },
      concurrency: options.concurrency ?? 4,
      policy,
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    });
    closers.push(() => handle.close());
    handles.push(handle);
  }
  const executor = new BullExecutor({ redisUrl: url, namespace: ns.namespace, store: ns.store, policy, reconcileEveryMs: options.reconcileEveryMs ?? 500 });
  closers.push(() => executor.close());
  return { ...ns, workers: handles[0]!, executor, profile };
}

describe('BullExecutor with in-process workers', () => {
  it('assesses every listing once; an unchanged rerun enqueues nothing; a changed listing is the only one reassessed', async () => {
    const assessor = new ScriptedAssessor({ delayMs: 2 });
    const { store, executor, profile } = await setup(assessor);
    for (const listing of manyListings(30)) await store.listings.put(listing);

    const first = await runPipeline({ executor, store, profile });
    expect(first).toMatchObject({ listings: 30, assessed: 30, unchanged: 0, failed: 0, drafts: 30, tokens: 4500 });
    const counts = await executor.assessQueue.getJobCounts('completed');
    expect(counts['completed']).toBe(30);

    const second = await runPipeline({ executor, store, profile });
    expect(second).toMatchObject({ assessed: 0, unchanged: 30, failed: 0 });
    expect((await executor.assessQueue.getJobCounts('completed'))['completed']).toBe(30);

    await store.listings.put(agentListing(3, 1));
    const third = await runPipeline({ executor, store, profile });
    expect(third).toMatchObject({ assessed: 1, unchanged: 29, failed: 0 });
    expect(assessor.calls).toBe(31);
    expect((await store.drafts.list({ listingId: 'agent-0003' })).map((draft) => [draft.revision, draft.status])).toEqual([
      [1, 'superseded'],
      [2, 'draft'],
    ]);
  });

  it('records the rerun index from the workers\' results, so a rerun on workers decides every listing without reading a draft', async () => {
    const assessor = new ScriptedAssessor({ delayMs: 1 });
    const { store, executor, profile } = await setup(assessor);
    for (const listing of manyListings(12)) await store.listings.put(listing);
    await runPipeline({ executor, store, profile });
    expect([...(await store.index.assessed()).keys()].sort()).toEqual(manyListings(12).map((listing) => listing.id).sort());

    // Count draft reads from here on: the rerun index answers for every listing it knows.
    let draftReads = 0;
    const { drafts } = store;
    const counting = Object.create(drafts) as typeof drafts;
    counting.current = async (id) => ((draftReads += 1), drafts.current(id));
    counting.currentMany = async (ids) => ((draftReads += ids.length), drafts.currentMany(ids));
    counting.get = async (id) => ((draftReads += 1), drafts.get(id));
    const counted = Object.assign(Object.create(store) as typeof store, { drafts: counting });
    await store.listings.put(agentListing(5, 1));
    const rerun = await runPipeline({ executor, store: counted, profile });
    expect(rerun).toMatchObject({ assessed: 1, unchanged: 11, failed: 0 });
    expect(draftReads).toBe(0);
    // The changed listing was decided from its index entry too: its hash differs, so it went to a worker.
    expect((await store.index.assessed()).get('agent-0005')?.contentHash).toBe(agentListing(5, 1).contentHash);
  });

  it('derives job ids from content hashes, so the same work enqueued twice runs once', async () => {
    const assessor = new ScriptedAssessor({ delayMs: 5 });
    const { store, executor, profile } = await setup(assessor);
    const listings = manyListings(10);
    for (const listing of listings) await store.listings.put(listing);
    const refs = listings.map((listing) => ({ id: listing.id, contentHash: listing.contentHash }));
    const [a, b] = await Promise.all([executor.assess(refs, profile), executor.assess(refs, profile)]);
    expect(a.assessed + a.unchanged).toBe(10);
    expect(b.assessed + b.unchanged).toBe(10);
    expect(assessor.calls).toBe(10);
    const job = await executor.assessQueue.getJob(assessJobId(listings[0]!.id, listings[0]!.contentHash, profile));
    // The worker keeps when the first attempt started: the listing's time budget counts from it.
    expect(job?.data).toEqual({ listingId: listings[0]!.id, contentHash: listings[0]!.contentHash, assessor: 'rules', startedAt: expect.any(Number) as unknown as number });
  });

  it('retries transient failures with backoff, does not retry permanent ones, and reports both with reason and attempts', async () => {
    const assessor = new ScriptedAssessor({
      fail: (listing, call) => {
        if (listing.id === 'agent-0000' && call === 1) return 'transient';
        if (listing.id === 'agent-0001') return 'transient';
        if (listing.id === 'agent-0002') return 'permanent';
        return null;
      },
    });
    const { store, executor, profile } = await setup(assessor);
    for (const listing of manyListings(5)) await store.listings.put(listing);
    const summary = await runPipeline({ executor, store, profile });
    expect(summary).toMatchObject({ listings: 5, assessed: 3, failed: 2 });
    expect(summary.failures).toEqual([
      { id: 'agent-0001', code: 'E_MODEL_5XX', reason: 'model answered 500 for agent-0001', attempts: 3 },
      { id: 'agent-0002', code: 'E_MODEL_SCHEMA', reason: 'model output broke the schema for agent-0002', attempts: 1 },
    ]);
    expect(Object.fromEntries(assessor.callsById)).toMatchObject({ 'agent-0000': 2, 'agent-0001': 3, 'agent-0002': 1 });

    // A rerun tries the failed ones again from scratch (a failure is not remembered as done).
    const rerun = await runPipeline({ executor, store, profile });
    expect(rerun).toMatchObject({ assessed: 0, unchanged: 3, failed: 2 });
    expect(assessor.callsById.get('agent-0001')).toBe(6);
  });

  it('caps assess jobs started per second across all workers with the rate limit', async () => {
    const assessors = [new TimedAssessor(), new TimedAssessor()];
    const ns = await setup(assessors, { concurrency: 16, rateLimit: { max: 4, durationMs: 500 }, reconcileEveryMs: 200 });
    const { executor, profile } = ns;
    for (const listing of manyListings(16)) await ns.store.listings.put(listing);
    const summary = await runPipeline({ executor, store: ns.store, profile });
    expect(summary).toMatchObject({ assessed: 16, failed: 0 });

    const starts = assessors.flatMap((assessor) => assessor.startedAt).sort((a, b) => a - b);
    expect(starts).toHaveLength(16);
    // Both workers took jobs, and together they kept to 4 per 500 ms: 16 jobs span at least three
    // more windows after the first, and no 500 ms ever saw more than two windows' worth.
    expect(assessors.every((assessor) => assessor.startedAt.length > 0)).toBe(true);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(3 * 500 * 0.9);
    for (const start of starts) expect(starts.filter((other) => other >= start && other < start + 500).length).toBeLessThanOrEqual(8);
    expect(starts.filter((other) => other < starts[0]! + 250).length).toBeLessThanOrEqual(4);
  });

  it('close() stops taking jobs and lets the jobs in flight finish and save their drafts (graceful shutdown)', async () => {
    const assessor = new ScriptedAssessor({ delayMs: 1000 });
    // Three model slots: six jobs in flight, three in a model call and three waiting for a slot.
    const { store, executor, profile, workers } = await setup(assessor, { concurrency: 3 });
    const listings = manyListings(9);
    for (const listing of listings) await store.listings.put(listing);
    const run = executor.assess(
      listings.map((listing) => ({ id: listing.id, contentHash: listing.contentHash })),
      profile,
    );
    run.catch(() => undefined);
    while (assessor.calls < 6) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(assessor.inFlight).toBe(3);
    await workers.close();
    // The six in flight finished and were saved; nothing else was started.
    expect(assessor.calls).toBe(6);
    expect(assessor.maxInFlight).toBe(3);
    expect(assessor.assessing).toBe(0);
    expect((await store.drafts.list()).length).toBe(6);
    expect((await executor.assessQueue.getJobCounts('completed', 'active', 'waiting'))).toEqual({ completed: 6, active: 0, waiting: 3 });
  });
});
