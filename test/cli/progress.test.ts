import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { etaText, progressLine, startRunProgress } from '../../src/cli/progress.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { fetcherForSource } from '../../src/pipeline/wiring.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ScriptedAssessor } from '../pipeline/helpers.js';

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

describe('progressLine', () => {
  const fields = { label: 'assess', progress: 0.5, value: 16, total: 32, rate: '4.2', etaSeconds: 4, last: 'assessed' };
  const visible = (line: string): number => line.length;

  it.each([200, 120, 80, 60, 45, 30, 12])('fits a %i-column terminal, one column to spare', (width) => {
    expect(visible(progressLine(fields, width))).toBeLessThanOrEqual(width - 1);
  });

  it('draws everything with a bar of at most 40 cells on a wide terminal', () => {
    expect(progressLine(fields, 200)).toBe(`assess [${'█'.repeat(20)}${'░'.repeat(20)}] 16/32 | 4.2/s | ETA 4s | assessed`);
  });

  it('shrinks the bar to the room left, then drops the last outcome, the ETA and the rate in that order', () => {
    expect(progressLine(fields, 60)).toBe(`assess [${'█'.repeat(8)}${'░'.repeat(8)}] 16/32 | 4.2/s | ETA 4s | assessed`);
    expect(progressLine(fields, 52)).toBe(`assess [${'█'.repeat(10)}${'░'.repeat(9)}] 16/32 | 4.2/s | ETA 4s`);
    expect(progressLine(fields, 38)).toBe(`assess [${'█'.repeat(7)}${'░'.repeat(7)}] 16/32 | 4.2/s`);
    expect(progressLine(fields, 30)).toBe(`assess [${'█'.repeat(7)}${'░'.repeat(7)}] 16/32`);
    expect(progressLine(fields, 12)).toBe('assess 16/3');
  });

  it('paints only the filled part of the bar when color is on', () => {
    // eslint-disable-next-line no-control-regex
    expect(progressLine({ ...fields, progress: 1 }, 80, true)).toMatch(/^assess \[\u001b\[32m█+\u001b\[0m\] 16\/32/);
  });

  it('writes the ETA as people read it, and ? when it is unknown', () => {
    expect([0, 45, 185, 7320, Number.NaN, Number.POSITIVE_INFINITY].map(etaText)).toEqual(['0s', '45s', '3m05s', '2h02m', '?', '?']);
  });
});
