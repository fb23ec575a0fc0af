import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { startWorkers } from '../../queues/worker.js';
import { loadEnv } from '../../src/config.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import type { RunSummary } from '../../src/pipeline/contracts.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { assessorFactory } from '../../src/pipeline/wiring.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { manyListings } from '../pipeline/helpers.js';
import { freshNamespace } from './helpers.js';

const LISTINGS = 120;
const ATTEMPTS = 3;
const policy = { attempts: ATTEMPTS, backoffMs: 50, maxDelayMs: 1200 };

/** 20% of calls fail: 429 with Retry-After, 500, timeouts, truncated and schema-breaking JSON. */
const faults = {
  random: {
    seed: 20,
    rates: { 'rate-limit': 0.05, 'server-error': 0.05, delay: 0.04, 'truncated-content': 0.03, 'schema-break': 0.03 },
    delayMs: 1500,
    retryAfterSeconds: 1,
  },
};

async function expectBoundedOutcome(summary: RunSummary, store: Store, fake: FakeOpenAI): Promise<void> {
  const ids = manyListings(LISTINGS).map((listing) => listing.id);
  const failedIds = new Set(summary.failures.map((failure) => failure.id));
  expect(summary.listings).toBe(LISTINGS);
  expect(summary.assessed + summary.failed).toBe(LISTINGS);
  for (const failure of summary.failures) {
    expect(failure.reason.length).toBeGreaterThan(0);
    expect(failure.code).toMatch(/^E_/);
    expect(failure.attempts).toBeGreaterThanOrEqual(1);
    expect(failure.attempts).toBeLessThanOrEqual(ATTEMPTS);
  }
  // Every listing either has exactly one draft or is reported failed; never both, never neither.
  for (const id of ids) {
    const drafts = await store.drafts.list({ listingId: id });
    expect(drafts.length + (failedIds.has(id) ? 1 : 0)).toBe(1);
  }
  // Faults were really injected and retried, and retries stayed bounded: per listing at most
  // ATTEMPTS assessor calls, each one request plus at most one repair.
  const injected = fake.requestLog.filter((entry) => entry.fault !== null).length;
  expect(injected).toBeGreaterThan(LISTINGS * 0.1);
  const perListing = new Map<string, number>();
  for (const entry of fake.requestLog) if (entry.listingId !== null) perListing.set(entry.listingId, (perListing.get(entry.listingId) ?? 0) + 1);
  expect(Math.max(...perListing.values())).toBeLessThanOrEqual(ATTEMPTS * 2);
  expect([...perListing.values()].some((count) => count > 1)).toBe(true);
}

describe('the fake model failing 20% of calls', () => {
  let fake: FakeOpenAI;
  let url: string;
  beforeAll(async () => {
    url = await redisUrlForTests();
    fake = await startFakeOpenAI({ latencyMs: 5 });
  });
  afterAll(async () => {
    await fake.close();
  });

  const factory = () =>
    assessorFactory({
      env: loadEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key' }),
      openai: { timeoutMs: 300 },
    })('openai');

  it('with the local executor: every listing completes or is reported failed with its reason, after bounded attempts', async () => {
    fake.reset();
    fake.setFaults(faults);
    const store = createMemoryStore();
    for (const listing of manyListings(LISTINGS)) await store.listings.put(listing);
    const { assessor, profile } = await factory();
    const executor = new LocalExecutor({ store, assessor, modelConcurrency: 16, policy });
    const summary = await runPipeline({ executor, store, profile });
    await expectBoundedOutcome(summary, store, fake);
  }, 60_000);

  it('with the BullMQ executor: the same guarantees, attempts counted by BullMQ', async () => {
    fake.reset();
    fake.setFaults(faults);
    const ns = freshNamespace(url);
    const built = await factory();
    const workers = await startWorkers({
      redisUrl: url,
      namespace: ns.namespace,
      store: ns.store,
      assessorFor: async () => built,
      fetcherFor: async () => {
        throw new Error('no crawling in this test');
      },
      concurrency: 16,
      policy,
    });
    const executor = new BullExecutor({ redisUrl: url, namespace: ns.namespace, store: ns.store, policy, reconcileEveryMs: 500 });
    try {
      for (const listing of manyListings(LISTINGS)) await ns.store.listings.put(listing);
      const summary = await runPipeline({ executor, store: ns.store, profile: built.profile });
      await expectBoundedOutcome(summary, ns.store, fake);
    } finally {
      await workers.close();
      await executor.close();
      await ns.cleanup();
    }
  }, 60_000);
});
