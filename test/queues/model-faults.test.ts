import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullExecutor } from '../../queues/executor.js';
import { startWorkers } from '../../queues/worker.js';
import { loadEnv } from '../../src/config.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequestLogEntry } from '../../src/fake-openai/server.js';
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
    delayMs: 5000,
    retryAfterSeconds: 1,
  },
};

/** A listing whose every answer breaks the schema: it must fail permanently after one repair. */
const BROKEN_LISTING = 'agent-0007';

type Expected = { outcome: 'drafted' } | { outcome: 'failed'; code: string; attempts: number };

/**
 * What the attempt policy must make of one listing's requests, replayed in the order the server
 * saw them: an attempt is one request, plus one repair when the answer broke the schema; a
 * transient fault (429, 500, a timeout) ends the attempt and the next one starts until ATTEMPTS
 * are used; a repair that breaks the schema again is permanent. Every request must be accounted for.
 */
function replay(listingId: string, requests: readonly FakeRequestLogEntry[]): Expected {
  // status -1: the client gave up first (a timeout), whatever the server had planned.
  const transient = (entry: FakeRequestLogEntry): boolean =>
    entry.status === -1 || entry.fault === 'rate-limit' || entry.fault === 'server-error' || entry.fault === 'delay' || entry.fault === 'reset';
  const broken = (entry: FakeRequestLogEntry): boolean =>
    entry.fault === 'truncated-content' || entry.fault === 'schema-break' || listingId === BROKEN_LISTING;
  let next = 0;
  const take = (): FakeRequestLogEntry => {
    const entry = requests[next];
    next += 1;
    if (entry === undefined) throw new Error(`${listingId}: the log ends before the attempt policy would stop`);
    return entry;
  };
  let expected: Expected | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS && expected === undefined; attempt += 1) {
    const first = take();
    let failedTransiently = transient(first);
    if (!failedTransiently && broken(first)) {
      const repair = take();
      expect(repair.messages.at(-1)?.content, `${listingId}: the request after a broken answer should be its repair`).toContain('does not match the required schema');
      failedTransiently = transient(repair);
      if (!failedTransiently && broken(repair)) expected = { outcome: 'failed', code: 'E_MODEL_OUTPUT', attempts: attempt };
    }
    if (!failedTransiently) expected ??= { outcome: 'drafted' };
    else if (attempt === ATTEMPTS) expected = { outcome: 'failed', code: 'E_TRANSIENT_EXHAUSTED', attempts: ATTEMPTS };
  }
  expect(next, `${listingId}: requests after the attempt policy should have stopped: ${JSON.stringify(requests.map((r) => [r.seq, r.status, r.fault]))}`).toBe(requests.length);
  return expected as Expected;
}

async function expectBoundedOutcome(summary: RunSummary, store: Store, fake: FakeOpenAI): Promise<void> {
  const ids = manyListings(LISTINGS).map((listing) => listing.id);
  expect(summary.listings).toBe(LISTINGS);
  expect(summary.assessed + summary.failed).toBe(LISTINGS);
  // Faults were really injected and retried.
  const injected = fake.requestLog.filter((entry) => entry.fault !== null).length;
  expect(injected).toBeGreaterThan(LISTINGS * 0.1);
  const failures = new Map(summary.failures.map((failure) => [failure.id, failure]));
  for (const id of ids) {
    const expected = replay(id, fake.requestLog.filter((entry) => entry.listingId === id));
    const drafts = await store.drafts.list({ listingId: id });
    const failure = failures.get(id);
    if (expected.outcome === 'drafted') {
      expect(failure, `${id} should have a draft`).toBeUndefined();
      expect(drafts).toHaveLength(1);
    } else {
      // Reported failed with its reason and the exact number of attempts, and no draft.
      expect(drafts).toHaveLength(0);
      expect(failure).toMatchObject({ id, attempts: expected.attempts });
      expect(failure?.reason.length).toBeGreaterThan(0);
      if (expected.code === 'E_MODEL_OUTPUT') expect(failure?.code).toBe('E_MODEL_OUTPUT');
      else expect(failure?.code).toMatch(/^E_MODEL_(RATE_LIMIT|SERVER|TIMEOUT|CONNECTION|BAD_RESPONSE)$/);
    }
  }
  expect(failures.get(BROKEN_LISTING)).toMatchObject({ code: 'E_MODEL_OUTPUT' });
}

describe('the fake model failing 20% of calls', () => {
  let fake: FakeOpenAI;
  let url: string;
  beforeAll(async () => {
    url = await redisUrlForTests();
    fake = await startFakeOpenAI({
      latencyMs: 5,
      responder: ({ listing }) => (listing?.id === BROKEN_LISTING ? { content: '{"summary": "not an assessment"}' } : null),
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  const factory = () =>
    assessorFactory({
      env: loadEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key' }),
      openai: { timeoutMs: 3000 },
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
