/**
 * Per-stage progress bars (crawl, assess) with rate and ETA, on a TTY stream (stderr), through
 * cli-progress. Nothing is drawn when the stream is not a TTY. Every line is fitted to the
 * terminal's width as it is at each redraw ({@link progressLine}), so a narrow or resized terminal
 * never cuts it.
 */
import type { GenericFormatter } from 'cli-progress';
import type { RunProgress } from '../pipeline/run.js';
import { paint } from './style.js';

/** What one progress line shows. */
export interface ProgressFields {
  label: string;
  /** 0..1 */
  progress: number;
  value: number;
  total: number;
  /** Items a second, when known. */
  rate?: string | undefined;
  /** Seconds left; NaN or Infinity when unknown. */
  etaSeconds: number;
  /** The outcome of the last item, or what is going on. */
  last: string;
}

/** Seconds as people read them on a progress bar: 45s, 3m05s, 1h02m; "?" when unknown. */
export function etaText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const MIN_BAR = 10;
const MAX_BAR = 40;

/**
 * One progress line that fits in `width` columns (one is left free so the cursor never wraps):
 * `label [████░░] 12/32 | 4.1/s | ETA 5s | fetched`. The bar shrinks first (to 10 cells), then the
 * last outcome, the ETA and the rate are dropped in that order, and what still does not fit is cut.
 */
export function progressLine(fields: ProgressFields, width: number, color = false): string {
  const room = Math.max(1, Math.floor(width) - 1);
  const tail = [
    `${fields.value}/${fields.total}`,
    ...(fields.rate === undefined ? [] : [`${fields.rate}/s`]),
    `ETA ${etaText(fields.etaSeconds)}`,
    ...(fields.last === '' ? [] : [fields.last]),
  ];
  const fixed = (parts: readonly string[]): number => `${fields.label} [] ${parts.join(' | ')}`.length;
  // Drop the least useful parts until a bar of the least size fits.
  const order = [fields.last === '' ? -1 : tail.length - 1, tail.findIndex((part) => part.startsWith('ETA ')), fields.rate === undefined ? -1 : 1];
  let shown = tail;
  for (const drop of order) {
    if (fixed(shown) + MIN_BAR <= room || drop < 0) continue;
    shown = shown.filter((part) => part !== tail[drop]);
  }
  const size = Math.max(0, Math.min(MAX_BAR, room - fixed(shown)));
  const done = Math.round(Math.min(1, Math.max(0, fields.progress)) * size);
  const bar = paint('\u2588'.repeat(done), 'ok', color) + '\u2591'.repeat(size - done);
  const line = `${fields.label} [${bar}] ${shown.join(' | ')}`;
  // The bar fitted: the line fits. Otherwise (a very narrow terminal) cut the plain text.
  return size >= MIN_BAR || line.length <= room ? line : `${fields.label} ${shown.join(' | ')}`.slice(0, room);
}

/** A cli-progress formatter drawing {@link progressLine} at the terminal's current width. */
export function fittedFormatter(color: boolean): GenericFormatter {
  return (_options, params, payload: { label?: string; rate?: string; last?: string }) =>
    progressLine(
      { label: payload.label ?? '', progress: params.progress, value: params.value, total: params.total, rate: payload.rate, etaSeconds: params.eta, last: payload.last ?? '' },
      params.maxWidth,
      color,
    );
}

/** A live display fed by `runPipeline`'s progress events. */
export interface ProgressDisplay {
  update(progress: RunProgress): void;
  stop(): void;
}

/** Starts the bars on `stream` when it is a TTY; undefined otherwise. `color` paints the bars. */
export async function startRunProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, color = false): Promise<ProgressDisplay | undefined> {
  if (stream.isTTY !== true) return undefined;
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: fittedFormatter(color),
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
      entry = { bar: multi.create(Math.max(total, 1), 0, { label: stage.padEnd(6), rate: '0.0', last: '' }), startedMs: performance.now() };
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
        } else {
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
