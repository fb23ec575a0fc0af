/**
 * Group commit for the file store: writes queued while one batch is being made durable join the
 * next batch, and every write of a batch is acknowledged together once the batch is on disk.
 *
 * One flush of a batch: every file is written to its temp file; the temp files are fsynced
 * together (issued at once, so the file system's journal commits them as one); each is renamed
 * over its target (or, for a create, hard-linked into place, which fails when the target exists);
 * every JSONL append of the batch (audit lines, index rows) is one write per file and one fsync
 * per file; each directory touched is fsynced once. Only then are the writers' promises resolved:
 * a write is acknowledged only after its batch is durable, so a crash at any moment loses nothing
 * acknowledged. A failed file write fails that write alone; a failed append or directory fsync
 * fails every write of the batch that depended on it.
 */
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransientError } from '../errors.js';
import { diskFullError, errnoCode, fsyncDir, NODE_FS, tempPathFor, type WriteFs } from './fs-atomic.js';

/** A whole file to write: `replace` renames over the target; `create` fails with `exists` when the target is there. */
export interface FileWrite {
  kind: 'replace' | 'create';
  path: string;
  /** The whole file: text (UTF-8) or bytes. */
  data: string | Uint8Array;
  /** Appended in the same batch only if this file was written (an index row describing it). */
  rows?: Append[];
  /** The directory is probably new (a listing's first draft): it is made first instead of after a failed open. */
  newDir?: boolean;
}

/** Lines appended to a JSONL file (each line ends with a newline). */
export interface Append {
  path: string;
  lines: string;
}

/** The outcome of one queued write. */
export type WriteOutcome = 'written' | 'exists';

interface Pending {
  files: Array<FileWrite & { data: Uint8Array }>;
  appends: Append[];
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Fsync files and directories (off only for throwaway data). @default true */
  fsync?: boolean;
  /** @default the real file system */
  fs?: WriteFs;
  /** Writes in flight at once within one flush. @default 64 */
  parallel?: number;
  /** Fsyncs one directory. @default fsyncDir (tests watch which directories are synced) */
  syncDir?: (dir: string) => Promise<void>;
}

/** Batches writes and makes each batch durable with one flush. */
export class GroupCommit {
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #fsync: boolean;
  #fs: WriteFs;
  #parallel: number;
  #syncDir: (dir: string) => Promise<void>;
  /** Batches flushed and writes acknowledged, for tests and the bench. */
  readonly counters = { batches: 0, writes: 0 };

  constructor(options: GroupCommitOptions = {}) {
    this.#fsync = options.fsync ?? true;
    this.#fs = options.fs ?? NODE_FS;
    this.#parallel = options.parallel ?? 64;
    this.#syncDir = options.syncDir ?? fsyncDir;
  }

