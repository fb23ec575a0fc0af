import { getEventListeners } from 'node:events';
import { Queue } from 'bullmq';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { ASSESS_QUEUE } from '../../queues/names.js';
import { startWorkers } from '../../queues/worker.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { ScriptedAssessor, manyListings } from '../pipeline/helpers.js';
import { freshNamespace } from './helpers.js';

let url: string;
beforeAll(async () => {
  url = await redisUrlForTests();
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (closers.length > 0) await closers.pop()!();
});

/** A fresh namespace, a memory store, one in-process worker and an executor with `options`. */
async function setup(assessor: ScriptedAssessor, options: { bulkSize?: number; readAhead?: number; reconcileEveryMs?: number } = {}) {
  const ns = freshNamespace(url);
  closers.push(ns.cleanup);
  const store: Store = createMemoryStore();
  const profile = profileOf(assessor);
  const workers = await startWorkers({
    redisUrl: url,
    namespace: ns.namespace,
    store,
    assessorFor: async () => ({ assessor, profile }),
    fetcherFor: async () => {
      throw new Error('no crawling in this test');
    },
    concurrency: 8,
    policy: { attempts: 3, backoffMs: 10, maxDelayMs: 50 },
  });
  closers.push(() => workers.close());
  const executor = new BullExecutor({ redisUrl: url, namespace: ns.namespace, store, ...options });
  closers.push(() => executor.close());
  return { store, executor, profile, namespace: ns.namespace };
}

describe('BullExecutor enqueueing', () => {
  it('reads current drafts in batches ahead of the batch being added, at most readAhead + 1 at once, and adds changed listings in full batches', async () => {
    const assessor = new ScriptedAssessor();
    const { store, executor, profile } = await setup(assessor, { bulkSize: 50, readAhead: 2 });
    const listings = manyListings(1100);
    for (const listing of listings) await store.listings.put(listing);
    // Every 11th listing already has its draft: 100 unchanged, scattered over the batches.
    const done = listings.filter((_, i) => i % 11 === 0).map((listing) => ({ id: listing.id, contentHash: listing.contentHash }));
    expect((await executor.assess(done, profile)).assessed).toBe(100);

    let readsInFlight = 0;
    let maxReadsInFlight = 0;
    const readSizes: number[] = [];
    const currentMany = store.drafts.currentMany.bind(store.drafts);
    store.drafts.currentMany = async (ids) => {
      readSizes.push(ids.length);
      readsInFlight += 1;
      maxReadsInFlight = Math.max(maxReadsInFlight, readsInFlight);
      try {
        // A slow store: reads take longer than adds, so a read that waited for an add would show.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return await currentMany(ids);
      } finally {
        readsInFlight -= 1;
      }
    };
    const addSizes: number[] = [];
    const readsDuringAdds: number[] = [];
    const readsStartedAtAdds: number[] = [];
    const addBulk = Queue.prototype.addBulk;
    vi.spyOn(Queue.prototype, 'addBulk').mockImplementation(function (this: Queue, jobs) {
      if (this.name === ASSESS_QUEUE) {
        addSizes.push(jobs.length);
        readsDuringAdds.push(readsInFlight);
        readsStartedAtAdds.push(readSizes.length);
      }
      return addBulk.call(this, jobs);
    });

    const tally = await executor.assess(
      listings.map((listing) => ({ id: listing.id, contentHash: listing.contentHash })),
      profile,
    );
    expect(tally).toMatchObject({ assessed: 1000, unchanged: 100, failed: 0 });
    expect(readSizes).toEqual(Array.from({ length: 22 }, () => 50));
    expect(addSizes).toEqual(Array.from({ length: 20 }, () => 50));
    expect(maxReadsInFlight).toBe(3);
    // Reads went on while batches were being added, not one after the other.
    expect(readsDuringAdds.some((reads) => reads > 0)).toBe(true);
    // Bounded: by the k-th add, no more chunks were read than the k batches needed plus those ahead
    // (each chunk of 50 holds at least 45 changed listings).
    expect(readsStartedAtAdds.every((started, k) => started <= Math.ceil(((k + 1) * 50) / 45) + 3)).toBe(true);
    expect(assessor.calls).toBe(1100);
  });

  it('finds jobs kept from an earlier run in one look and runs them again at once (the stage skips what still matches), not after the reconcile timer', async () => {
    const assessor = new ScriptedAssessor();
    // Reconciling on a timer would also settle them, after a minute: the run must not wait for it.
    const { store: first, executor: earlier, profile, namespace } = await setup(assessor, { reconcileEveryMs: 60_000 });
    const listings = manyListings(30);
    for (const listing of listings) await first.listings.put(listing);
    const refs = listings.map((listing) => ({ id: listing.id, contentHash: listing.contentHash }));
    expect((await earlier.assess(refs, profile)).assessed).toBe(30);
    expect(assessor.calls).toBe(30);

    // A producer whose store has none of those drafts finds every listing changed; its jobs are the
    // same jobs, kept in the queue with their results.
    const later = new BullExecutor({ redisUrl: url, namespace, store: createMemoryStore(), reconcileEveryMs: 60_000 });
    closers.push(() => later.close());
    const addBulk = vi.spyOn(Queue.prototype, 'addBulk');
    const started = Date.now();
    const tally = await later.assess(refs, profile);
    // The workers' store still holds the drafts, so the stage finds them unchanged.
    expect(tally).toMatchObject({ assessed: 0, unchanged: 30, failed: 0 });
    expect(assessor.calls).toBe(30);
    expect(addBulk).toHaveBeenCalled();
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('leaves no abort listener on the run signal however long it waits (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    closers.push(async () => {
      process.off('warning', onWarning);
    });
    const assessor = new ScriptedAssessor({ delayMs: 400 });
    const { store, executor, profile } = await setup(assessor, { reconcileEveryMs: 10 });
    const listings = manyListings(3);
    for (const listing of listings) await store.listings.put(listing);
    const controller = new AbortController();
    let maxListeners = 0;
    const sampler = setInterval(() => {
      maxListeners = Math.max(maxListeners, getEventListeners(controller.signal, 'abort').length);
    }, 5);
    try {
      const summary = await runPipeline({ executor, store, profile, signal: controller.signal });
      expect(summary).toMatchObject({ assessed: 3, failed: 0 });
    } finally {
      clearInterval(sampler);
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(maxListeners).toBeLessThanOrEqual(2);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
