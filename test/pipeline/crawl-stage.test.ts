import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSyntheticDirectory, type DemoServer } from '../../src/crawl/demo-server.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { crawlStage } from '../../src/pipeline/crawl-stage.js';
import { createFileStore, type FileStore } from '../../src/store/file-store.js';
import type { Store } from '../../src/store/store.js';

describe('crawlStage on an unchanged directory (rerun short-circuit)', () => {
  let server: DemoServer;
  let root: string;
  let store: FileStore;
  beforeEach(async () => {
    server = await startSyntheticDirectory({ listings: 30, perPage: 10 });
    root = mkdtempSync(join(tmpdir(), 'td-crawl-stage-'));
    store = createFileStore({ root, fsync: false });
  });
  afterEach(async () => {
    await store.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const crawl = async (through: Store) => {
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: { concurrency: 4, intervalMs: 0 }, maxAttempts: 1 });
    try {
      return await crawlStage({ source: { ...server.sourceConfig, politeness: { concurrency: 4, intervalMs: 0 } } }, { store: through, fetcher });
    } finally {
      await fetcher.close();
    }
  };

  it('answers every unchanged page from the indexes: no listing read or written, same refs', async () => {
    const first = await crawl(store);
    expect(first).toMatchObject({ found: 30, fetched: 30, unchanged: 0 });
    let reads = 0;
    let writes = 0;
    const listings = {
      ...store.listings,
      get: async (id: string) => (reads++, store.listings.get(id)),
      getMany: async (ids: readonly string[]) => ((reads += ids.length), store.listings.getMany(ids)),
      put: async (...args: Parameters<Store['listings']['put']>) => (writes++, store.listings.put(...args)),
    };
    const counted = Object.create(store, { listings: { value: listings } }) as Store;
    const again = await crawl(counted);
    expect(again).toMatchObject({ found: 30, fetched: 0, unchanged: 30 });
    expect({ reads, writes }).toEqual({ reads: 0, writes: 0 });
    expect(again.listings).toEqual(first.listings);
  });
});
