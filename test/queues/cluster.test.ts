/**
 * The BullMQ executor and workers on a real three-master Redis Cluster started for this file:
 * a pipeline through the queues with two workers (as on two machines), then the CLI as a user runs
 * it — `threatdraft worker` as a separate process and `run --no-worker` pointed at one seed node
 * (REDIS_URL), crawling and assessing through the cluster, and `status` counting it.
 * Skipped, with the reason printed, only where redis-server cannot start a cluster.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { BullExecutor } from '../../queues/executor.js';
import { bullConnection, closeBullConnection, prefixesFor } from '../../queues/names.js';
import { startWorkers, type WorkerHandle } from '../../queues/worker.js';
import { main } from '../../src/cli/main.js';
import { startDemoServer } from '../../src/crawl/demo-server.js';
import { createQueueDashboard } from '../../src/review/bull-board.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { resolveRedisTarget } from '../../src/store/redis-client.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { isClusterTarget, type RedisTarget } from '../../src/store/redis-target.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/redis.js';
import { tryStartTestCluster } from '../helpers/redis-cluster.js';
import { ScriptedAssessor, agentListing, manyListings } from '../pipeline/helpers.js';
import { exited, startWorkerProcess } from './helpers.js';

const started = await tryStartTestCluster('BullMQ queues on a Redis Cluster');
const seedUrl = started.cluster?.url ?? 'redis://127.0.0.1:1';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});
afterAll(async () => {
  await started.cluster?.stop();
});

/** Every key matching `pattern` on every master, with the port of the master holding it and its slot. */
async function keysByMaster(pattern: string): Promise<Array<{ port: number; key: string; slot: number }>> {
  const client = new Cluster([{ host: '127.0.0.1', port: started.cluster!.ports[0]! }]);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
    });
    const found: Array<{ port: number; key: string; slot: number }> = [];
    for (const node of client.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) found.push({ port: node.options.port ?? 0, key, slot: Number(await node.cluster('KEYSLOT', key)) });
      } while (cursor !== '0');
    }
    return found;
  } finally {
    client.disconnect();
  }
}

