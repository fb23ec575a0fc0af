/**
 * File-system primitives for the file store: atomic replace (temp + fsync + rename), a
 * cross-process lock file (created whole with `link`, so it is never empty) with a heartbeat and
 * stale-lock recovery, and temp-file sweeping. A full disk is an `E_DISK_FULL` error naming the file.
 */
import { randomBytes } from 'node:crypto';
import { close as closeFd, fsync as fsyncFd, open as openFd, readFile as readFileCallback, write as writeFd } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConfigError, TransientError } from '../errors.js';
import { processAlive } from '../process-alive.js';

/** Suffix of every temp file; readers skip names starting with `.` and ending with it. */
export const TEMP_SUFFIX = '.tmp';

/** True for names of temp files written by {@link writeFileAtomic}. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/** Node's errno code of a thrown value, if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * The file operations that write go through: node:fs/promises by default; tests stand in a full
 * disk. Reads use node:fs directly.
 */
export interface WriteFs {
  open: typeof open;
  link: typeof link;
  rename: typeof rename;
  unlink: typeof unlink;
  mkdir: typeof mkdir;
  utimes: typeof utimes;
  /**
   * Creates `path` (failing with EEXIST when it exists), writes all of `data`, fsyncs it when
   * asked, and closes it however that ends: the group commit's temp files, one per record written.
   */
  writeNew(path: string, data: Uint8Array, fsync: boolean): Promise<void>;
}

const writeDescriptor = (fd: number, data: Uint8Array, offset: number): Promise<number> =>
  new Promise((resolve, reject) => writeFd(fd, data, offset, data.byteLength - offset, null, (error, written) => (error === null ? resolve(written) : reject(error))));

/**
 * {@link WriteFs.writeNew} on plain descriptors with node:fs callbacks: a temp file is written for
 * every record, and a FileHandle costs about twice the CPU per call.
 */
async function writeNew(path: string, data: Uint8Array, fsync: boolean): Promise<void> {
  const fd = await openDescriptor(path, 'wx', 0o644);
  try {
    for (let offset = 0; offset < data.byteLength; ) offset += await writeDescriptor(fd, data, offset);
    if (fsync) await syncDescriptor(fd);
  } finally {
    await closeDescriptor(fd);
  }
}

/** The real file system. */
export const NODE_FS: WriteFs = { open, link, rename, unlink, mkdir, utimes, writeNew };

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/**
 * A write that ran out of space (ENOSPC, EDQUOT) as an `E_DISK_FULL` error naming the file (Node's
 * own message for a failed write names none); any other error as it is. Transient: freeing space
 * lets a retry succeed.
 */
export function diskFullError(error: unknown, path: string): unknown {
  const code = errnoCode(error);
  if (code === undefined || !DISK_FULL.has(code)) return error;
  return new TransientError('E_DISK_FULL', `No space left on the device while writing ${path} (${code}); free some space and try again`, { path, errno: code }, { cause: error });
}

/*
 * The store's hottest calls (a read per record, a directory fsync per write) use node:fs callbacks
 * on plain descriptors: about half the CPU of a FileHandle from node:fs/promises per call.
 */
const readText = (path: string): Promise<string> =>
  new Promise((resolve, reject) => readFileCallback(path, 'utf8', (error, text) => (error === null ? resolve(text) : reject(error))));
const openDescriptor = (path: string, flags: string, mode = 0o666): Promise<number> =>
  new Promise((resolve, reject) => openFd(path, flags, mode, (error, fd) => (error === null ? resolve(fd) : reject(error))));
const syncDescriptor = (fd: number): Promise<void> => new Promise((resolve, reject) => fsyncFd(fd, (error) => (error === null ? resolve() : reject(error))));
const closeDescriptor = (fd: number): Promise<void> => new Promise((resolve, reject) => closeFd(fd, (error) => (error === null ? resolve() : reject(error))));

/** Fsyncs a directory so a rename or create inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await openDescriptor(dir, 'r');
  try {
    await syncDescriptor(fd);
  } finally {
    await closeDescriptor(fd);
  }
}

/**
 * Replaces `path` with `data` so readers see the old or the new file, never half of one:
 * writes a temp file in the same directory, fsyncs it, renames it over `path`, fsyncs the directory.
 */
