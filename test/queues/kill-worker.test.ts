import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { loadEnv } from '../../src/config.js';
import { assessorFactory } from '../../src/pipeline/wiring.js';
import { storedRefs } from '../../src/pipeline/run.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { manyListings } from '../pipeline/helpers.js';
import { exited, freshNamespace, startWorkerProcess, waitFor } from './helpers.js';

describe('a worker process killed with SIGKILL in the middle of 500 listings', () => {
  let fake: FakeOpenAI;
  let url: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    url = await redisUrlForTests();
    fake = await startFakeOpenAI({ latencyMs: 40 });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await fake.close();
  });

  it('leaves every listing with exactly one current draft once a new worker takes over: none lost, none duplicated', async () => {
    const ns = freshNamespace(url);
    const env = { REDIS_URL: url, OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key', LOG_LEVEL: 'silent' };
    const executor = new BullExecutor({
      redisUrl: url,
      namespace: ns.namespace,
      store: ns.store,
      policy: { attempts: 4, backoffMs: 100, maxDelayMs: 1000 },
      reconcileEveryMs: 500,
    });
    try {
      const listings = manyListings(500);
      for (let i = 0; i < listings.length; i += 100) await Promise.all(listings.slice(i, i + 100).map((l) => ns.store.listings.put(l)));
      const { profile } = await assessorFactory({ env: loadEnv(env) })('openai');
      const workerArgs = ['--concurrency', '8', '--namespace', ns.namespace, '--lock-ms', '1000', '--stalled-ms', '500', '--backoff-ms', '100'];

      const first = await startWorkerProcess(workerArgs, env);
      children.push(first.child);
      let done = 0;
      const run = executor.assess(await storedRefs(ns.store), profile, { onProgress: (event) => (done = event.done) });
      await waitFor(() => done >= 120, 30_000, '120 listings done');
      first.child.kill('SIGKILL');
      await exited(first.child);
      const doneAtKill = done;
      // The dead worker still holds these: nothing moves them back until a live worker's stall check.
      const activeAtKill = (await executor.assessQueue.getActive()).map((job) => (job.data as { listingId: string }).listingId);

      const second = await startWorkerProcess(workerArgs, env);
      children.push(second.child);
      const tally = await run;
      expect(doneAtKill).toBeLessThan(500);
      expect(tally.failed).toBe(0);
      expect(tally.assessed + tally.unchanged).toBe(500);

      const drafts = await ns.store.drafts.list();
      expect(drafts).toHaveLength(500);
      expect(new Set(drafts.map((draft) => draft.listingId)).size).toBe(500);
      expect(drafts.every((draft) => draft.revision === 1 && draft.status === 'draft')).toBe(true);
      expect((await executor.assessQueue.getJobCounts('completed'))['completed']).toBe(500);
      // Jobs in flight at the kill were run again by the new worker (stalled-job recovery) ...
      expect(activeAtKill.length).toBeGreaterThan(0);
      const stalled = new Map<string, number>();
      for (const job of await executor.assessQueue.getJobs(['completed'])) stalled.set((job.data as { listingId: string }).listingId, job.stalledCounter);
      for (const listingId of activeAtKill) expect(stalled.get(listingId)).toBeGreaterThanOrEqual(1);
      // ... and that is the only reason any listing reached the model twice.
      const perListing = new Map<string, number>();
      for (const entry of fake.requestLog) if (entry.listingId !== null) perListing.set(entry.listingId, (perListing.get(entry.listingId) ?? 0) + 1);
      expect(perListing.size).toBe(500);
      const repeated = [...perListing].filter(([, count]) => count > 1).map(([listingId]) => listingId);
      expect(repeated.filter((listingId) => (stalled.get(listingId) ?? 0) < 1)).toEqual([]);

      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
      expect(second.stderr()).toContain('stopped');
    } finally {
      await executor.close();
      await ns.cleanup();
    }
  }, 90_000);
});