  /**
   * Queues files and appends as one unit; resolves with one outcome per file once its batch is
   * durable. @throws the write's error (`E_DISK_FULL` naming the file, …); nothing of a failed
   * file write is visible.
   */
  write(files: readonly FileWrite[], appends: readonly Append[] = []): Promise<WriteOutcome[]> {
    return new Promise<WriteOutcome[]>((resolve, reject) => {
      // Bytes from the start: the text does not stay on the JS heap (copied by every young-generation
      // collection) while the batch waits for its flush.
      const bytes = files.map((file) => ({ ...file, data: typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data }));
      this.#queue.push({ files: bytes, appends: [...appends], resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once everything queued so far is durable (or failed). */
  async drain(): Promise<void> {
    while (this.#flushing !== null || this.#queue.length > 0) {
      this.#kick();
      await this.#flushing;
    }
  }

  #kick(): void {
    if (this.#flushing !== null) return;
    // Writers that arrive in the same turn of the event loop join this batch.
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        while (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          await this.#flush(batch);
        }
      })
      .finally(() => {
        this.#flushing = null;
        if (this.#queue.length > 0) this.#kick();
      });
  }

  async #flush(batch: Pending[]): Promise<void> {
    const fs = this.#fs;
    const failed = new Map<Pending, unknown>();
    const outcomes = new Map<Pending, WriteOutcome[]>(batch.map((pending) => [pending, pending.files.map((): WriteOutcome => 'written')]));
    const dirs = new Set<string>();
    // Parents of directories made in this batch, per write that needed them (so a failed fsync fails it).
    const madeParents = new Map<Pending, string[]>();
    const needParents = (pending: Pending, parents: readonly string[]): void => {
      if (parents.length === 0) return;
      madeParents.set(pending, [...(madeParents.get(pending) ?? []), ...parents]);
    };
    type Job = { pending: Pending; index: number; file: Pending['files'][number]; temp: string };
    const jobs: Job[] = batch.flatMap((pending) => pending.files.map((file, index) => ({ pending, index, file, temp: tempPathFor(file.path) })));

    // 1. Temp files written and fsynced, all at once.
    await eachLimit(jobs, this.#parallel, async (job) => {
      try {
        const created = await writeTemp(fs, job.temp, job.file.data, this.#fsync, job.file.newDir === true);
        needParents(job.pending, parentsOfCreated(created, dirname(job.temp)));
      } catch (error) {
        await fs.unlink(job.temp).catch(() => undefined);
        failed.set(job.pending, diskFullError(error, job.file.path));
      }
    });
    // 2. Into place, in queue order (a later write of the same path wins, as it would unbatched).
    for (const job of jobs) {
      if (failed.has(job.pending)) {
        await fs.unlink(job.temp).catch(() => undefined);
        continue;
      }
      try {
        if (job.file.kind === 'replace') {
          await fs.rename(job.temp, job.file.path);
        } else {
          try {
            await fs.link(job.temp, job.file.path);
          } catch (error) {
            if (errnoCode(error) !== 'EEXIST') throw error;
            (outcomes.get(job.pending) as WriteOutcome[])[job.index] = 'exists';
          }
          await fs.unlink(job.temp).catch(() => undefined);
        }
        dirs.add(dirname(job.file.path));
      } catch (error) {
        await fs.unlink(job.temp).catch(() => undefined);
        failed.set(job.pending, diskFullError(error, job.file.path));
      }
    }
    // 3. Appends: one write and one fsync per file for the whole batch.
    const byPath = new Map<string, Pending[]>();
    const texts = new Map<string, string>();
    for (const pending of batch) {
      if (failed.has(pending)) continue;
      const written = outcomes.get(pending) as WriteOutcome[];
      const appends = [...pending.appends, ...pending.files.flatMap((file, index) => (written[index] === 'written' ? (file.rows ?? []) : []))];
      for (const append of appends) {
        const owners = byPath.get(append.path) ?? [];
        if (!owners.includes(pending)) owners.push(pending);
        byPath.set(append.path, owners);
        texts.set(append.path, (texts.get(append.path) ?? '') + append.lines);
      }
    }
    await Promise.all(
      [...byPath].map(async ([path, owners]) => {
        const text = texts.get(path) ?? '';
        try {
          const created = await appendWhole(fs, path, text, this.#fsync);
          dirs.add(dirname(path));
          for (const owner of owners) needParents(owner, parentsOfCreated(created, dirname(path)));
        } catch (error) {
          for (const owner of owners) failed.set(owner, diskFullError(error, path));
        }
      }),
    );
    // 4. Each directory touched, once: the renames and links survive a power loss; and the parent
    // of each directory made, so the new directory's own entry does too.
    for (const [pending, parents] of madeParents) if (!failed.has(pending)) for (const parent of parents) dirs.add(parent);
    if (this.#fsync) {
      const dirErrors = new Map<string, unknown>();
      await eachLimit([...dirs], this.#parallel, async (dir) => {
        try {
          await this.#syncDir(dir);
        } catch (error) {
          dirErrors.set(dir, error);
        }
      });
      if (dirErrors.size > 0) {
        for (const pending of batch) {
          const error = [...pending.files.map((file) => dirname(file.path)), ...pending.appends.map((append) => dirname(append.path)), ...(madeParents.get(pending) ?? [])]
            .map((dir) => dirErrors.get(dir))
            .find((found) => found !== undefined);
          if (error !== undefined && !failed.has(pending)) failed.set(pending, error);
        }
      }
    }
    this.counters.batches += 1;
    for (const pending of batch) {
      const error = failed.get(pending);
      if (error === undefined) {
        this.counters.writes += 1;
        pending.resolve(outcomes.get(pending) as WriteOutcome[]);
      } else pending.reject(error);
    }
  }
}

/**
 * The directories whose entries a flush must fsync because `created` (the first directory a
 * recursive mkdir made, undefined when it made none) and those under it down to `dir` are new: the
 * parent of each. Without them a new listing's `drafts/<id>/` could vanish in a power loss with
 * the draft inside it, although its own directory was fsynced.
 */
export function parentsOfCreated(created: string | undefined, dir: string): string[] {
  if (created === undefined) return [];
  const parents: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    parents.push(dirname(at));
    if (at === created || dirname(at) === at) return parents;
  }
}

/** Writes and fsyncs the temp file; returns the first directory it had to create, if any. */
async function writeTemp(fs: WriteFs, temp: string, data: Uint8Array, fsync: boolean, newDir: boolean): Promise<string | undefined> {
  let created: string | undefined;
  if (newDir) created = await fs.mkdir(dirname(temp), { recursive: true });
  try {
    await fs.writeNew(temp, data, fsync);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    created = await fs.mkdir(dirname(temp), { recursive: true });
    await fs.writeNew(temp, data, fsync);
  }
  return created;
}

/**
 * Appends `text` (whole lines) with one write on an O_APPEND descriptor, after a newline if the
 * file's last line was torn by a crash, then fsyncs. A short write is an error, never finished by a
 * second write (the torn line is skipped by readers and fenced off by the next append).
 */
export async function appendWhole(fs: WriteFs, path: string, text: string, fsync: boolean): Promise<string | undefined> {
  let handle;
  let created: string | undefined;
  try {
    handle = await fs.open(path, 'a+', 0o644);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    created = await fs.mkdir(dirname(path), { recursive: true });
    handle = await fs.open(path, 'a+', 0o644);
  }
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const bytes = Buffer.from(prefix + text, 'utf8');
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
    if (fsync) await handle.sync();
    if (bytesWritten !== bytes.length) {
      throw new TransientError('E_AUDIT_WRITE', `Append to ${path} was cut short (${bytesWritten} of ${bytes.length} bytes)`, { path });
    }
  } finally {
    await handle.close();
  }
  return created;
}

async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Reads a whole file opened read-only (used by index loads). */
export async function readWhole(path: string): Promise<Buffer | null> {
  try {
    const handle = await open(path, 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}
