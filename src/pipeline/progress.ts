/**
 * Per-stage progress bars (crawl, assess) with rate and ETA, on a TTY stream (stderr), through
 * cli-progress. Nothing is drawn when the stream is not a TTY.
 */
import type { RunProgress } from './run.js';

/** A live display fed by `runPipeline`'s progress events. */
export interface ProgressDisplay {
  update(progress: RunProgress): void;
  stop(): void;
}

/** Starts the bars on `stream` when it is a TTY; undefined otherwise. */
export async function startRunProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }): Promise<ProgressDisplay | undefined> {
  if (stream.isTTY !== true) return undefined;
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{stage} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | {last}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, { bar: ReturnType<typeof multi.create>; startedMs: number }>();
  const bar = (stage: 'crawl' | 'assess', total: number) => {
    let entry = bars.get(stage);
    if (entry === undefined) {
      entry = { bar: multi.create(Math.max(total, 1), 0, { stage: stage.padEnd(6), rate: '0.0', last: '' }), startedMs: performance.now() };
      bars.set(stage, entry);
    }
    return entry;
  };
  const rate = (done: number, startedMs: number): string => (done / Math.max(0.001, (performance.now() - startedMs) / 1000)).toFixed(1);
  return {
    update(progress) {
      if (progress.stage === 'crawl') {
        const event = progress.event;
        if (event.phase === 'discovered') {
          // A new source (the demo runs several): the crawl bar starts again.
          const entry = bar('crawl', event.total);
          entry.bar.setTotal(Math.max(event.total, 1));
          entry.bar.update(0, { last: '' });
          entry.startedMs = performance.now();
        }
        else {
          const entry = bar('crawl', event.total);
          entry.bar.update(event.done, { rate: rate(event.done, entry.startedMs), last: event.outcome });
        }
      } else {
        const event = progress.event;
        const entry = bar('assess', Number.isFinite(event.total) ? event.total : event.done);
        entry.bar.update(event.done, { rate: rate(event.done, entry.startedMs), last: event.outcome });
      }
    },
    stop() {
      multi.stop();
    },
  };
}