export async function writeFileAtomic(path: string, data: string, options: { fsync: boolean; fs?: WriteFs }): Promise<void> {
  const fs = options.fs ?? NODE_FS;
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let handle;
  try {
    try {
      handle = await fs.open(temp, 'wx', 0o644);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      await fs.mkdir(dir, { recursive: true });
      handle = await fs.open(temp, 'wx', 0o644);
    }
  } catch (error) {
    throw diskFullError(error, path);
  }
  try {
    try {
      await handle.writeFile(data, 'utf8');
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw diskFullError(error, path);
  }
  if (options.fsync) await fsyncDir(dir);
}

/** A temp file beside `path`, named so scans skip it and sweep it once old. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/** Reads a UTF-8 file, or null when it does not exist. */
export async function readFileOrNull(path: string): Promise<string | null> {
  try {
    return await readText(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Removes a temp file if it is older than `maxAgeMs` (a crashed writer's leftover); best effort. */
export async function sweepTempFile(path: string, maxAgeMs: number, nowMs: number): Promise<void> {
  try {
    const info = await stat(path);
    if (nowMs - info.mtimeMs > maxAgeMs) await unlink(path);
  } catch {
    // Gone already, or another process is sweeping it: either way nothing to do.
  }
}

/** Options for {@link FileLocks}. */
export interface LockOptions {
  /**
   * A lock not refreshed for this long (its holder refreshes it every third of this while it
   * works), or whose holder on this host is gone, is broken. @default 30000
   */
  staleMs?: number;
  /**
   * How long a caller waits for a lock before giving up. Must be longer than `staleMs`, so a
   * waiter outlasts a dead holder's lock and breaks it instead of giving up first. @default 2 × staleMs
   */
  timeoutMs?: number;
  /** @default the real file system */
  fs?: WriteFs;
}

/** What a lock file holds: who holds it and since when. */
interface LockOwner {
  pid: number;
  host: string;
  token: string;
  /** When it was taken (ms since the epoch). */
  at: number;
}

const HOST = hostname();

function parseOwner(text: string | null): LockOwner | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string' && typeof value.at === 'number') {
      return { pid: value.pid, host: value.host, token: value.token, at: value.at };
    }
  } catch {
    // Only an older version could leave a lock without its owner: judged by age alone.
  }
  return null;
}

function ownerAlive(owner: LockOwner): boolean {
  return owner.host !== HOST || owner.pid === process.pid || processAlive(owner.pid);
}

function describeOwner(owner: LockOwner | null): string {
  return owner === null ? 'an unknown holder' : `pid ${owner.pid} on ${owner.host} since ${new Date(owner.at).toISOString()}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Per-path mutual exclusion across processes and, to avoid polling between callers of one
 * process, a promise chain per path in front of it. A lock file is created whole: its owner
 * (pid, host, token, time) is written to a temp file that is then hard-linked into place, which
 * fails if the lock exists, so a crash or a full disk never leaves an empty lock behind. While
 * the holder works it refreshes the lock's mtime, so only a lock whose holder stopped (crashed,
 * hung, or gone on this host) goes stale; waiters wait longer than the staleness limit.
 */
export class FileLocks {
  #local = new Map<string, Promise<unknown>>();
  #staleMs: number;
  #timeoutMs: number;
  #fs: WriteFs;

  /** @throws ConfigError when `timeoutMs` is not longer than `staleMs`. */
  constructor(options: LockOptions = {}) {
    this.#staleMs = options.staleMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 2 * this.#staleMs;
    this.#fs = options.fs ?? NODE_FS;
    if (!(this.#timeoutMs > this.#staleMs)) {
      throw new ConfigError(
        'E_CONFIG',
        `Expected the lock wait (\`timeoutMs\`, ${this.#timeoutMs} ms) to be longer than the staleness limit (\`staleMs\`, ${this.#staleMs} ms), so waiters outlast a dead holder's lock`,
      );
    }
  }

  /** Runs `fn` while holding the lock `lockPath`; the lock is released however `fn` ends. */
  async with<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#local.get(lockPath) ?? Promise.resolve();
    const run = previous.then(
      () => this.#withFileLock(lockPath, fn),
      () => this.#withFileLock(lockPath, fn),
    );
    const tail = run.catch(() => undefined);
    this.#local.set(lockPath, tail);
    try {
      return await run;
    } finally {
      if (this.#local.get(lockPath) === tail) this.#local.delete(lockPath);
    }
  }

  async #withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
    const token = await this.#acquire(lockPath);
    // The heartbeat: a lock refreshed a few times per staleness period is never judged stale.
    const heartbeat = setInterval(() => void this.#refresh(lockPath, token), Math.max(1, Math.floor(this.#staleMs / 3)));
    heartbeat.unref();
    try {
      return await fn();
    } finally {
      clearInterval(heartbeat);
      await this.#release(lockPath, token);
    }
  }

  async #acquire(lockPath: string): Promise<string> {
    const fs = this.#fs;
    const token = randomBytes(8).toString('hex');
    const owner: LockOwner = { pid: process.pid, host: HOST, token, at: Date.now() };
    const temp = tempPathFor(lockPath);
    try {
      try {
        await writeWhole(fs, temp, JSON.stringify(owner));
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        await fs.mkdir(dirname(lockPath), { recursive: true });
        await writeWhole(fs, temp, JSON.stringify(owner));
      }
    } catch (error) {
      await fs.unlink(temp).catch(() => undefined);
      throw diskFullError(error, lockPath);
    }
    const started = Date.now();
    let waitMs = 2;
    try {
      for (;;) {
        try {
          await fs.link(temp, lockPath);
          return token;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw diskFullError(error, lockPath);
        }
        if (await this.#breakIfStale(lockPath)) continue;
        if (Date.now() - started > this.#timeoutMs) {
          const holder = describeOwner(parseOwner(await readFileOrNull(lockPath)));
          throw new TransientError('E_LOCK_TIMEOUT', `Timed out after ${this.#timeoutMs} ms waiting for lock ${lockPath}, held by ${holder}`, { lockPath });
        }
        await sleep(waitMs + Math.random() * waitMs);
        waitMs = Math.min(waitMs * 2, 50);
      }
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /** Breaks a lock that was not refreshed within staleMs, or whose holder on this host is gone; true when it did. */
  async #breakIfStale(lockPath: string): Promise<boolean> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(lockPath)).mtimeMs;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return true;
      throw error;
    }
    const seen = parseOwner(await readFileOrNull(lockPath));
    const old = Date.now() - mtimeMs > this.#staleMs;
    const dead = seen !== null && !ownerAlive(seen);
    if (!old && !dead) return false;
    // Move the lock aside atomically, then check it is the one judged stale; if another process
    // replaced it meanwhile, put that fresh lock back (link fails if yet another one exists).
    const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await this.#fs.rename(lockPath, aside);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return true;
      throw error;
    }
    const moved = parseOwner(await readFileOrNull(aside));
    const same = seen === null ? moved === null : moved !== null && moved.token === seen.token;
    if (!same) await this.#fs.link(aside, lockPath).catch(() => undefined);
    await this.#fs.unlink(aside).catch(() => undefined);
    return true;
  }

  /** Marks our lock as alive (its mtime is what staleness is judged by); best effort. */
  async #refresh(lockPath: string, token: string): Promise<void> {
    try {
      if (parseOwner(await readFileOrNull(lockPath))?.token !== token) return;
      const now = new Date();
      await this.#fs.utimes(lockPath, now, now);
    } catch {
      // A missed beat is harmless: the next one, or the release, follows.
    }
  }

  async #release(lockPath: string, token: string): Promise<void> {
    const owner = parseOwner(await readFileOrNull(lockPath));
    // Only remove our own lock: if it was broken as stale, the current one belongs to someone else.
    if (owner?.token === token) await this.#fs.unlink(lockPath).catch(() => undefined);
  }
}

/** Writes a new file with `text` (fails if it exists), closing it however the write ends. */
async function writeWhole(fs: WriteFs, path: string, text: string): Promise<void> {
  const handle = await fs.open(path, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}
