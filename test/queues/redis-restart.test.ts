import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { startWorkers } from '../../queues/worker.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';
import { ScriptedAssessor, manyListings } from '../pipeline/helpers.js';
import { freshNamespace, waitFor } from './helpers.js';

describe('a Redis with appendonly yes restarted in the middle of a run', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis({ appendonly: true });
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('completes the run and loses nothing', async () => {
    const ns = freshNamespace(redis.url);
    const assessor = new ScriptedAssessor({ delayMs: 15 });
    const profile = profileOf(assessor);
    const policy = { attempts: 6, backoffMs: 100, maxDelayMs: 1000 };
    const workers = await startWorkers({
      redisUrl: redis.url,
      namespace: ns.namespace,
      store: ns.store,
      assessorFor: async () => ({ assessor, profile }),
      fetcherFor: async () => {
        throw new Error('no crawling in this test');
      },
      concurrency: 4,
      policy,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
    });
    const executor = new BullExecutor({ redisUrl: redis.url, namespace: ns.namespace, store: ns.store, policy, reconcileEveryMs: 500 });
    try {
      for (const listing of manyListings(300)) await ns.store.listings.put(listing);
      let done = 0;
      const run = runPipeline({ executor, store: ns.store, profile, onProgress: (event) => (done = event.stage === 'assess' ? event.event.done : done) });
      await waitFor(() => done >= 60, 20_000, '60 listings done');
      await redis.restart();
      const doneAtRestart = done;
      const summary = await run;

      expect(doneAtRestart).toBeLessThan(300);
      expect(summary).toMatchObject({ listings: 300, failed: 0 });
      expect(summary.assessed + summary.unchanged).toBe(300);
      const drafts = await ns.store.drafts.list();
      expect(drafts).toHaveLength(300);
      expect(new Set(drafts.map((draft) => draft.listingId)).size).toBe(300);
      expect(drafts.every((draft) => draft.revision === 1)).toBe(true);
      expect(await ns.store.listings.ids()).toHaveLength(300);
    } finally {
      await workers.close();
      await executor.close();
      await ns.cleanup();
    }
  }, 60_000);
});
