import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { loadEnv } from '../../src/config.js';
import { startFakeOpenAI } from '../../src/fake-openai/server.js';
import { storedRefs } from '../../src/pipeline/run.js';
import { assessorFactory } from '../../src/pipeline/wiring.js';
import { freePort, redisUrlForTests, startPrivateRedis } from '../helpers/redis.js';
import { manyListings } from '../pipeline/helpers.js';
import { exited, freshNamespace, spawnWorkerProcess, startWorkerProcess, waitFor } from '../queues/helpers.js';

/** `threatdraft worker` as a real process, with its stderr captured. */
const spawnWorker = (env: NodeJS.ProcessEnv) => spawnWorkerProcess(['--concurrency', '2'], { LOG_LEVEL: 'warn', ...env });

describe('threatdraft worker while Redis is unreachable', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('waits, logging each retry without the password, and stops at once on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const worker = spawnWorker({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
    children.push(worker.child);
    await waitFor(() => (worker.stderr().match(/retrying/g) ?? []).length >= 2 || worker.child.exitCode !== null, 20_000, 'two retries');
    expect(worker.child.exitCode).toBeNull();
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(worker.stderr()).toContain(`SIGTERM while waiting for Redis at redis://127.0.0.1:${port}`);
    expect(worker.stderr()).toContain('"code":"E_REDIS"');
    expect(worker.stderr()).not.toContain('hunter2');
    expect(worker.stderr()).not.toContain('ready');
  }, 40_000);

  it('becomes ready once Redis starts answering, then shuts down gracefully', async () => {
    const redis = await startPrivateRedis();
    await redis.crash();
    try {
      const worker = spawnWorker({ REDIS_URL: redis.url });
      children.push(worker.child);
      await waitFor(() => worker.stderr().includes('retrying') || worker.child.exitCode !== null, 20_000, 'a retry');
      expect(worker.child.exitCode).toBeNull();
      await redis.restart();
      await waitFor(() => worker.stderr().includes('ready') || worker.child.exitCode !== null, 20_000, 'the worker to be ready');
      expect(worker.stderr()).toContain('namespace threatdraft');
      worker.child.kill('SIGINT');
      expect(await exited(worker.child)).toBe(0);
      expect(worker.stderr()).toContain('SIGINT: finishing jobs in flight');
      expect(worker.stderr()).toContain('threatdraft worker: stopped');
    } finally {
      await redis.stop();
    }
  }, 60_000);
});

describe('threatdraft worker on SIGTERM with jobs in flight', () => {
  it('stops taking jobs, lets the ones in flight finish and save their drafts, and exits 0', async () => {
    const url = await redisUrlForTests();
    const fake = await startFakeOpenAI({ latencyMs: 1000 });
    const ns = freshNamespace(url);
    const env = { REDIS_URL: url, OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key', THREATDRAFT_ENDPOINT_PROFILE: 'openai', LOG_LEVEL: 'warn' };
    const executor = new BullExecutor({ redisUrl: url, namespace: ns.namespace, store: ns.store, reconcileEveryMs: 200 });
    let worker: { child: ChildProcess; stderr: () => string } | undefined;
    try {
      for (const listing of manyListings(9)) await ns.store.listings.put(listing);
      const { profile } = await assessorFactory({ env: loadEnv(env) })('openai');
      worker = await startWorkerProcess(['--concurrency', '3', '--namespace', ns.namespace], env);
      const run = executor.assess(await storedRefs(ns.store), profile);
      run.catch(() => undefined);
      // Three model slots, so six jobs in flight: three in a model call, three waiting for a slot.
      await waitFor(() => fake.requests() >= 3, 20_000, 'three model calls in flight');
      await waitFor(async () => (await executor.assessQueue.getJobCounts('active'))['active'] === 6, 20_000, 'six jobs active');
      expect(fake.requests()).toBe(3);
      worker.child.kill('SIGTERM');
      expect(await exited(worker.child)).toBe(0);
      expect(worker.stderr()).toContain('SIGTERM: finishing jobs in flight');
      // The six jobs in flight made their calls and were saved; no seventh was started.
      expect(fake.requests()).toBe(6);
      expect(fake.requestLog.every((entry) => entry.status === 200)).toBe(true);
      const drafts = await ns.store.drafts.list();
      expect(drafts.map((draft) => draft.listingId).sort()).toEqual(fake.requestLog.map((entry) => entry.listingId).sort());
      expect(await executor.assessQueue.getJobCounts('completed', 'active', 'waiting')).toEqual({ completed: 6, active: 0, waiting: 3 });
    } finally {
      if (worker !== undefined && worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await executor.close();
      await ns.cleanup();
      await fake.close();
    }
  }, 60_000);
});
