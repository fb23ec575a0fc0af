/**
 * Redis for tests: `redisUrlForTests()` gives a URL to a Redis that answers (REDIS_URL, else the
 * local 127.0.0.1:6379, else a private `redis-server` started once per test process), and
 * `startPrivateRedis()` starts a private server in a temp dir that can be crashed and restarted
 * on the same data (durability tests). Every server started here is killed when the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** Options for {@link startPrivateRedis}. */
export interface PrivateRedisOptions {
  /** Run with AOF on. @default false */
  appendonly?: boolean;
  /** AOF fsync policy; `always` makes a SIGKILL lose nothing acknowledged. @default 'always' */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** How long to wait for the server to answer PING. @default 10000 */
  startTimeoutMs?: number;
}

/** A private redis-server bound to 127.0.0.1 with its data in `dir`. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, so Redis flushes the AOF) and removes its directory; idempotent. */
  stop(): Promise<void>;
  /** Stops the server gracefully if running and starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Kills the server with SIGKILL (a crash) and keeps its directory, for `restart()`. */
  crash(): Promise<void>;
}

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Answers true when something at host:port replies +PONG to an inline PING. */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a private redis-server on a free port in a fresh temp directory. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'threatdraft-redis-'));
  dirs.add(dir);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let port = 0;
  let child: ChildProcess | null = null;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', options.appendonly === true ? 'yes' : 'no',
      '--appendfsync', options.appendfsync ?? 'always',
      '--daemonize', 'no',
      '--protected-mode', 'no',
      '--logfile', join(dir, 'redis.log'),
    ];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    running.add(started);
    started.once('exit', () => running.delete(started));
    let spawnError: Error | null = null;
    started.once('error', (error) => {
      spawnError = error;
    });
    child = started;
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (spawnError !== null) throw new Error(`Could not start redis-server: ${(spawnError as Error).message}`);
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode} on port ${port} (log: ${dir}/redis.log)`);
      if (await pingRedis(port)) return;
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${startTimeoutMs} ms`);
      }
      await sleep(20);
    }
  };

  // A port found free can be taken before redis binds it: try a few.
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) {
        dirs.delete(dir);
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = null;
    if (current === null) return;
    const exited = waitForExit(current);
    current.kill(signal);
    await exited;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('SIGTERM');
      dirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await halt('SIGTERM');
      await launch();
    },
    async crash() {
      await halt('SIGKILL');
    },
  };
}

let shared: Promise<string> | null = null;

/**
 * A Redis URL for tests: REDIS_URL when set, else 127.0.0.1:6379 if it answers PING, else a
 * private redis-server started once for this process (stopped on exit).
 */
export function redisUrlForTests(): Promise<string> {
  shared ??= (async () => {
    const fromEnv = process.env['REDIS_URL'];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv;
    if (await pingRedis(6379)) return 'redis://127.0.0.1:6379';
    const server = await startPrivateRedis();
    return server.url;
  })();
  return shared;
}

/** Deletes every key under `prefix` (SCAN, never KEYS); returns how many were deleted. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`Refusing to delete keys under the short prefix ${JSON.stringify(prefix)}`);
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    let deleted = 0;
    let cursor = '0';
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
