/**
 * Shared setup for queue tests: a fresh namespace on a real Redis, a store under it, cleanup;
 * `threatdraft worker` as a real process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { prefixesFor } from '../../queues/names.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { deleteKeysWithPrefix } from '../helpers/redis.js';

/** A fresh namespace, its Redis store and a cleanup that deletes every key under it. */
export function freshNamespace(url: string): { namespace: string; store: RedisStore; cleanup: () => Promise<void> } {
  const namespace = `tdtest-${randomUUID()}`;
  const store = new RedisStore({ url, prefix: prefixesFor(namespace).store, maxRetriesPerRequest: 40 });
  return {
    namespace,
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysWithPrefix(url, `${namespace}:`);
    },
  };
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs the CLI from source, so process tests do not depend on a fresh build. */
export const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Spawns `threatdraft worker` as a real process, its stderr captured; does not wait for it. */
export function spawnWorkerProcess(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, 'worker', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

/** Starts `threatdraft worker` as a real process and resolves once it says it is ready. */
export async function startWorkerProcess(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; stderr: () => string }> {
  const worker = spawnWorkerProcess(args, env);
  await waitFor(() => worker.stderr().includes('ready') || worker.child.exitCode !== null, 20_000, 'the worker to be ready');
  if (worker.child.exitCode !== null) throw new Error(`worker exited ${worker.child.exitCode}: ${worker.stderr()}`);
  return worker;
}

/** Resolves when the process has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
