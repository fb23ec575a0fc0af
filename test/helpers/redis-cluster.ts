/**
 * A real three-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` processes
 * on free ports (each port P needs P + 10000 free for the cluster bus), joined by
 * `redis-cli --cluster create … --cluster-replicas 0`, ready once every node reports
 * `cluster_state:ok`. Everything lives in one temp dir, removed on `stop()` or process exit.
 *
 * `tryStartTestCluster()` starts one or says (and prints) why it cannot, so suites skip with a reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from './redis.js';

/** A running three-master cluster. */
export interface TestCluster {
  /** `redis://127.0.0.1:<first port>`: a seed node, as a user would put in REDIS_URL. */
  readonly url: string;
  readonly ports: readonly number[];
  /** `127.0.0.1:<port>` of every master, as REDIS_CLUSTER_NODES takes them. */
  readonly nodes: readonly string[];
  /** Stops every node and removes the temp dir; idempotent. */
  stop(): Promise<void>;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port P in 20000–44999 with P and its cluster bus port P + 10000 free a moment ago, not in `taken`. */
async function freeClusterPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (taken.has(port) || taken.has(port + 10_000) || taken.has(port - 10_000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair (P, P + 10000) found for a cluster node');
}

function hasCommand(command: string): boolean {
  const result = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** Runs redis-cli with `args`; resolves stdout, rejects with stderr/stdout on a non-zero exit. */
function redisCli(args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${(err || out).trim().slice(-500)}`));
    });
  });
}

/** Starts a three-master cluster on free ports. @throws Error naming the step that failed. */
export async function startTestCluster(options: { startTimeoutMs?: number } = {}): Promise<TestCluster> {
  installExitHook();
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'threatdraft-cluster-'));
  dirs.add(dir);
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    dirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    for (let index = 0; index < 3; index += 1) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '5000',
          '--save', '',
          '--appendonly', 'no',
          '--dir', dir,
          '--daemonize', 'no',
          '--protected-mode', 'no',
          '--logfile', join(dir, `redis-${port}.log`),
        ],
        { stdio: 'ignore' },
      );
      running.add(child);
      child.once('exit', () => running.delete(child));
      children.push(child);
    }
    const deadline = Date.now() + startTimeoutMs;
    for (const [index, port] of ports.entries()) {
      for (;;) {
        const child = children[index]!;
        if (child.exitCode !== null) {
          let log = '';
          try {
            log = readFileSync(join(dir, `redis-${port}.log`), 'utf8').trim().split('\n').slice(-3).join(' | ');
          } catch {
            // no log written
          }
          throw new Error(`redis-server --cluster-enabled yes on port ${port} exited ${child.exitCode}${log === '' ? '' : `: ${log}`}`);
        }
        if (await pingRedis(port)) break;
        if (Date.now() > deadline) throw new Error(`cluster node on port ${port} did not answer PING within ${startTimeoutMs} ms`);
        await sleep(20);
      }
    }
    await redisCli(['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      for (;;) {
        const info = await redisCli(['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'], 5000).catch(() => '');
        if (/cluster_state:ok/.test(info)) break;
        if (Date.now() > deadline) throw new Error(`cluster node on port ${port} did not reach cluster_state:ok within ${startTimeoutMs} ms`);
        await sleep(50);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    ports,
    nodes: ports.map((port) => `127.0.0.1:${port}`),
    stop,
  };
}

/**
 * Starts a test cluster, or says why this machine cannot run one (no redis-server or redis-cli, or
 * a failed start) and prints that reason, so a suite can `describe.skipIf` it without going silent.
 */
export async function tryStartTestCluster(suite: string): Promise<{ cluster: TestCluster; reason: null } | { cluster: null; reason: string }> {
  let reason: string;
  const missing = ['redis-server', 'redis-cli'].find((command) => !hasCommand(command));
  if (missing !== undefined) reason = `${missing} is not installed (apt-get install redis-server)`;
  else {
    // Twice: a port found free can be taken by another test process before redis binds it.
    reason = '';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      try {
        return { cluster: await startTestCluster(), reason: null };
      } catch (error) {
        reason = `a three-master cluster could not start: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  console.warn(`SKIPPED ${suite}: ${reason}`);
  return { cluster: null, reason };
}