/** Kills a process still running (a test that failed before stopping it) and waits for it. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}

/** The URL of a node that does not own `key`'s slot, so a client that is not cluster-aware would get MOVED. */
async function seedNotOwning(key: string): Promise<string> {
  for (const port of started.cluster!.ports) {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
    try {
      await client.exists(key);
    } catch (error) {
      if (String(error).includes('MOVED')) return `redis://127.0.0.1:${port}`;
      throw error;
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`every node answered for ${key}`);
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const io = captureIo({ env });
  const code = await main(args, io);
  const lines = io.out().trim().split('\n').filter((line) => line !== '');
  return { code, lines, last: lines.length > 0 ? (JSON.parse(lines.at(-1) as string) as Record<string, unknown>) : {}, err: io.err() };
}

describe.skipIf(started.cluster === null)('BullMQ on a three-master Redis Cluster', () => {
  it('runs a pipeline through the queues with two workers; an unchanged rerun enqueues nothing; a changed listing alone is redone', async () => {
    const target: RedisTarget = await resolveRedisTarget(seedUrl);
    expect(isClusterTarget(target)).toBe(true);
    const namespace = `tdcluster-${randomUUID()}`;
    const prefixes = prefixesFor(namespace, target);
    expect(prefixes).toEqual({ store: `{${namespace}}:`, queue: `{${namespace}:q}` });
    const store = new RedisStore({ url: target, prefix: prefixes.store, maxRetriesPerRequest: 40 });
    closers.push(() => store.close());
    const policy = { attempts: 3, backoffMs: 10, maxDelayMs: 50 };
    const assessors = [new ScriptedAssessor({ delayMs: 2 }), new ScriptedAssessor({ delayMs: 2 })];
    const profile = profileOf(assessors[0]!);
    const handles: WorkerHandle[] = [];
    for (const assessor of assessors) {
      const handle = await startWorkers({
        redisUrl: target,
        namespace,
        store,
        assessorFor: async () => ({ assessor, profile }),
        fetcherFor: async () => {
          throw new Error('no crawling in this test');
        },
        concurrency: 4,
        policy,
      });
      closers.push(() => handle.close());
      handles.push(handle);
    }
    const executor = new BullExecutor({ redisUrl: target, namespace, store, policy, reconcileEveryMs: 500 });
    closers.push(() => executor.close());

    for (const listing of manyListings(40)) await store.listings.put(listing);
    const first = await runPipeline({ executor, store, profile });
    expect(first).toMatchObject({ listings: 40, assessed: 40, unchanged: 0, failed: 0, drafts: 40 });
    expect((await executor.assessQueue.getJobCounts('completed'))['completed']).toBe(40);
    // Both "machines" took work.
    expect(assessors.every((assessor) => assessor.calls > 0)).toBe(true);
    expect(assessors[0]!.calls + assessors[1]!.calls).toBe(40);

    const second = await runPipeline({ executor, store, profile });
    expect(second).toMatchObject({ assessed: 0, unchanged: 40, failed: 0 });

    await store.listings.put(agentListing(7, 1));
    const third = await runPipeline({ executor, store, profile });
    expect(third).toMatchObject({ assessed: 1, unchanged: 39, failed: 0 });
    expect((await store.drafts.list({ listingId: 'agent-0007' })).map((draft) => [draft.revision, draft.status])).toEqual([
      [1, 'superseded'],
      [2, 'draft'],
    ]);

    // The queues' keys share one slot, the store's another: each under its own hash tag.
    const queueKeys = await keysByMaster(`{${namespace}:q}*`);
    expect(queueKeys.some(({ key }) => key.endsWith(':assess:completed'))).toBe(true);
    expect(new Set(queueKeys.map(({ slot }) => slot)).size).toBe(1);
    const storeKeys = await keysByMaster(`{${namespace}}:*`);
    expect(storeKeys.length).toBeGreaterThan(80);
    expect(new Set(storeKeys.map(({ slot }) => slot)).size).toBe(1);
  }, 90_000);

  it('shows the queues of a namespace in the review dashboard (bull-board) over a cluster client', async () => {
    const namespace = `tdcluster-${randomUUID()}`;
    // Seeded by a node that does not hold the queues: only a cluster client finds them.
    const seed = await seedNotOwning(`{${namespace}:q}:assess:meta`);
    const target = await resolveRedisTarget(seed);
    const prefix = prefixesFor(namespace, target).queue;
    const connection = bullConnection(target);
    const queue = new Queue('assess', { connection, prefix });
    closers.push(async () => {
      await queue.close();
      await closeBullConnection(connection);
    });
    await queue.add('job', { n: 1 });
    await queue.add('job', { n: 2 });
    const dashboard = createQueueDashboard({ redisUrl: target, prefix, queueNames: ['assess'] });
    closers.push(() => dashboard.close());
    const api = await dashboard.app.request('/api/queues');
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(body.queues.map((q) => [q.name, q.counts['waiting']])).toEqual([['assess', 2]]);
  });

  it('crawls and assesses through a `threatdraft worker` process and `run --no-worker`, both given one seed node in REDIS_URL', async () => {
    const demo = await startDemoServer();
    const dir = mkdtempSync(join(tmpdir(), 'threatdraft-cluster-run-'));
    closers.push(async () => {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const sourceFile = join(dir, 'source.json');
    writeFileSync(sourceFile, JSON.stringify(demo.sourceConfig));
    const namespace = `tdcluster-${randomUUID()}`;
    // A seed that is not the first port, as a user might pick any node.
    const env = { REDIS_URL: `redis://127.0.0.1:${started.cluster!.ports[1]}`, THREATDRAFT_NAMESPACE: namespace, LOG_LEVEL: 'warn' };

    const worker = await startWorkerProcess(['--concurrency', '2'], env);
    closers.push(() => stopProcess(worker.child));
    expect(worker.stderr()).toContain('Redis Cluster via 1 seed node');

    const run = await cli(['run', '--source', sourceFile, '--no-worker', '--json', '--limit', '6'], env);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.last).toMatchObject({ listings: 6, assessed: 6, failed: 0 });

    const status = await cli(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(status.last).toMatchObject({ store: 'redis', listings: 6, drafts: { draft: 6 } });
    expect(status.last['queues']).toMatchObject({ crawl: { completed: 1, failed: 0 }, assess: { completed: 6, failed: 0 } });

    // REDIS_CLUSTER_NODES: a command still starts when the REDIS_URL node is down.
    const viaSeeds = await cli(['status', '--json'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_CLUSTER_NODES: started.cluster!.nodes.join(',') });
    expect(viaSeeds.err).toBe('');
    expect(viaSeeds.last).toEqual(status.last);

    const drafts = await cli(['drafts', 'list', '--json'], env);
    expect(drafts.code).toBe(0);
    expect(drafts.lines.slice(0, -1)).toHaveLength(6);

    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);
    expect(worker.stderr()).toContain('threatdraft worker: stopped');
  }, 120_000);
});
