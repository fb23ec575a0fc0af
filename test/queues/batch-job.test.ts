import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { BullExecutor } from '../../queues/executor.js';
import { BATCH_QUEUE, bullConnection, prefixesFor } from '../../queues/names.js';
import { startWorkers } from '../../queues/worker.js';
import { loadEnv } from '../../src/config.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { assessorFactory } from '../../src/pipeline/wiring.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { manyListings } from '../pipeline/helpers.js';
import { freshNamespace } from './helpers.js';

describe('run --batch on BullMQ', () => {
  let fake: FakeOpenAI;
  let url: string;
  beforeAll(async () => {
    url = await redisUrlForTests();
    fake = await startFakeOpenAI({ batch: { pollsInProgress: 2 } });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('one batch job owns the run: a worker uploads, polls and stores every draft', async () => {
    const ns = freshNamespace(url);
    const assessorFor = assessorFactory({ env: loadEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test-bullmq-batch', THREATDRAFT_ENDPOINT_PROFILE: 'openai' }) });
    const built = await assessorFor('openai');
    const workers = await startWorkers({
      redisUrl: url,
      namespace: ns.namespace,
      store: ns.store,
      assessorFor,
      fetcherFor: async () => {
        throw new Error('no crawling in this test');
      },
      batchPollMs: 5,
    });
    const executor = new BullExecutor({ redisUrl: url, namespace: ns.namespace, store: ns.store, batch: true, reconcileEveryMs: 200 });
    const queue = new Queue(BATCH_QUEUE, { connection: bullConnection(url), prefix: prefixesFor(ns.namespace).queue });
    try {
      for (const listing of manyListings(12)) await ns.store.listings.put(listing);
      const summary = await runPipeline({ executor, store: ns.store, profile: built.profile });
      expect(summary).toMatchObject({ listings: 12, assessed: 12, failed: 0 });
      expect(fake.batches()).toHaveLength(1);
      expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
      const drafts = await ns.store.drafts.list();
      expect(drafts).toHaveLength(12);
      expect(new Set(drafts.map((draft) => draft.provenance.batchId)).size).toBe(1);
    } finally {
      await queue.close();
      await workers.close();
      await executor.close();
      await ns.cleanup();
    }
  }, 30_000);
});
