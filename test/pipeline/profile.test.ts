import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { assessKey, draftMatches, type AssessorProfile } from '../../src/pipeline/profile.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { assessorFactory } from '../../src/pipeline/wiring.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { agentListing, manyListings } from './helpers.js';

const HASH = 'a'.repeat(64);
const profile: AssessorProfile = { assessor: 'openai', assessorVersion: 'openai-1', model: 'gpt-4o-mini', promptId: 'assess-listing.v1', promptHash: 'p1' };
const provenance = { listingContentHash: HASH, assessor: 'openai' as const, assessorVersion: 'openai-1', model: 'gpt-4o-mini', promptId: 'assess-listing', promptHash: 'p1' };
const draft = (overrides: Partial<typeof provenance>) => ({ provenance: { ...provenance, ...overrides } }) as Parameters<typeof draftMatches>[0];

describe('draftMatches', () => {
  it.each([
    ['the same content and profile', {}, true],
    ['a dated snapshot of the same model', { model: 'gpt-4o-mini-2024-07-18' }, true],
    ['other content', { listingContentHash: 'b'.repeat(64) }, false],
    ['another model', { model: 'gpt-4o' }, false],
    ['a model that only shares a prefix', { model: 'gpt-4o-mini-high' }, false],
    ['another prompt hash', { promptHash: 'p2' }, false],
    ['another assessor version', { assessorVersion: 'openai-2' }, false],
  ])('is %s -> %s', (_name, overrides, expected) => {
    expect(draftMatches(draft(overrides), HASH, profile)).toBe(expected);
  });
});

describe('assessKey', () => {
  it('changes with content, model and prompt, and is stable otherwise', () => {
    const key = assessKey('x', HASH, profile);
    expect(assessKey('x', HASH, { ...profile })).toBe(key);
    expect(assessKey('x', 'b'.repeat(64), profile)).not.toBe(key);
    expect(assessKey('x', HASH, { ...profile, model: 'gpt-4o' })).not.toBe(key);
    expect(assessKey('x', HASH, { ...profile, promptHash: 'p2' })).not.toBe(key);
    expect(key).toMatch(/^[a-f0-9]{64}$/);
  });
});

describe('incremental reruns with the openai assessor', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('sends nothing to the model for unchanged listings and only the changed one after an edit', async () => {
    const store = createMemoryStore();
    for (const listing of manyListings(6)) await store.listings.put(listing);
    const { assessor, profile: built } = await assessorFactory({ env: loadEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'k' }) })('openai');
    const executor = new LocalExecutor({ store, assessor, modelConcurrency: 3 });
    expect(await runPipeline({ executor, store, profile: built })).toMatchObject({ assessed: 6, failed: 0 });
    const requests = fake.requests();
    expect(await runPipeline({ executor, store, profile: built })).toMatchObject({ assessed: 0, unchanged: 6, tokens: 0 });
    expect(fake.requests()).toBe(requests);
    await store.listings.put(agentListing(2, 1));
    expect(await runPipeline({ executor, store, profile: built })).toMatchObject({ assessed: 1, unchanged: 5 });
    expect(fake.requestLog.slice(requests).map((entry) => entry.listingId)).toEqual(['agent-0002']);
  });
});
