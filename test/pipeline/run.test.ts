import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileOf } from '../../src/pipeline/profile.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { createFileStore, type FileStore } from '../../src/store/file-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { agentListing, manyListings, ScriptedAssessor } from './helpers.js';

/** Counts per-listing record reads and writes made through the store. */
function counting(store: Store): { store: Store; reads: () => number; writes: () => number } {
  let reads = 0;
  let writes = 0;
  const listings = { ...store.listings, get: async (id: string) => (reads++, store.listings.get(id)), put: async (...args: Parameters<Store['listings']['put']>) => (writes++, store.listings.put(...args)) };
  const drafts = {
    ...store.drafts,
    get: async (id: string) => (reads++, store.drafts.get(id)),
    current: async (id: string) => (reads++, store.drafts.current(id)),
    save: async (...args: Parameters<Store['drafts']['save']>) => (writes++, store.drafts.save(...args)),
  };
  const audit = { ...store.audit, append: async (...args: Parameters<Store['audit']['append']>) => (writes++, store.audit.append(...args)) };
  const wrapped = Object.create(store, { listings: { value: listings }, drafts: { value: drafts }, audit: { value: audit } }) as Store;
  return { store: wrapped, reads: () => reads, writes: () => writes };
}

describe.each([
  ['memory', () => ({ store: createMemoryStore() as Store, cleanup: () => undefined })],
  [
    'file',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'td-run-index-'));
      const store: FileStore = createFileStore({ root, fsync: false });
      return { store: store as Store, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  ],
] as const)('runPipeline rerun short-circuit (%s store)', (_name, make) => {
  let store: Store;
  let cleanup: () => void;
  beforeEach(() => {
    ({ store, cleanup } = make());
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('skips every unchanged listing with one index read: no record read or written, no assessor call', async () => {
    for (const listing of manyListings(20)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor();
    const profile = profileOf(assessor);
    const first = await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile });
    expect(first).toMatchObject({ listings: 20, assessed: 20, unchanged: 0, failed: 0 });

    const seen = counting(store);
    const rerun = await runPipeline({ executor: new LocalExecutor({ store: seen.store, assessor }), store: seen.store, profile });
    expect(rerun).toMatchObject({ listings: 20, assessed: 0, unchanged: 20, failed: 0, drafts: 0 });
    expect({ reads: seen.reads(), writes: seen.writes(), calls: assessor.calls }).toEqual({ reads: 0, writes: 0, calls: 20 });
  });

  it('assesses a listing whose content changed, and only that one', async () => {
    for (const listing of manyListings(5)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor();
    const profile = profileOf(assessor);
    await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile });
    await store.listings.put(agentListing(3, 1));
    const rerun = await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile });
    expect(rerun).toMatchObject({ assessed: 1, unchanged: 4 });
    expect((await store.drafts.current('agent-0003'))?.revision).toBe(2);
  });

  it('assesses again under another assessor profile (a new version)', async () => {
    for (const listing of manyListings(3)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor();
    await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile: profileOf(assessor) });
    assessor.version = `${assessor.version}-next`;
    const rerun = await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile: profileOf(assessor) });
    expect(rerun).toMatchObject({ assessed: 3, unchanged: 0 });
  });

  it('drops an entry once its draft is no longer the newest revision of its listing', async () => {
    for (const listing of manyListings(2)) await store.listings.put(listing);
    const assessor = new ScriptedAssessor();
    const profile = profileOf(assessor);
    await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile });
    const current = await store.drafts.current('agent-0001');
    if (current === null) throw new Error('expected a draft');
    // A newer revision made elsewhere (another executor, another profile) from other content.
    await store.drafts.save({ ...current, id: 'agent-0001.r2', revision: 2, provenance: { ...current.provenance, listingContentHash: 'f'.repeat(64) } }, null);
    const entries = await store.index.assessed();
    expect([...entries.keys()]).toEqual(['agent-0000']);
    const rerun = await runPipeline({ executor: new LocalExecutor({ store, assessor }), store, profile });
    expect(rerun).toMatchObject({ assessed: 1, unchanged: 1 });
  });
});
