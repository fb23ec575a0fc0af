/**
 * File-system primitives for the file store: atomic replace (temp + fsync + rename), a
 * cross-process lock file (`open(path, 'wx')`) with stale-lock recovery, and temp-file sweeping.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { TransientError } from '../errors.js';

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

/** Fsyncs a directory so a rename or create inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so readers see the old or the new file, never half of one:
 * writes a temp file in the same directory, fsyncs it, renames it over `path`, fsyncs the directory.
 */
export async function writeFileAtomic(path: string, data: string, options: { fsync: boolean }): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  let handle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    handle = await open(temp, 'wx', 0o644);
  }
  try {
    try {
      await handle.writeFile(data, 'utf8');
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (options.fsync) await fsyncDir(dir);
}

/** Reads a UTF-8 file, or null when it does not exist. */
export async function readFileOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
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
  /** A lock older than this whose owner cannot be shown alive is broken. @default 30000 */
  staleMs?: number;
  /** Give up acquiring after this long. @default 15000 */
  timeoutMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
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
    // A lock file cut short by a crash between create and write: treated as ownerless.
  }
  return null;
}

function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== HOST) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Per-path mutual exclusion across processes (lock file created with `open(path, 'wx')`) and,
 * to avoid polling between callers of one process, a promise chain per path in front of it.
 */
export class FileLocks {
  #local = new Map<string, Promise<unknown>>();
  #staleMs: number;
  #timeoutMs: number;

  constructor(options: LockOptions = {}) {
    this.#staleMs = options.staleMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
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
    try {
      return await fn();
    } finally {
      await this.#release(lockPath, token);
    }
  }

  async #acquire(lockPath: string): Promise<string> {
    const token = randomBytes(8).toString('hex');
    const owner: LockOwner = { pid: process.pid, host: HOST, token, at: Date.now() };
    const started = Date.now();
    let waitMs = 2;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', 0o644);
        try {
          await handle.writeFile(JSON.stringify({ ...owner, at: Date.now() }), 'utf8');
        } finally {
          await handle.close();
        }
        return token;
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT') {
          await mkdir(dirname(lockPath), { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw error;
      }
      if (await this.#breakIfStale(lockPath)) continue;
      if (Date.now() - started > this.#timeoutMs) {
        throw new TransientError('E_LOCK_TIMEOUT', `Timed out after ${this.#timeoutMs} ms waiting for lock ${lockPath}`, {
          lockPath,
        });
      }
      await sleep(waitMs + Math.random() * waitMs);
      waitMs = Math.min(waitMs * 2, 50);
    }
  }

  /** Breaks a lock whose owner died or that is older than staleMs; true when it did. */
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
    // An unreadable owner is only judged by age: its creator may be between create and write.
    const dead = seen !== null && !ownerAlive(seen);
    if (!old && !dead) return false;
    // Move the lock aside atomically, then check it is the one judged stale; if another process
    // replaced it meanwhile, put that fresh lock back (link fails if yet another one exists).
    const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return true;
      throw error;
    }
    const moved = parseOwner(await readFileOrNull(aside));
    const same = seen === null ? moved === null : moved !== null && moved.token === seen.token;
    if (!same) await link(aside, lockPath).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return true;
  }

  async #release(lockPath: string, token: string): Promise<void> {
    const owner = parseOwner(await readFileOrNull(lockPath));
    // Only remove our own lock: if it was broken as stale, the current one belongs to someone else.
    if (owner?.token === token) await unlink(lockPath).catch(() => undefined);
  }
}
