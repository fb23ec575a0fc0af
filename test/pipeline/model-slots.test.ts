import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIAssessor } from '../../src/assess/openai-assessor.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { runLocalAssess } from '../../src/pipeline/local-executor.js';
import { createModelSlots } from '../../src/pipeline/model-slots.js';
import { storedRefs } from '../../src/pipeline/run.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { fixedNow, manyListings } from './helpers.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createModelSlots', () => {
  it('runs at most `limit` calls at once and the rest in the order they asked', async () => {
    const slots = createModelSlots(2);
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const calls = [0, 1, 2, 3, 4].map((i) =>
      slots.run(async () => {
        started.push(i);
        await new Promise<void>((resolve) => finish.push(resolve));
        return i * 10;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([slots.active, slots.waiting]).toEqual([2, 3]);
    finish[1]!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!();
    finish[2]!();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    finish[3]!();
    finish[4]!();
    expect(await Promise.all(calls)).toEqual([0, 10, 20, 30, 40]);
    expect([slots.active, slots.waiting]).toEqual([0, 0]);
  });

  it('frees the slot of a call that throws and passes the error on', async () => {
    const slots = createModelSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('model down')))).rejects.toThrow('model down');
    expect(slots.active).toBe(0);
    expect(await slots.run(() => Promise.resolve('next'))).toBe('next');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (limit) => {
    expect(() => createModelSlots(limit)).toThrow(`Expected the model slot limit to be an integer from 1 and up, got ${limit}`);
  });
});

describe('model slots with the openai assessor and the fake model', () => {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('never has more than modelConcurrency requests open at the model, though twice as many listings are in flight', async () => {
    let open = 0;
    let maxOpen = 0;
    const server = await startFakeOpenAI({
      latencyMs: 40,
      responder: () => {
        // Requests still pending (status 0) when this one arrives, itself included.
        open = server.requestLog.filter((entry) => entry.status === 0).length;
        maxOpen = Math.max(maxOpen, open);
        return null;
      },
    });
    fake = server;
    const store = createMemoryStore();
    for (const listing of manyListings(24)) await store.listings.put(listing);
    const assessor = createOpenAIAssessor({ apiKey: 'test-key', baseUrl: server.baseUrl, model: 'gpt-4o-mini', profile: 'openai' });
    const tally = await runLocalAssess(await storedRefs(store), { store, assessor, modelConcurrency: 3, now: fixedNow });
    expect(tally).toMatchObject({ assessed: 24, failed: 0 });
    expect(server.requestLog).toHaveLength(24);
    expect(maxOpen).toBe(3);
  });

  it('holds no slot while a request backs off: the next listing is sent during the wait', async () => {
    fake = await startFakeOpenAI({ faults: { sequence: [{ kind: 'rate-limit', retryAfterMs: 300 }] } });
    const assessor = createOpenAIAssessor({ apiKey: 'test-key', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', profile: 'openai', maxAttempts: 2 });
    const slots = createModelSlots(1);
    const [first, second] = manyListings(2);
    await Promise.all([assessor.assess(first!, { modelSlot: slots.run }), assessor.assess(second!, { modelSlot: slots.run })]);
    expect(fake.requestLog.map((entry) => [entry.listingId, entry.status])).toEqual([
      [first!.id, 429],
      [second!.id, 200],
      [first!.id, 200],
    ]);
  });
});
