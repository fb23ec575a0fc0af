/**
 * The file store's queue facts (see `QueueFacts` in store.ts), kept from a compacted snapshot
 * (`index/snapshot.json`) plus the index rows appended since, so the review queue and `status`
 * on a large store parse neither index table whole.
 *
 * The snapshot covers a prefix of each append-only table (`index/drafts.jsonl`,
 * `index/listings.jsonl`): the inode, the bytes covered and a hash of the last bytes covered. It
 * holds lean columns per draft (what counting, filtering and sorting the queue needs, and the byte
 * offset of the draft's latest row) and per listing (source and offset of its latest row), and the
 * counts `status` reports. A reader parses it, then only the rows appended since; a page's rows are
 * read by offset. A snapshot that does not describe the tables as they are (another inode, a table
 * shorter than covered, other bytes where it ends, a bad header, length or checksum) is ignored:
 * the tables are read whole, and the snapshot rewritten. It is written (atomically, by whoever
 * read it) once more than {@link COMPACT_ROWS} rows were read past it; a store that did not change
 * gets no new snapshot.
 */
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import type { DraftStatus } from '../../schemas/draft.js';
import type { Severity } from '../../schemas/score.js';
import { errnoCode, readFileOrNull } from './fs-atomic.js';
import { changedSincePublished } from './queue-facts.js';
import type { DraftFact, DraftSummary, FactColumns, ListingSummary, QueueFacts } from './store.js';

/** Rows read past the snapshot (or, without one, in all) after which a reader writes a new one. */
export const COMPACT_ROWS = 1_000;
/** At most this many rows are read by offset for a page; more are read from the tables whole. */
export const POSITIONAL_ROWS = 256;

const FORMAT = 'threatdraft-index-snapshot/1';
/** Bytes before the covered end hashed to recognise the same file (a reused inode, a rewrite). */
const CHECK_BYTES = 256;
const CHUNK_BYTES = 1 << 20;

const str = (value: unknown): value is string => typeof value === 'string';

/** A table's inode and the bytes (whole lines) read of it; `ino` -1 for a table that does not exist. */
interface Coverage {
  ino: number;
  size: number;
}

const coverageSchema = z.object({ ino: z.number().int(), size: z.number().int().nonnegative(), check: z.string() });
const headerSchema = z.object({
  format: z.literal(FORMAT),
  drafts: coverageSchema,
  listings: coverageSchema,
  counts: z.object({ listings: z.number().int().nonnegative(), drafts: z.record(z.string(), z.number().int().nonnegative()) }),
  body: z.object({ bytes: z.number().int().nonnegative(), sha256: z.string() }),
  /** sha256 of the header's JSON without this field. */
  sha256: z.string(),
});
type Header = z.infer<typeof headerSchema>;

/** One draft as kept in memory: its fact (replaced whole when it changes), where its latest row is, and its listing hash when read. */
interface Entry {
  fact: DraftFact;
  offset: number;
  /** The draft's listing content hash; undefined when the entry came from the snapshot (read by offset when needed). */
  hash: string | undefined;
}

interface ListingEntry {
  sourceId: string;
  offset: number;
}

/** Counts for `status`: stored listings, and drafts (every revision) per status. */
export interface IndexCounts {
  listings: number;
  drafts: Record<string, number>;
}

async function statOrNull(path: string): Promise<{ ino: number; size: number } | null> {
  try {
    const info = await stat(path);
    return { ino: info.ino, size: info.size };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Whether a table as it is now still continues what `coverage` read of it. */
function continues(coverage: Coverage, now: { ino: number; size: number } | null): boolean {
  if (now === null) return coverage.ino === -1;
  return coverage.ino === now.ino && now.size >= coverage.size;
}

/** sha256 of the CHECK_BYTES bytes before `size` (of an open file), '' for an empty prefix. */
async function checkOf(handle: FileHandle, size: number): Promise<string> {
  if (size === 0) return '';
  const length = Math.min(CHECK_BYTES, size);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, size - length);
  return createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex');
}

/** The check of `path` at `size` if its inode is `ino`, or null (another file, or none). */
async function checkAt(path: string, ino: number, size: number): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return ino === -1 && size === 0 ? '' : null;
    throw error;
  }
  try {
    if ((await handle.stat()).ino !== ino) return null;
    return await checkOf(handle, size);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the whole lines of [start, end) of a JSONL file, calling `onRow` with each parsed line and
 * the byte offset where it starts; a line that is not JSON (torn by a crash) is skipped. Returns
 * the offset after the last whole line read and the number of lines.
 */
export async function readJsonlRows(path: string, start: number, end: number, onRow: (value: unknown, offset: number) => void): Promise<{ end: number; lines: number }> {
  if (end <= start) return { end: start, lines: 0 };
  const handle = await open(path, 'r');
  let position = start;
  let lines = 0;
  try {
    let buffer = Buffer.alloc(Math.min(CHUNK_BYTES, end - start));
    while (position < end) {
      const want = Math.min(buffer.length, end - position);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) break;
      const last = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (last < 0) {
        // A line longer than the buffer: read again with a larger one; a line without its newline yet stays for later.
        if (bytesRead < want || position + bytesRead >= end) break;
        buffer = Buffer.alloc(buffer.length * 2);
        continue;
      }
      lines += parseChunk(buffer, last, position, onRow);
      position += last + 1;
    }
  } finally {
    await handle.close();
  }
  return { end: position, lines };
}

