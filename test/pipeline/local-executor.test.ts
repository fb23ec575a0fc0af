import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/pipeline/attempts.js';
import { runLocalAssess } from '../../src/pipeline/local-executor.js';
import { runPipeline, storedRefs, LocalExecutor } from '../../src/pipeline/run.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ScriptedAssessor, agentListing, fixedNow, manyListings } from './helpers.js';

const fastPolicy = { attempts: 3, backoffMs: 1, maxDelayMs: 20 };

describe('backoffDelay', () => {
  it.each([
    [1, undefined, 100],
    [2, undefined, 200],
    [3, undefined, 400],
    [6, undefined, 1000],
    [1, 700, 700],
    [1, 5000, 1000],
  ])('after %i failed attempts (Retry-After %s ms) waits %i ms', (attemptsMade, retryAfter, expected) => {
    expect(backoffDelay(attemptsMade, { attempts: 5, backoffMs: 100, maxDelayMs: 1000 }, retryAfter)).toBe(expected);
  });
});

describe('runLocalAssess', () => {
  it('assesses every listing with at most modelConcurrency model calls and twice as many listings in flight (96 at least)', async () => {
    const store = createMemoryStore();
    for (const listing of manyListings(120)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor({ delayMs: 5 });
    const tally = await runLocalAssess(await storedRefs(store), { store, assessor, modelConcurrency: 6, now: fixedNow, policy: fastPolicy });
    expect(tally).toMatchObject({ assessed: 120, unchanged: 0, failed: 0, tokensIn: 12000, tokensOut: 6000 });
    expect(assessor.maxInFlight).toBe(6);
    expect(assessor.maxAssessing).toBe(96);
    expect((await store.stats()).drafts.draft).toBe(120);
    const many = createMemoryStore();
    for (const listing of manyListings(150)) await many.listings.put(listing);
    const wide = new ScriptedAssessor({ delayMs: 5 });
    await runLocalAssess(await storedRefs(many), { store: many, assessor: wide, modelConcurrency: 60, now: fixedNow, policy: fastPolicy });
    expect(wide.maxInFlight).toBe(60);
    expect(wide.maxAssessing).toBe(120);
  });

  it('retries transient failures with backoff and reports permanent ones after one attempt, with the reason', async () => {
    const store = createMemoryStore();
    for (const listing of manyListings(10)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor({
      fail: (listing, call) => {
        if (listing.id === 'agent-0001' && call <= 2) return 'transient';
        if (listing.id === 'agent-0002') return 'transient';
        if (listing.id === 'agent-0003') return 'permanent';
        return null;
      },
    });
    const tally = await runLocalAssess(await storedRefs(store), { store, assessor, modelConcurrency: 3, now: fixedNow, policy: fastPolicy });
    expect(tally.assessed).toBe(8);
    expect(tally.retried).toEqual({ 'agent-0001': 3 });
    expect(tally.failures).toEqual([
      { id: 'agent-0002', code: 'E_MODEL_5XX', reason: 'model answered 500 for agent-0002', attempts: 3 },
      { id: 'agent-0003', code: 'E_MODEL_SCHEMA', reason: 'model output broke the schema for agent-0003', attempts: 1 },
    ]);
    expect(assessor.callsById.get('agent-0002')).toBe(3);
    expect(assessor.callsById.get('agent-0003')).toBe(1);
  });

  it('rejects a modelConcurrency below 1', async () => {
    const store = createMemoryStore();
    await expect(runLocalAssess([], { store, assessor: new ScriptedAssessor(), modelConcurrency: 0 })).rejects.toThrow(/modelConcurrency/);
  });
});

describe('runPipeline with the local executor (incremental reruns)', () => {
  it('assesses nothing on an unchanged rerun and only the changed listing after one changes', async () => {
    const store = createMemoryStore();
    for (const listing of manyListings(25)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor();
    const executor = new LocalExecutor({ store, assessor, modelConcurrency: 4, now: fixedNow, policy: fastPolicy });
    const profile = profileOf(assessor);

    const first = await runPipeline({ executor, store, profile });
    expect(first).toMatchObject({ listings: 25, assessed: 25, unchanged: 0, failed: 0, drafts: 25, tokens: 3750 });

    const second = await runPipeline({ executor, store, profile });
    expect(second).toMatchObject({ listings: 25, assessed: 0, unchanged: 25, failed: 0, drafts: 0, tokens: 0, costUsd: 0 });
    expect(assessor.calls).toBe(25);

    await store.listings.put(agentListing(7, 1));
    const third = await runPipeline({ executor, store, profile });
    expect(third).toMatchObject({ assessed: 1, unchanged: 24, drafts: 1 });
    expect(assessor.callsById.get('agent-0007')).toBe(2);
    expect((await store.drafts.current('agent-0007'))?.revision).toBe(2);
    expect((await store.drafts.get('agent-0007.r1'))?.status).toBe('superseded');
  });
});
