import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { startRunProgress } from '../../src/pipeline/progress.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { fetcherForSource } from '../../src/pipeline/wiring.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ScriptedAssessor } from './helpers.js';

/** A writable that says it is a TTY and keeps what was drawn, escape codes stripped. */
function fakeTty(isTTY: boolean): { stream: PassThrough & { isTTY: boolean; columns: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 160 });
  let raw = '';
  stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  // eslint-disable-next-line no-control-regex
  return { stream, text: () => raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
}

describe('run progress', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemoServer();
  });
  afterAll(async () => {
    await demo.close();
  });

  it('draws a crawl and an assess bar with counts, rate and ETA from a real run on a TTY', async () => {
    const tty = fakeTty(true);
    const display = await startRunProgress(tty.stream);
    expect(display).toBeDefined();
    const store = createMemoryStore();
    const assessor = new ScriptedAssessor({ delayMs: 80 });
    const executor = new LocalExecutor({ store, assessor, modelConcurrency: 4, fetcherFor: (source) => fetcherForSource(source) });
    const summary = await runPipeline({
      executor,
      store,
      profile: profileOf(assessor),
      source: demo.sourceConfig,
      limit: 8,
      rawBase: demo.rawBase,
      onProgress: (progress) => display?.update(progress),
    });
    display?.stop();
    expect(summary).toMatchObject({ listings: 8, assessed: 8, failed: 0 });
    // Frames are redrawn in place: take the last frame drawn for each stage.
    const frames = [...tty.text().matchAll(/(crawl|assess) +\[[█░]+\] \d+\/\d+ \| [\d.]+\/s \| ETA [\w.]+ \| [a-z-]+?(?=crawl|assess|\s|$)/g)].map((match) => match[0]);
    const last = (stage: string): string => frames.filter((frame) => frame.startsWith(stage)).at(-1) ?? '';
    expect(last('crawl')).toMatch(/^crawl +\[█+\] 8\/8 \| \d+\.\d\/s \| ETA 0s \| (fetched|unchanged)$/);
    expect(last('assess')).toMatch(/^assess +\[█+\] 8\/8 \| \d+\.\d\/s \| ETA 0s \| assessed$/);
    // Partway through, the bars show what is left and a non-zero rate.
    expect(frames.some((frame) => /^assess +\[█*░+\] [1-7]\/8 \| [1-9][\d.]*\/s \| ETA \d+s/.test(frame))).toBe(true);
  });

  it('draws nothing when the stream is not a TTY (logs and JSON stay clean)', async () => {
    const plain = fakeTty(false);
    expect(await startRunProgress(plain.stream)).toBeUndefined();
    expect(plain.text()).toBe('');
  });
});
