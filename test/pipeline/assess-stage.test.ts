import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { assessStage } from '../../src/pipeline/assess-stage.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ScriptedAssessor, agentListing, fixedNow } from './helpers.js';

async function setup() {
  const store = createMemoryStore();
  const assessor = new ScriptedAssessor();
  const listing = agentListing(1);
  await store.listings.put(listing);
  const input = { listingId: listing.id, contentHash: listing.contentHash, assessor: 'rules' as const };
  return { store, assessor, listing, input };
}

describe('assessStage', () => {
  it('saves revision 1 as a draft for a new listing, with provenance naming the content hash', async () => {
    const { store, assessor, listing, input } = await setup();
    const output = await assessStage(input, { store, assessor, now: fixedNow });
    expect(output).toEqual({
      listingId: listing.id,
      outcome: 'assessed',
      draftId: `${listing.id}.r1`,
      revision: 1,
      tokensIn: 100,
      tokensOut: 50,
      costUsd: 0.0001,
      attempts: 1,
      contentHash: listing.contentHash,
    });
    const draft = await store.drafts.get(`${listing.id}.r1`);
    expect(draft?.status).toBe('draft');
    expect(draft?.provenance.listingContentHash).toBe(listing.contentHash);
    expect(draft?.provenance.assessorVersion).toBe('scripted-1');
  });

  it('does not call the assessor again when content and assessor profile are unchanged', async () => {
    const { store, assessor, input } = await setup();
    await assessStage(input, { store, assessor, now: fixedNow });
    const again = await assessStage(input, { store, assessor, now: fixedNow });
    expect(again.outcome).toBe('unchanged');
    expect(again.tokensIn).toBe(0);
    expect(assessor.calls).toBe(1);
    expect(await store.drafts.list({ listingId: input.listingId })).toHaveLength(1);
  });

  it('reassesses when the assessor version, model or prompt changes', async () => {
    const { store, assessor, input } = await setup();
    await assessStage(input, { store, assessor, now: fixedNow });
    assessor.version = 'scripted-2';
    expect((await assessStage(input, { store, assessor, now: fixedNow })).revision).toBe(2);
    const withModel = { ...profileOf(assessor), model: 'gpt-x', promptId: 'p.v1', promptHash: 'abc' };
    expect((await assessStage(input, { store, assessor, profile: withModel, now: fixedNow })).revision).toBe(3);
    expect((await assessStage(input, { store, assessor, profile: { ...withModel, promptHash: 'def' }, now: fixedNow })).revision).toBe(4);
    expect(assessor.calls).toBe(4);
  });

  it('supersedes a draft still awaiting review when the listing changes, and keeps a published one published', async () => {
    const { store, assessor, input } = await setup();
    await assessStage(input, { store, assessor, now: fixedNow });
    const r1 = await store.drafts.get(`${input.listingId}.r1`);
    await store.drafts.save({ ...r1!, status: 'published' }, r1!.version);

    await store.listings.put(agentListing(1, 1));
    const changed = await store.listings.get(input.listingId);
    const r2 = await assessStage({ ...input, contentHash: changed!.contentHash }, { store, assessor, now: fixedNow });
    expect(r2).toMatchObject({ outcome: 'assessed', revision: 2 });

    await store.listings.put(agentListing(1, 2));
    const changedAgain = await store.listings.get(input.listingId);
    await assessStage({ ...input, contentHash: changedAgain!.contentHash }, { store, assessor, now: fixedNow });

    const statuses = (await store.drafts.list({ listingId: input.listingId })).map((draft) => [draft.revision, draft.status]);
    expect(statuses).toEqual([
      [1, 'published'],
      [2, 'superseded'],
      [3, 'draft'],
    ]);
    expect((await store.audit.list({ subject: `${input.listingId}.r2` })).map((entry) => entry.action)).toEqual([
      'draft.create',
      'draft.supersede',
    ]);
  });

  it('makes exactly one draft when two workers assess the same listing at once', async () => {
    const { store, input } = await setup();
    const slow = new ScriptedAssessor({ delayMs: 20 });
    const results = await Promise.all([
      assessStage(input, { store, assessor: slow, now: fixedNow }),
      assessStage(input, { store, assessor: slow, now: fixedNow }),
      assessStage(input, { store, assessor: slow, now: fixedNow }),
    ]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['assessed', 'unchanged', 'unchanged']);
    expect(await store.drafts.list({ listingId: input.listingId })).toHaveLength(1);
  });

  it('fails permanently, naming the id, when the listing is not stored', async () => {
    const { store, assessor } = await setup();
    const missing = { listingId: 'nope', contentHash: 'a'.repeat(64), assessor: 'rules' as const };
    await expect(assessStage(missing, { store, assessor })).rejects.toBeInstanceOf(PermanentError);
    await expect(assessStage(missing, { store, assessor })).rejects.toThrow(/nope/);
  });

  it('rejects a malformed input, naming the field', async () => {
    const { store, assessor } = await setup();
    await expect(assessStage({ listingId: 'x', contentHash: 'short', assessor: 'rules' }, { store, assessor })).rejects.toThrow(/contentHash/);
  });
});