/** Parses the lines of buffer[0, last] (ending with a newline at `last`); returns how many non-empty lines it held. */
function parseChunk(buffer: Buffer, last: number, base: number, onRow: (value: unknown, offset: number) => void): number {
  const starts: number[] = [];
  const ends: number[] = [];
  let from = 0;
  let empty = false;
  while (from <= last) {
    const to = buffer.indexOf(0x0a, from);
    if (to > from) {
      starts.push(from);
      ends.push(to);
    } else empty = true;
    from = to + 1;
  }
  // Whole lines as one JSON array: one parse per chunk is several times faster than one per line.
  // A torn line (or a line holding several values) makes it fail or miscount; then line by line.
  if (!empty && starts.length > 0) {
    let values: unknown[] | undefined;
    try {
      values = JSON.parse(`[${buffer.toString('utf8', 0, last).replaceAll('\n', ',')}]`) as unknown[];
    } catch {
      values = undefined;
    }
    if (values !== undefined && values.length === starts.length) {
      for (let index = 0; index < values.length; index += 1) onRow(values[index], base + (starts[index] as number));
      return starts.length;
    }
  }
  for (let index = 0; index < starts.length; index += 1) {
    let value: unknown;
    try {
      value = JSON.parse(buffer.toString('utf8', starts[index], ends[index])) as unknown;
    } catch {
      continue;
    }
    onRow(value, base + (starts[index] as number));
  }
  return starts.length;
}

/** Reads the line starting at each offset of a file whose inode must be `ino`; null for the lot when it is another file. */
async function readLinesAt(path: string, ino: number, offsets: readonly number[]): Promise<Array<unknown> | null> {
  const handle = await openOrNull(path);
  if (handle === null) return null;
  try {
    if ((await handle.stat()).ino !== ino) return null;
    return await Promise.all(
      offsets.map(async (offset) => {
        let size = 2048;
        for (;;) {
          const buffer = Buffer.alloc(size);
          const { bytesRead } = await handle.read(buffer, 0, size, offset);
          const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
          if (newline < 0 && bytesRead === size) {
            size *= 4;
            continue;
          }
          try {
            return JSON.parse(buffer.toString('utf8', 0, newline < 0 ? bytesRead : newline)) as unknown;
          } catch {
            return undefined;
          }
        }
      }),
    );
  } finally {
    await handle.close();
  }
}

/** The draft row's fields the facts need, or null when the row is not a draft summary (as the draft table skips it). */
export function draftRowOf(value: unknown): DraftSummary | null {
  const row = value as Partial<DraftSummary> | null;
  if (typeof row !== 'object' || row === null || !str(row.id) || !str(row.listingId) || typeof row.revision !== 'number' || !str(row.status)) return null;
  return row as DraftSummary;
}

/** A listing row as the listing table reads it, or null. */
export function listingRowOf(value: unknown): ListingSummary | null {
  const row = value as Partial<ListingSummary> | null;
  if (typeof row !== 'object' || row === null || !str(row.id) || !str(row.contentHash)) return null;
  return {
    id: row.id,
    title: str(row.title) ? row.title : row.id,
    sourceId: str(row.sourceId) ? row.sourceId : '',
    contentHash: row.contentHash,
    url: str(row.url) ? row.url : '',
    // Unknown counts as having one, so the crawl reads the listing and refreshes it.
    repo: row.repo !== false,
  };
}

export interface FactsIndexOptions {
  draftsPath: string;
  listingsPath: string;
  snapshotPath: string;
  /** Writes the snapshot (atomically). */
  write: (path: string, text: string) => Promise<void>;
  /** Rows read past the snapshot after which a new one is written. @default COMPACT_ROWS */
  compactRows?: number;
  /** Summaries of many drafts and their listings, from the tables read whole (pages too large to read by offset). */
  fullRows: (ids: readonly string[]) => Promise<{ drafts: DraftSummary[]; listings: Map<string, ListingSummary> }>;
}

