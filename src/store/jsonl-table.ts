/**
 * An append-only JSONL file read as a table: one row per line, the last row of a key wins. Loaded
 * whole once, then followed: a later load reads only the bytes appended since (by size, on the
 * same inode), so a long-running reader (the review server) pays per request only for what changed.
 * A line that is not JSON (torn by a crash) or that `parse` refuses is skipped; a line still being
 * written (no newline yet) is read next time.
 */
import { open, stat } from 'node:fs/promises';
import { errnoCode } from './fs-atomic.js';

/** Turns one parsed line into a key and a value, or null to skip it. */
export type RowParser<V> = (value: unknown) => readonly [string, V] | null;

/** Bytes read at a time. */
const CHUNK_BYTES = 1 << 20;

export class JsonlTable<V> {
  readonly path: string;
  #parse: RowParser<V>;
  #ino = -1;
  #offset = 0;
  #rows = new Map<string, V>();
  #lines = 0;

  constructor(path: string, parse: RowParser<V>) {
    this.path = path;
    this.#parse = parse;
  }

  /** Rows read (every line, superseded ones included): compaction is worth it when far above the live count. */
  get lines(): number {
    return this.#lines;
  }

  /** The table as of now (the same Map, updated in place: copy it to keep a snapshot). */
  async load(): Promise<Map<string, V>> {
    let info;
    try {
      info = await stat(this.path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      this.#reset(-1);
      return this.#rows;
    }
    if (info.ino !== this.#ino || info.size < this.#offset) this.#reset(info.ino);
    if (info.size > this.#offset) await this.#readFrom(this.#offset, info.size);
    return this.#rows;
  }

  /** Forgets what was read (the next load reads the whole file). */
  forget(): void {
    this.#reset(-1);
  }

  #reset(ino: number): void {
    this.#ino = ino;
    this.#offset = 0;
    this.#lines = 0;
    this.#rows = new Map();
  }

  /** Reads [start, end) in chunks (a large index never sits in memory twice), up to the last whole line. */
  async #readFrom(start: number, end: number): Promise<void> {
    const handle = await open(this.path, 'r');
    try {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, end - start));
      let carry = '';
      let position = start;
      while (position < end) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const lastNewline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (lastNewline < 0) {
          carry += chunk.toString('utf8', 0, bytesRead);
          continue;
        }
        const text = carry + chunk.toString('utf8', 0, lastNewline);
        carry = chunk.toString('utf8', lastNewline + 1, bytesRead);
        this.#offset = position - (bytesRead - lastNewline - 1);
        this.#parseLines(text);
      }
    } finally {
      await handle.close();
    }
  }

  #parseLines(text: string): void {
    // Whole lines as one JSON array: one parse per chunk is several times faster than one per
    // line. A torn line makes it fail; then the chunk is parsed line by line, skipping it.
    const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
    if (trimmed !== '' && !trimmed.includes('\n\n')) {
      let values: unknown[] | undefined;
      try {
        values = JSON.parse(`[${trimmed.replaceAll('\n', ',')}]`) as unknown[];
      } catch {
        values = undefined;
      }
      // A line that held several values (`1,2`) would shift the count: trust the bulk parse only when it matches.
      if (values !== undefined && values.length === countLines(trimmed)) {
        for (const value of values) {
          this.#lines += 1;
          const row = this.#parse(value);
          if (row !== null) this.#rows.set(row[0], row[1]);
        }
        return;
      }
    }
    let from = 0;
    while (from <= text.length) {
      let to = text.indexOf('\n', from);
      if (to < 0) to = text.length;
      const line = text.slice(from, to);
      from = to + 1;
      if (line === '') continue;
      this.#lines += 1;
      let value: unknown;
      try {
        value = JSON.parse(line) as unknown;
      } catch {
        continue;
      }
      const row = this.#parse(value);
      if (row !== null) this.#rows.set(row[0], row[1]);
    }
  }
}

function countLines(text: string): number {
  let count = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}
