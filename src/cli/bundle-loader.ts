/**
 * Runs the CLI bundle (`dist/cli/threatdraft.cjs`, made by build/bundle-cli.ts) with a V8 code
 * cache beside it. Node 20 has no compile cache of its own (`module.enableCompileCache` came in
 * Node 22), and a command spends much of its start-up compiling the bundle and then, function by
 * function, the code it runs. A cache written at the end of a command holds the bytecode of every
 * function that command compiled, so the next run of that command skips both.
 *
 * - One cache per command (`threatdraft.cjs.<command>.v8cache`): a `run` does not get the cache a
 *   `--help` left behind, which holds little of what `run` needs.
 * - A cache starts with the SHA-1 of the bundle it was made from and is used only for those exact
 *   bytes (V8's own check is little more than the source length); V8 itself also refuses a cache
 *   from another V8 version or other flags. A cache that is missing or refused is written again
 *   when the command ends, through a temporary file and a rename, so a reader never sees half of one.
 * - Caches are written only beside the bundle, where the code itself lives: nobody who could not
 *   already change the code can change the bytecode run in its place. A folder that is not
 *   writable (a read-only install) simply gets no cache. `THREATDRAFT_CODE_CACHE=0` turns caching off.
 *
 * Pure Node built-ins only: this module is loaded before the bundle, on every command.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A bundle loaded and evaluated. */
export interface LoadedBundle {
  /** What the bundle exports (`module.exports`). */
  readonly exports: Record<string, unknown>;
  /** Whether V8 ran the bundle from a cache it accepted. */
  readonly cached: boolean;
  /**
   * Writes this command's cache when it had none V8 accepted (nothing otherwise, with caching off,
   * or where the folder cannot be written). Call it once the command's work is done.
   */
  saveCache(): void;
}

/** Options of {@link loadBundle}. */
export interface LoadBundleOptions {
  /** Use and write a code cache. @default true */
  cache?: boolean;
  /** The command the cache is for; anything but a plain lower-case word shares the cache `default`. */
  command?: string | undefined;
}

const DIGEST_BYTES = 20;

/** The cache file of `command` beside `file`. */
export function cachePathFor(file: string, command: string | undefined): string {
  const name = command !== undefined && /^[a-z][a-z-]{0,31}$/.test(command) ? command : 'default';
  return `${file}.${name}.v8cache`;
}

/**
 * Evaluates the CommonJS bundle at `file` (its `require` resolves from the bundle's folder) and
 * returns its exports, compiled from this command's code cache when there is a valid one.
 */
export function loadBundle(file: string, options: LoadBundleOptions = {}): LoadedBundle {
  const useCache = options.cache ?? true;
  const source = readFileSync(file);
  const digest = createHash('sha1').update(source).digest();
  const cachePath = cachePathFor(file, options.command);
  const cachedData = useCache ? readCache(cachePath, digest) : undefined;
  // The wrapper Node's own loader puts around a CommonJS module, on the bundle's first line (its line numbers stay right).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  let pending = useCache && !cached;
  return {
    exports: module.exports,
    cached,
    saveCache() {
      if (!pending) return;
      pending = false;
      writeCache(cachePath, digest, script.createCachedData());
    },
  };
}

/** The V8 data of the cache at `path` when it was made from the bundle with `digest`. */
function readCache(path: string, digest: Buffer): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  if (bytes.length <= DIGEST_BYTES || !bytes.subarray(0, DIGEST_BYTES).equals(digest)) return undefined;
  return bytes.subarray(DIGEST_BYTES);
}

/** Writes a cache whole or not at all; a folder that cannot be written is no error (the cache is an optimisation). */
function writeCache(path: string, digest: Buffer, data: Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([digest, data]));
    renameSync(temporary, path);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
  }
}