/** The file store's queue facts: a snapshot plus the rows since, followed as the tables grow. */
export class FactsIndex {
  #options: FactsIndexOptions;
  #drafts = new Map<string, Entry>();
  #listings = new Map<string, ListingEntry>();
  /**
   * The snapshot's columns as read, before the maps above are built from them: a reader that finds
   * nothing appended since (a page, `status`) never builds 100,000 map entries. Null once built.
   */
  #columns: SnapshotColumns | null = null;
  /** Drafts per listing, built when first needed (applying rows past a snapshot). */
  #byListing: Map<string, Entry[]> | null = null;
  #draftCoverage: Coverage | null = null;
  #listingCoverage: Coverage = { ino: -1, size: 0 };
  #rowsSinceSnapshot = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #reads = { snapshots: 0, whole: 0, rows: 0, snapshotsWritten: 0 };

  constructor(options: FactsIndexOptions) {
    this.#options = options;
  }

  /** How the facts were read so far: from a snapshot, or whole; rows read from the tables; snapshots written (for tests). */
  get reads(): { snapshots: number; whole: number; rows: number; snapshotsWritten: number } {
    return { ...this.#reads };
  }

  /** Forgets everything read and removes nothing (the store's index rebuild removes the snapshot itself). */
  forget(): void {
    this.#reset();
  }

  /** The queue facts as of now (the facts given out are never changed; later loads replace them). */
  facts(): Promise<QueueFacts> {
    return this.#serial(async () => {
      await this.#load();
      const draftIno = (this.#draftCoverage as Coverage).ino;
      const listingIno = this.#listingCoverage.ino;
      const columns = this.#columns;
      let drafts: DraftFact[] | undefined;
      if (columns === null) {
        drafts = [];
        for (const entry of this.#drafts.values()) drafts.push(entry.fact);
      }
      return {
        // From a snapshot, built only when asked for: a page is picked from the columns.
        get drafts(): readonly DraftFact[] {
          drafts ??= (columns as SnapshotColumns).all().slice();
          return drafts;
        },
        ...(columns === null ? {} : { columns }),
        listings: columns?.listingIds.length ?? this.#listings.size,
        rows: async (ids: readonly string[]) => {
          // Where each row is now: the same row as the facts, or a newer one when another load came between.
          const entries = this.#entries(ids);
          if (entries.length > POSITIONAL_ROWS) return this.#options.fullRows(ids);
          const found = await this.#rowsAt(entries, draftIno, listingIno);
          return found ?? this.#options.fullRows(ids);
        },
      };
    });
  }

  /**
   * Counts for `status`. When the snapshot covers both tables to their end, its counts serve
   * without reading its columns; otherwise the facts are loaded.
   */
  counts(): Promise<IndexCounts> {
    return this.#serial(async () => {
      if (this.#draftCoverage === null) {
        const fast = await this.#snapshotCountsIfCurrent();
        if (fast !== null) return fast;
      }
      await this.#load();
      const drafts: Record<string, number> = {};
      const columns = this.#columns;
      if (columns !== null) {
        for (let at = 0; at < columns.length; at += 1) {
          const status = columns.status(at);
          drafts[status] = (drafts[status] ?? 0) + 1;
        }
      } else {
        for (const { fact } of this.#drafts.values()) drafts[fact.status] = (drafts[fact.status] ?? 0) + 1;
      }
      return { listings: this.#columns?.listingIds.length ?? this.#listings.size, drafts };
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #reset(): void {
    this.#drafts = new Map();
    this.#listings = new Map();
    this.#columns = null;
    this.#byListing = null;
    this.#draftCoverage = null;
    this.#listingCoverage = { ino: -1, size: 0 };
    this.#rowsSinceSnapshot = 0;
  }

  async #load(useSnapshot = true): Promise<void> {
    const [draftsNow, listingsNow] = await Promise.all([statOrNull(this.#options.draftsPath), statOrNull(this.#options.listingsPath)]);
    if (this.#draftCoverage === null || !continues(this.#draftCoverage, draftsNow) || !continues(this.#listingCoverage, listingsNow)) {
      this.#reset();
      const snapshot = useSnapshot ? await this.#readSnapshot(draftsNow, listingsNow) : null;
      if (snapshot !== null) this.#reads.snapshots += 1;
      else {
        this.#reads.whole += 1;
        this.#draftCoverage = { ino: draftsNow?.ino ?? -1, size: 0 };
        this.#listingCoverage = { ino: listingsNow?.ino ?? -1, size: 0 };
        // Read whole: every listing's drafts are new, so the per-listing index is built as they come.
        this.#byListing = new Map();
      }
    }
    const draftCoverage = this.#draftCoverage as Coverage;
    const touched = new Set<string>();
    // Rows to apply: the maps they update are built first.
    if ((listingsNow?.size ?? 0) > this.#listingCoverage.size || (draftsNow?.size ?? 0) > draftCoverage.size) this.#materialise();
    // Listings first: the drafts read next take their source from them.
    if (listingsNow !== null && listingsNow.size > this.#listingCoverage.size) {
      const read = await readJsonlRows(this.#options.listingsPath, this.#listingCoverage.size, listingsNow.size, (value, offset) => this.#applyListing(value, offset));
      this.#listingCoverage.size = read.end;
      this.#rowsSinceSnapshot += read.lines;
      this.#reads.rows += read.lines;
    }
    if (draftsNow !== null && draftsNow.size > draftCoverage.size) {
      const read = await readJsonlRows(this.#options.draftsPath, draftCoverage.size, draftsNow.size, (value, offset) => {
        const listingId = this.#applyDraft(value, offset);
        if (listingId !== null) touched.add(listingId);
      });
      draftCoverage.size = read.end;
      this.#rowsSinceSnapshot += read.lines;
      this.#reads.rows += read.lines;
    }
    if (touched.size > 0 && !(await this.#recomputeChanged(touched))) {
      // A row to compare with could not be read where the facts said it was: start over from the tables.
      this.#reset();
      await this.#load(false);
      return;
    }
    if (this.#rowsSinceSnapshot > (this.#options.compactRows ?? COMPACT_ROWS)) {
      // Best effort: a reader that may not write the store (or a full disk) still answers.
      await this.#writeSnapshot().catch(() => undefined);
    }
  }

  #listingsDrafts(): Map<string, Entry[]> {
    if (this.#byListing === null) {
      const byListing = new Map<string, Entry[]>();
      for (const entry of this.#drafts.values()) {
        const list = byListing.get(entry.fact.listingId);
        if (list === undefined) byListing.set(entry.fact.listingId, [entry]);
        else list.push(entry);
      }
      this.#byListing = byListing;
    }
    return this.#byListing;
  }

  #applyListing(value: unknown, offset: number): void {
    const row = listingRowOf(value);
    if (row === null) return;
    const before = this.#listings.get(row.id);
    this.#listings.set(row.id, { sourceId: row.sourceId, offset });
    if (before !== undefined && before.sourceId === row.sourceId) return;
    // A new listing or a new source: its drafts' facts show it.
    if (this.#drafts.size === 0) return;
    for (const entry of this.#listingsDrafts().get(row.id) ?? []) entry.fact = { ...entry.fact, source: row.sourceId };
  }

  /** Applies one draft row; returns its listing id (whose drafts' "changed" may change), or null when skipped. */
  #applyDraft(value: unknown, offset: number): string | null {
    const row = draftRowOf(value);
    if (row === null) return null;
    let entry = this.#drafts.get(row.id);
    const previous = entry?.fact;
    const fact: DraftFact = {
      id: row.id,
      listingId: row.listingId,
      revision: row.revision,
      status: row.status,
      score: row.score,
      severity: row.severity,
      source: this.#listings.get(row.listingId)?.sourceId ?? '',
      hasWarnings: row.warnings > 0,
      insufficientEvidence: row.insufficientEvidence,
      // Set for the listing's drafts once its rows are read (see #recomputeChanged).
      changedSincePublished: previous?.changedSincePublished ?? false,
      updatedAt: row.updatedAt,
    };
    if (entry === undefined || previous?.listingId !== row.listingId) {
      if (entry !== undefined) this.#removeFromListing(entry);
      entry = { fact, offset, hash: row.listingContentHash };
      this.#drafts.set(row.id, entry);
      if (this.#byListing !== null) {
        const list = this.#byListing.get(row.listingId);
        if (list === undefined) this.#byListing.set(row.listingId, [entry]);
        else list.push(entry);
      }
    } else {
      entry.fact = fact;
      entry.offset = offset;
      entry.hash = row.listingContentHash;
    }
    return row.listingId;
  }

  #removeFromListing(entry: Entry): void {
    const list = this.#byListing?.get(entry.fact.listingId);
    if (list === undefined) return;
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
  }

  /**
   * Sets "changed since published" for every draft of these listings; the listing hashes it
   * compares are read by offset where the facts lack them. False when a row was not where expected.
   */
  async #recomputeChanged(listingIds: ReadonlySet<string>): Promise<boolean> {
    const byListing = this.#listingsDrafts();
    const plans: Array<{ drafts: Entry[]; published: Entry | undefined }> = [];
    const missing: Entry[] = [];
    for (const listingId of listingIds) {
      const drafts = byListing.get(listingId) ?? [];
      let published: Entry | undefined;
      for (const draft of drafts) if (draft.fact.status === 'published' && (published === undefined || draft.fact.revision > published.fact.revision)) published = draft;
      plans.push({ drafts, published });
      if (published === undefined) continue;
      const newer = published.fact.revision;
      const compared = drafts.filter((draft) => draft.fact.revision > newer);
      if (compared.length === 0) continue;
      for (const draft of [published, ...compared]) if (draft.hash === undefined) missing.push(draft);
    }
    if (missing.length > 0) {
      const rows = await readLinesAt(this.#options.draftsPath, (this.#draftCoverage as Coverage).ino, missing.map((entry) => entry.offset));
      if (rows === null) return false;
      for (const [index, entry] of missing.entries()) {
        const row = draftRowOf(rows[index]);
        if (row === null || row.id !== entry.fact.id) return false;
        entry.hash = row.listingContentHash;
      }
    }
    for (const { drafts, published } of plans) {
      const reference = published === undefined ? undefined : { revision: published.fact.revision, listingContentHash: published.hash as string };
      for (const draft of drafts) {
        const changed = reference !== undefined && draft.fact.revision > reference.revision && changedSincePublished({ revision: draft.fact.revision, listingContentHash: draft.hash as string }, reference);
        if (changed !== draft.fact.changedSincePublished) draft.fact = { ...draft.fact, changedSincePublished: changed };
      }
    }
    return true;
  }

  /** The entries of these drafts (from the maps, or found in the snapshot's columns). */
  #entries(ids: readonly string[]): Entry[] {
    const columns = this.#columns;
    let found: Map<string, Entry> = this.#drafts;
    if (columns !== null) {
      const wanted = new Set(ids);
      found = new Map();
      for (let at = 0; at < columns.length; at += 1) {
        const id = columns.id(at);
        if (wanted.has(id)) found.set(id, { fact: columns.fact(at), offset: columns.offset(at), hash: undefined });
      }
    }
    return ids.map((id) => {
      const entry = found.get(id);
      if (entry === undefined) throw new Error(`No queue facts for draft ${id}`);
      return entry;
    });
  }

  /** Where the latest row of each of these listings is, for those stored. */
  #listingOffsets(ids: ReadonlySet<string>): Map<string, number> {
    const offsets = new Map<string, number>();
    const columns = this.#columns;
    if (columns === null) {
      for (const id of ids) {
        const listing = this.#listings.get(id);
        if (listing !== undefined) offsets.set(id, listing.offset);
      }
    } else {
      columns.listingIds.forEach((id, index) => {
        if (ids.has(id)) offsets.set(id, columns.listingOffsets[index] as number);
      });
    }
    return offsets;
  }

  /** Builds the maps from the snapshot's columns (before rows are applied over them). */
  #materialise(): void {
    const columns = this.#columns;
    if (columns === null) return;
    this.#columns = null;
    columns.listingIds.forEach((id, index) => this.#listings.set(id, { sourceId: columns.listingSource(index), offset: columns.listingOffsets[index] as number }));
    const facts = columns.all();
    facts.forEach((fact, at) => this.#drafts.set(fact.id, { fact, offset: columns.offset(at), hash: undefined }));
  }

  /** The rows of these entries read by offset, or null when a table is not the file the facts were read from. */
  async #rowsAt(entries: readonly Entry[], draftIno: number, listingIno: number): Promise<{ drafts: DraftSummary[]; listings: Map<string, ListingSummary> } | null> {
    const rows = await readLinesAt(this.#options.draftsPath, draftIno, entries.map((entry) => entry.offset));
    if (rows === null) return null;
    const drafts: DraftSummary[] = [];
    for (const [index, entry] of entries.entries()) {
      const row = draftRowOf(rows[index]);
      if (row === null || row.id !== entry.fact.id) return null;
      drafts.push(row);
    }
    const offsets = this.#listingOffsets(new Set(entries.map((entry) => entry.fact.listingId)));
    const listingIds = [...offsets.keys()];
    const listings = new Map<string, ListingSummary>();
    if (listingIds.length > 0) {
      const listingRows = await readLinesAt(this.#options.listingsPath, listingIno, [...offsets.values()]);
      if (listingRows === null) return null;
      for (const [index, id] of listingIds.entries()) {
        const row = listingRowOf(listingRows[index]);
        if (row === null || row.id !== id) return null;
        listings.set(id, row);
      }
    }
    return { drafts, listings };
  }

  // ---- the snapshot ----

  /** The snapshot's header and body text when it is whole and continues the tables as they are now, else null. */
  async #readValidSnapshot(draftsNow: { ino: number; size: number } | null, listingsNow: { ino: number; size: number } | null, withBody: boolean): Promise<{ header: Header; body: string } | null> {
    let raw: Buffer | null;
    try {
      raw = await readFileBuffer(this.#options.snapshotPath);
    } catch {
      return null;
    }
    if (raw === null) return null;
    const newline = raw.indexOf(0x0a);
    if (newline < 0) return null;
    let header: Header;
    try {
      const value = JSON.parse(raw.toString('utf8', 0, newline)) as unknown;
      const parsed = headerSchema.safeParse(value);
      if (!parsed.success) return null;
      const { sha256, ...rest } = value as Header;
      if (sha256Hex(JSON.stringify(rest)) !== sha256) return null;
      header = parsed.data;
    } catch {
      return null;
    }
    // Whole: the body is exactly as long as the header says, and ends the file.
    if (raw.length !== newline + 1 + header.body.bytes + 1 || raw[raw.length - 1] !== 0x0a) return null;
    if (!continues(header.drafts, draftsNow) || !continues(header.listings, listingsNow)) return null;
    const [draftCheck, listingCheck] = await Promise.all([
      checkAt(this.#options.draftsPath, header.drafts.ino, header.drafts.size),
      checkAt(this.#options.listingsPath, header.listings.ino, header.listings.size),
    ]);
    if (draftCheck !== header.drafts.check || listingCheck !== header.listings.check) return null;
    if (!withBody) return { header, body: '' };
    const bodyBytes = raw.subarray(newline + 1, raw.length - 1);
    if (createHash('sha256').update(bodyBytes).digest('hex') !== header.body.sha256) return null;
    return { header, body: bodyBytes.toString('utf8') };
  }

  async #snapshotCountsIfCurrent(): Promise<IndexCounts | null> {
    const [draftsNow, listingsNow] = await Promise.all([statOrNull(this.#options.draftsPath), statOrNull(this.#options.listingsPath)]);
    const snapshot = await this.#readValidSnapshot(draftsNow, listingsNow, false);
    if (snapshot === null) return null;
    // Current only when nothing was appended since.
    if ((draftsNow?.size ?? 0) !== snapshot.header.drafts.size || (listingsNow?.size ?? 0) !== snapshot.header.listings.size) return null;
    return snapshot.header.counts;
  }

  /** Loads the snapshot into the facts when valid; returns null (facts left empty) when not. */
  async #readSnapshot(draftsNow: { ino: number; size: number } | null, listingsNow: { ino: number; size: number } | null): Promise<true | null> {
    const snapshot = await this.#readValidSnapshot(draftsNow, listingsNow, true);
    if (snapshot === null) return null;
    let body: unknown;
    try {
      body = JSON.parse(snapshot.body);
    } catch {
      return null;
    }
    if (!this.#hydrate(body)) {
      this.#reset();
      return null;
    }
    this.#draftCoverage = { ino: snapshot.header.drafts.ino, size: snapshot.header.drafts.size };
    this.#listingCoverage = { ino: snapshot.header.listings.ino, size: snapshot.header.listings.size };
    this.#rowsSinceSnapshot = 0;
    return true;
  }

  /**
   * Takes the facts from a snapshot body; false when its columns do not fit together. Every value
   * is checked here, but no fact is built: {@link SnapshotColumns} reads them in place.
   */
  #hydrate(value: unknown): boolean {
    const body = value as Partial<SnapshotBody> | null;
    if (typeof body !== 'object' || body === null) return false;
    const { l, x, s, st, sv, d } = body;
    if (!isColumns(l, ['id', 'src', 'off']) || !Array.isArray(x) || !Array.isArray(s) || !Array.isArray(st) || !Array.isArray(sv)) return false;
    if (!isColumns(d, ['id', 'li', 'rev', 'st', 'sc', 'sv', 'f', 'at', 'off'])) return false;
    const stored = l.id.length;
    for (let index = 0; index < stored; index += 1) {
      if (!str(l.id[index]) || !str(s[l.src[index] as number]) || typeof l.off[index] !== 'number') return false;
    }
    if (!x.every(str)) return false;
    for (let index = 0; index < d.id.length; index += 1) {
      const listingIndex = d.li[index] as number;
      if (
        !str(d.id[index]) ||
        !str(listingIndex < stored ? l.id[listingIndex] : x[listingIndex - stored]) ||
        !str(st[d.st[index] as number]) ||
        typeof d.f[index] !== 'number' ||
        typeof d.off[index] !== 'number' ||
        typeof d.rev[index] !== 'number'
      ) {
        return false;
      }
    }
    this.#columns = new SnapshotColumns(body as SnapshotBody);
    return true;
  }

  async #writeSnapshot(): Promise<void> {
    this.#materialise();
    const draftCoverage = this.#draftCoverage as Coverage;
    const listingCoverage = this.#listingCoverage;
    const [draftCheck, listingCheck] = await Promise.all([
      checkAt(this.#options.draftsPath, draftCoverage.ino, draftCoverage.size),
      checkAt(this.#options.listingsPath, listingCoverage.ino, listingCoverage.size),
    ]);
    // A table replaced since it was read (an index rebuild): this snapshot would describe the old one.
    if (draftCheck === null || listingCheck === null) return;
    const dictionary = (): { values: string[]; index: (value: string) => number } => {
      const values: string[] = [];
      const seen = new Map<string, number>();
      return {
        values,
        index: (value) => {
          let at = seen.get(value);
          if (at === undefined) {
            at = values.length;
            values.push(value);
            seen.set(value, at);
          }
          return at;
        },
      };
    };
    const sources = dictionary();
    const statuses = dictionary();
    const severities = dictionary();
    const listingIndex = new Map<string, number>();
    const l = { id: [] as string[], src: [] as number[], off: [] as number[] };
    for (const [id, listing] of this.#listings) {
      listingIndex.set(id, l.id.length);
      l.id.push(id);
      l.src.push(sources.index(listing.sourceId));
      l.off.push(listing.offset);
    }
    const x: string[] = [];
    const d = { id: [] as string[], li: [] as number[], rev: [] as number[], st: [] as number[], sc: [] as number[], sv: [] as number[], f: [] as number[], at: [] as string[], off: [] as number[] };
    const counts: Record<string, number> = {};
    for (const { fact, offset } of this.#drafts.values()) {
      let li = listingIndex.get(fact.listingId);
      if (li === undefined) {
        li = l.id.length + x.length;
        listingIndex.set(fact.listingId, li);
        x.push(fact.listingId);
      }
      d.id.push(fact.id);
      d.li.push(li);
      d.rev.push(fact.revision);
      d.st.push(statuses.index(fact.status));
      d.sc.push(fact.score);
      d.sv.push(severities.index(fact.severity));
      d.f.push((fact.hasWarnings ? 1 : 0) | (fact.insufficientEvidence ? 2 : 0) | (fact.changedSincePublished ? 4 : 0));
      d.at.push(fact.updatedAt);
      d.off.push(offset);
      counts[fact.status] = (counts[fact.status] ?? 0) + 1;
    }
    const body: SnapshotBody = { l, x, s: sources.values, st: statuses.values, sv: severities.values, d };
    const bodyText = JSON.stringify(body);
    const bodyBytes = Buffer.from(bodyText, 'utf8');
    const header: Omit<Header, 'sha256'> = {
      format: FORMAT,
      drafts: { ...draftCoverage, check: draftCheck },
      listings: { ...listingCoverage, check: listingCheck },
      counts: { listings: this.#listings.size, drafts: counts },
      body: { bytes: bodyBytes.length, sha256: createHash('sha256').update(bodyBytes).digest('hex') },
    };
    const headerText = JSON.stringify({ ...header, sha256: sha256Hex(JSON.stringify(header)) });
    await this.#options.write(this.#options.snapshotPath, `${headerText}\n${bodyText}\n`);
    this.#rowsSinceSnapshot = 0;
    this.#reads.snapshotsWritten += 1;
  }
}

/**
 * A snapshot's columns as read (checked by `#hydrate`): each draft's fact and row offset by
 * position, read in place; each stored listing's id, source and row offset. Never changed once made.
 */
class SnapshotColumns implements FactColumns {
  readonly length: number;
  /** Stored listings' ids (drafts may name others, kept in the body's `x`). */
  readonly listingIds: readonly string[];
  readonly listingOffsets: readonly number[];
  readonly #body: SnapshotBody;
  #facts: DraftFact[] | null = null;

  constructor(body: SnapshotBody) {
    this.#body = body;
    this.length = body.d.id.length;
    this.listingIds = body.l.id;
    this.listingOffsets = body.l.off;
  }

  id(at: number): string {
    return this.#body.d.id[at] as string;
  }

  status(at: number): DraftStatus {
    return this.#body.st[this.#body.d.st[at] as number] as DraftStatus;
  }

  severity(at: number): Severity {
    return this.#body.sv[this.#body.d.sv[at] as number] as Severity;
  }

  score(at: number): number {
    return this.#body.d.sc[at] as number;
  }

  source(at: number): string {
    const listing = this.#body.d.li[at] as number;
    return listing < this.listingIds.length ? this.listingSource(listing) : '';
  }

  hasWarnings(at: number): boolean {
    return ((this.#body.d.f[at] as number) & 1) !== 0;
  }

  insufficientEvidence(at: number): boolean {
    return ((this.#body.d.f[at] as number) & 2) !== 0;
  }

  changedSincePublished(at: number): boolean {
    return ((this.#body.d.f[at] as number) & 4) !== 0;
  }

  updatedAt(at: number): string {
    return this.#body.d.at[at] as string;
  }

  /** Where the draft's latest row starts in the draft table. */
  offset(at: number): number {
    return this.#body.d.off[at] as number;
  }

  /** The source of stored listing `index`. */
  listingSource(index: number): string {
    return this.#body.s[this.#body.l.src[index] as number] as string;
  }

  fact(at: number): DraftFact {
    const built = this.#facts?.[at];
    if (built !== undefined) return built;
    const { l, x, d } = this.#body;
    const listing = d.li[at] as number;
    return {
      id: this.id(at),
      listingId: (listing < l.id.length ? l.id[listing] : x[listing - l.id.length]) as string,
      revision: d.rev[at] as number,
      status: this.status(at),
      score: this.score(at),
      severity: this.severity(at),
      source: this.source(at),
      hasWarnings: this.hasWarnings(at),
      insufficientEvidence: this.insufficientEvidence(at),
      changedSincePublished: this.changedSincePublished(at),
      updatedAt: this.updatedAt(at),
    };
  }

  /** Every fact, built once (the same objects on every call). */
  all(): readonly DraftFact[] {
    if (this.#facts === null) {
      const facts: DraftFact[] = [];
      for (let at = 0; at < this.length; at += 1) facts.push(this.fact(at));
      this.#facts = facts;
    }
    return this.#facts;
  }
}

interface SnapshotBody {
  /** Stored listings: id, index into `s`, offset of the latest row. */
  l: { id: string[]; src: number[]; off: number[] };
  /** Listing ids of drafts whose listing is not stored (indexed after `l.id`). */
  x: string[];
  /** Dictionaries: sources, statuses, severities. */
  s: string[];
  st: string[];
  sv: string[];
  /** Drafts: id, listing index, revision, status, score, severity, flags (1 warnings, 2 insufficient evidence, 4 changed since published), updatedAt, offset of the latest row. */
  d: { id: string[]; li: number[]; rev: number[]; st: number[]; sc: number[]; sv: number[]; f: number[]; at: string[]; off: number[] };
}

function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Whether `value` is an object whose `keys` are arrays of one length. */
function isColumns(value: unknown, keys: readonly string[]): value is Record<string, unknown[]> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  let length = -1;
  for (const key of keys) {
    const column = record[key];
    if (!Array.isArray(column)) return false;
    if (length < 0) length = column.length;
    else if (column.length !== length) return false;
  }
  return true;
}

async function readFileBuffer(path: string): Promise<Buffer | null> {
  const handle = await openOrNull(path);
  if (handle === null) return null;
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

// ---- the audit checkpoint ----

const auditCheckpointSchema = z.object({
  format: z.literal('threatdraft-audit-checkpoint/1'),
  ino: z.number().int(),
  size: z.number().int().nonnegative(),
  check: z.string(),
  lines: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative(),
  torn: z.array(z.number().int().positive()),
});

/** What `status` reports of the audit log: whole entries and the line numbers (1-based) of torn ones. */
export interface AuditCount {
  entries: number;
  torn: number[];
}

/**
 * Counts the audit log's entries and torn lines (as the audit log's reader does: a line that is
 * not JSON is torn, one that is JSON is checked by `checkEntry`), reading only what was appended
 * since the checkpoint `checkpointPath` when it still describes the log; writes a new checkpoint
 * (best effort) once more than `compactLines` whole lines were read past it.
 */
export async function countAudit(
  auditPath: string,
  checkpointPath: string,
  checkEntry: (value: unknown, where: string) => void,
  write: (path: string, text: string) => Promise<void>,
  compactLines = COMPACT_ROWS,
): Promise<AuditCount> {
  const now = await statOrNull(auditPath);
  if (now === null) return { entries: 0, torn: [] };
  let start = { size: 0, lines: 0, entries: 0, torn: [] as number[] };
  const text = await readFileOrNull(checkpointPath).catch(() => null);
  if (text !== null) {
    try {
      const parsed = auditCheckpointSchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.ino === now.ino && parsed.data.size <= now.size && (await checkAt(auditPath, parsed.data.ino, parsed.data.size)) === parsed.data.check) start = parsed.data;
    } catch {
      // Not a checkpoint: count from the start.
    }
  }
  let entries = start.entries;
  const torn = [...start.torn];
  let lines = start.lines;
  let covered = { size: start.size, lines: start.lines, entries: start.entries, torn: torn.length };
  if (now.size > start.size) {
    const handle = await open(auditPath, 'r');
    let tail: Buffer;
    try {
      const buffer = Buffer.alloc(now.size - start.size);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start.size);
      tail = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const pieces = tail.toString('utf8').split('\n');
    // As the audit log's reader splits it; the piece after the last newline (a line being written)
    // counts too, but a checkpoint covers whole lines only.
    for (const [index, line] of pieces.entries()) {
      if (index === pieces.length - 1) covered = { size: start.size + tail.lastIndexOf(0x0a) + 1, lines, entries, torn: torn.length };
      lines += 1;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line) as unknown;
      } catch {
        torn.push(lines);
        continue;
      }
      checkEntry(value, `${auditPath}:${lines}`);
      entries += 1;
    }
  }
  if (covered.lines - start.lines > compactLines) {
    const check = await checkAt(auditPath, now.ino, covered.size);
    if (check !== null) {
      const checkpoint = { format: 'threatdraft-audit-checkpoint/1' as const, ino: now.ino, size: covered.size, check, lines: covered.lines, entries: covered.entries, torn: torn.slice(0, covered.torn) };
      await write(checkpointPath, `${JSON.stringify(checkpoint)}\n`).catch(() => undefined);
    }
  }
  return { entries, torn };
}

/** The file opened for reading, or null when it does not exist. */
async function openOrNull(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}
