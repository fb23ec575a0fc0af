import { afterEach, describe, expect, it } from 'vitest';
import type { Listing } from '../../schemas/listing.js';
import { assessListingWithUsage } from '../../src/assess/assess-with-usage.js';
import type { Assessor } from '../../src/assess/assessor.js';
import { createThreadedRulesAssessor } from '../../src/assess/create-assessor.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { SIGNALS } from '../../src/assess/rules/data/signals.js';
import { AssessThreadPool, defaultAssessThreads, startAssessThreads, type AssessThreads } from '../../src/pipeline/assess-threads.js';
import { runLocalAssess, THREAD_MIN_LISTINGS } from '../../src/pipeline/local-executor.js';
import { LocalExecutor, runPipeline, storedRefs } from '../../src/pipeline/run.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Draft } from '../../schemas/draft.js';
import { agentListing, manyListings } from './helpers.js';

/** A draft without what depends on when and where it was made (timestamps). */
function comparable(draft: Draft): unknown {
  const { createdAt: _created, updatedAt: _updated, provenance, ...rest } = draft;
  const { startedAt: _started, finishedAt: _finished, ...stable } = provenance;
  return { ...rest, provenance: stable };
}

describe('assessment threads', () => {
  let threads: AssessThreads | null = null;
  afterEach(async () => {
    await threads?.close();
    threads = null;
  });

  it('gives one thread per core beyond the first, at most 4, and none on one core', () => {
    expect([1, 2, 3, 8, 64].map((cores) => defaultAssessThreads(cores))).toEqual([0, 1, 2, 4, 4]);
  });

  it('assesses a listing in a thread exactly as in process, apart from the clock', async () => {
    const assessor = createThreadedRulesAssessor();
    threads = await startAssessThreads(assessor, 2);
    expect(threads).not.toBeNull();
    for (const listing of manyListings(6)) {
      const threaded = await threads?.assess(listing);
      const local = await assessListingWithUsage(listing, { assessor, now: () => new Date() });
      expect(threaded).not.toBeNull();
      const { startedAt: _s1, finishedAt: _f1, ...threadedProvenance } = threaded?.provenance ?? {};
      const { startedAt: _s2, finishedAt: _f2, ...localProvenance } = local.provenance;
      expect({ ...threaded, provenance: threadedProvenance }).toEqual({ assessment: local.assessment, score: local.score, checks: local.checks, provenance: localProvenance });
    }
  });

  it('starts no thread for an assessor it cannot rebuild there (rules built with tables passed in), or when none is asked for', async () => {
    expect(createRulesAssessor({ signals: SIGNALS.slice(1) }).thread).toBeUndefined();
    expect(await startAssessThreads(createRulesAssessor({ signals: SIGNALS.slice(1) }), 1)).toBeNull();
    expect(await startAssessThreads(createThreadedRulesAssessor(), 0)).toBeNull();
    const scripted: Assessor = { id: 'rules', version: 'x', assess: () => Promise.reject(new Error('unused')) };
    expect(await startAssessThreads(scripted, 1)).toBeNull();
  });

  it('gives no threads when the rebuilt assessor has another version than the one in process', async () => {
    const assessor = createThreadedRulesAssessor();
    const drifted: Assessor = { ...assessor, version: `${assessor.version}-other`, assess: (listing) => assessor.assess(listing) };
    expect(await startAssessThreads(drifted, 1)).toBeNull();
  });

  it('answers null for a listing the thread cannot assess, so the caller assesses it in process', async () => {
    threads = await startAssessThreads(createThreadedRulesAssessor(), 1);
    const broken = { ...agentListing(1), contentHash: 'not a hash' } as Listing;
    expect(await threads?.assess(broken)).toBeNull();
    // The thread is still there for the next listing.
    expect(await threads?.assess(agentListing(2))).not.toBeNull();
  });

  it('settles every listing still out when the threads are stopped, and answers null from then on', async () => {
    threads = await startAssessThreads(createThreadedRulesAssessor(), 1);
    const out = Promise.all(manyListings(20).map((listing) => threads?.assess(listing)));
    await threads?.close();
    const answers = await out;
    expect(answers).toHaveLength(20);
    for (const answer of answers) expect(answer === null || typeof answer?.score.score === 'number').toBe(true);
    expect(await threads?.assess(agentListing(1))).toBeNull();
  });
});

describe('the local executor with threads', () => {
  it(`uses threads from ${THREAD_MIN_LISTINGS} listings on, and its drafts equal those made in process`, async () => {
    const listings = manyListings(THREAD_MIN_LISTINGS + 40);
    const inProcess = createMemoryStore();
    const threaded = createMemoryStore();
    for (const listing of listings) {
      await inProcess.listings.put(listing);
      await threaded.listings.put(listing);
    }
    const assessor = createThreadedRulesAssessor();
    const local = await runLocalAssess(await storedRefs(inProcess), { store: inProcess, assessor, assessThreads: 0 });
    let used = 0;
    class Watched extends AssessThreadPool {
      override get ready(): AssessThreads | undefined {
        const ready = super.ready;
        if (ready !== undefined) used += 1;
        return ready;
      }
    }
    const pool = new Watched(assessor, 1);
    expect(await pool.start()).not.toBeNull();
    const tally = await runLocalAssess(await storedRefs(threaded), { store: threaded, assessor, threadPool: pool });
    await pool.close();
    expect(used).toBe(THREAD_MIN_LISTINGS + 40);
    expect(tally).toEqual(local);
    const [a, b] = [await inProcess.drafts.list(), await threaded.drafts.list()];
    expect(b.map(comparable)).toEqual(a.map(comparable));
  });

  it('assesses small and large runs alike with threads allowed, and closes (twice) without error', async () => {
    const store = createMemoryStore();
    const assessor = createThreadedRulesAssessor();
    const executor = new LocalExecutor({ store, assessor, assessThreads: 1 });
    for (const listing of manyListings(5)) await store.listings.put(listing);
    expect(await runPipeline({ executor, store, profile: profileOf(assessor) })).toMatchObject({ assessed: 5 });
    for (const listing of manyListings(THREAD_MIN_LISTINGS, 1)) await store.listings.put(listing);
    expect(await runPipeline({ executor, store, profile: profileOf(assessor) })).toMatchObject({ assessed: THREAD_MIN_LISTINGS, failed: 0 });
    await executor.close();
    await executor.close();
  });
});
