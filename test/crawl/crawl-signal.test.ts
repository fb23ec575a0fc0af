import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { crawlSource } from '../../src/crawl/crawl.js';
import { startSyntheticDirectory } from '../../src/crawl/demo-server.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe('crawl under one abort signal', () => {
  it('crawls 40 listings 16 at a time with one listener on the run signal at most, none left after, and no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    closers.push(async () => {
      process.off('warning', onWarning);
    });
    const server = await startSyntheticDirectory({ listings: 40, perPage: 20 });
    closers.push(() => server.close());
    const source = { ...server.sourceConfig, politeness: { concurrency: 16, intervalMs: 0 } };
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: source.politeness, maxAttempts: 2 });
    closers.push(() => fetcher.close());
    const controller = new AbortController();
    const counts: number[] = [];
    const sampler = setInterval(() => counts.push(getEventListeners(controller.signal, 'abort').length), 1);
    try {
      const summary = await crawlSource(source, { fetcher, store: createMemoryStore(), signal: controller.signal, rawBase: 'http://127.0.0.1:9/raw' });
      expect(summary).toMatchObject({ fetched: 40, failed: 0 });
    } finally {
      clearInterval(sampler);
    }
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(counts.length).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('still stops every listing in flight when the run signal aborts', async () => {
    const server = await startSyntheticDirectory({ listings: 40, perPage: 20 });
    closers.push(() => server.close());
    const source = { ...server.sourceConfig, politeness: { concurrency: 16, intervalMs: 0 } };
    const fetcher = new UndiciFetcher({ allowPrivateNetwork: true, politeness: source.politeness, maxAttempts: 2 });
    closers.push(() => fetcher.close());
    const controller = new AbortController();
    const crawl = crawlSource(source, {
      fetcher,
      store: createMemoryStore(),
      signal: controller.signal,
      rawBase: 'http://127.0.0.1:9/raw',
      onProgress: (progress) => {
        if (progress.phase === 'listing' && progress.done === 5) controller.abort(new Error('stop the run'));
      },
    });
    await expect(crawl).rejects.toThrow('stop the run');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
