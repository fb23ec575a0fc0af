import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { DEMO_PORT, demoHint, selfInvocation } from '../../src/cli/commands/run.js';
import { FileStore } from '../../src/store/file-store.js';
import { main } from '../../src/cli/main.js';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { createFileStore } from '../../src/store/file-store.js';
import { captureIo } from '../helpers/io.js';
import { deleteKeysWithPrefix, freePort, redisUrlForTests } from '../helpers/redis.js';

const SUMMARY_KEYS = ['listings', 'assessed', 'unchanged', 'failed', 'failures', 'drafts', 'tokens', 'costUsd', 'wallMs'];

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(args, io);
  const lines = io.out().trim().split('\n').filter((line) => line !== '');
  return { code, lines, last: lines.length > 0 ? (JSON.parse(lines.at(-1) as string) as Record<string, unknown>) : {}, err: io.err() };
}

describe('threatdraft run', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'threatdraft-run-'));
    dirs.push(dir);
    return dir;
  };
  let demo: DemoServer;
  let sourceFile: string;
  beforeAll(async () => {
    demo = await startDemoServer();
    sourceFile = join(tmp(), 'source.json');
    writeFileSync(sourceFile, JSON.stringify(demo.sourceConfig));
  });
  afterAll(async () => {
    await demo.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the demo end to end: crawls, assesses with rules, stores drafts and says where they are', async () => {
    const data = tmp();
    const run = await cli(['run', '--demo', '--json', '--data', data], { REDIS_URL: '' });
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(Object.keys(run.last)).toEqual(SUMMARY_KEYS);
    expect(run.last).toMatchObject({ failed: 0, failures: [], tokens: 0, costUsd: 0 });
    expect(run.last['listings']).toBeGreaterThanOrEqual(20);
    expect(run.last['assessed']).toBe(run.last['listings']);
    expect(run.last['drafts']).toBe(run.last['listings']);
    expect(run.err).toContain(`Drafts are in ${data}`);
    expect(run.err).toContain('threatdraft review');

    const status = await cli(['status', '--json', '--data', data], { REDIS_URL: '' });
    expect(status.code).toBe(0);
    expect(status.last).toMatchObject({ store: 'file', listings: run.last['listings'], drafts: { draft: run.last['listings'], superseded: 0 } });
    expect(status.last['queues']).toBeUndefined();

    // Every source type of the demo: the HTML directory, agent cards, the registry and the gallery built in a browser.
    const store = createFileStore({ root: data });
    const ids = await store.listings.ids().finally(() => store.close());
    const perSource = Object.fromEntries(['demo.', 'demo-a2a.', 'demo-registry.', 'demo-gallery.'].map((prefix) => [prefix, ids.filter((id) => id.startsWith(prefix)).length]));
    expect(perSource).toEqual({ 'demo.': expect.any(Number), 'demo-a2a.': 3, 'demo-registry.': 6, 'demo-gallery.': 4 });
    expect(run.err).toMatch(/threatdraft: warning demo-a2a\.harbor-helpdesk-[0-9a-f]+: Harbor Helpdesk: `skills\[1\]` left out/);
  }, 60_000);

  it('runs a directory through the Batch API with --batch, and resumes nothing on a rerun', async () => {
    const { startFakeOpenAI } = await import('../../src/fake-openai/server.js');
    const fake = await startFakeOpenAI();
    try {
      const data = tmp();
      const env = { REDIS_URL: '', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test-run-batch', THREATDRAFT_BATCH_POLL_MS: '20' };
      const run = await cli(['run', '--source', sourceFile, '--assessor', 'openai', '--batch', '--json', '--data', data], env);
      expect(run.code).toBe(0);
      expect(Object.keys(run.last)).toEqual(SUMMARY_KEYS);
      expect(run.last['assessed']).toBe(run.last['listings']);
      expect(run.last['costUsd']).toBeGreaterThan(0);
      expect(run.err).toMatch(/batch batch_\w+ \(round 1\): completed, \d+\/\d+ done, 0 failed/);
      expect(fake.batches()).toHaveLength(1);
      expect(fake.requestLog.filter((entry) => entry.path === '/v1/chat/completions')).toHaveLength(0);
      const again = await cli(['run', '--source', sourceFile, '--assessor', 'openai', '--batch', '--json', '--data', data], env);
      expect(again.last).toMatchObject({ assessed: 0, unchanged: run.last['listings'] });
      expect(fake.batches()).toHaveLength(1);
      // vLLM has no Batch API: exit 2, naming the endpoint.
      const vllm = await startFakeOpenAI({ mode: 'vllm' });
      try {
        const refused = await cli(['run', '--source', sourceFile, '--assessor', 'openai', '--batch', '--json', '--data', tmp()], { ...env, OPENAI_BASE_URL: vllm.baseUrl });
        expect(refused.code).toBe(2);
        expect(refused.err).toContain(`${vllm.baseUrl} has no Batch API`);
      } finally {
        await vllm.close();
      }
    } finally {
      await fake.close();
    }
  }, 60_000);

  it('hardening #11: run --demo keeps its listing ids whatever port it gets, so one store never holds the demo twice', async () => {
    const data = tmp();
    const blockers: Server[] = [];
    /** Holds a loopback port (if it is free) so the next demo run cannot take it. */
    const block = async (port: number): Promise<void> => {
      const server = createServer();
      await new Promise<void>((resolve) => {
        server.once('error', () => resolve());
        server.listen(port, '127.0.0.1', () => {
          blockers.push(server);
          resolve();
        });
      });
    };
    const store = new FileStore({ root: data });
    const originsOf = async (ids: string[]) => new Set((await store.listings.getMany(ids)).map((listing) => new URL(listing!.url).origin));
    try {
      await block(DEMO_PORT);
      const first = await cli(['run', '--demo', '--json', '--data', data], { REDIS_URL: '' });
      expect(first.code).toBe(0);
      const ids = await store.listings.ids();
      const [firstOrigin] = [...(await originsOf(ids))];
      // The second run cannot get the first one's port either: the demo is served elsewhere.
      await block(Number(new URL(firstOrigin!).port));
      const second = await cli(['run', '--demo', '--json', '--data', data], { REDIS_URL: '' });
      expect(second.code).toBe(0);
      expect(second.last).toMatchObject({ listings: first.last['listings'], assessed: 0, unchanged: first.last['listings'], drafts: 0 });
      expect(await store.listings.ids()).toEqual(ids);
      expect(await originsOf(ids)).not.toContain(firstOrigin);
      expect(await store.stats()).toMatchObject({ listings: ids.length, drafts: { draft: ids.length } });
    } finally {
      await store.close();
      for (const server of blockers) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 120_000);

  it('assesses nothing when run again over an unchanged directory', async () => {
    const data = tmp();
    const first = await cli(['run', '--source', sourceFile, '--json', '--data', data, '--concurrency', '2']);
    expect(first.code).toBe(0);
    const second = await cli(['run', '--source', sourceFile, '--json', '--data', data]);
    expect(second.code).toBe(0);
    expect(second.last).toMatchObject({ listings: first.last['listings'], assessed: 0, unchanged: first.last['listings'], drafts: 0 });
  }, 60_000);

  it('runs on BullMQ with --queue redis://… and status counts the queue jobs', async () => {
    const url = await redisUrlForTests();
    const namespace = `tdtest-${randomUUID()}`;
    try {
      const run = await cli(['run', '--source', sourceFile, '--queue', url, '--namespace', namespace, '--json', '--limit', '5']);
      expect(run.code).toBe(0);
      expect(run.last).toMatchObject({ listings: 5, assessed: 5, failed: 0 });
      const status = await cli(['status', '--json', '--namespace', namespace], { REDIS_URL: url });
      expect(status.last).toMatchObject({ store: 'redis', listings: 5, drafts: { draft: 5 } });
      expect(status.last['queues']).toMatchObject({ crawl: { completed: 1, failed: 0 }, assess: { completed: 5, failed: 0 } });
      // THREATDRAFT_NAMESPACE selects the same namespace for commands that take no --namespace.
      const fromEnv = await cli(['status', '--json'], { REDIS_URL: url, THREATDRAFT_NAMESPACE: namespace });
      expect(fromEnv.last).toEqual(status.last);
      const drafts = await cli(['drafts', 'list', '--json'], { REDIS_URL: url, THREATDRAFT_NAMESPACE: namespace });
      expect(drafts.code).toBe(0);
      expect(drafts.lines.slice(0, -1)).toHaveLength(5);
    } finally {
      await deleteKeysWithPrefix(url, `${namespace}:`);
    }
  }, 60_000);

  it.each([
    [['run', '--json'], /exactly one of `--source FILE` or `--demo`/],
    [['run', '--demo', '--source', 'x.json'], /exactly one of/],
    [['run', '--demo', '--queue', 'amqp://x'], /`--queue` to be local or a redis:\/\/ URL/],
    [['run', '--demo', '--concurrency', '0'], /`--concurrency` to be a positive integer/],
    [['run', '--demo', '--assessor', 'magic'], /`--assessor` to be rules or openai/],
    [['run', '--demo', '--batch'], /`--batch` .* use it with --assessor openai/],
    [['run', '--source', '/nonexistent/source.json'], /no such file/],
    [['run', '--demo', '--namespace', 'two words'], /`--namespace` to be letters, digits/],
    [['status', '--namespace', 'a:b'], /`--namespace` to be letters, digits/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('exits 2 naming THREATDRAFT_NAMESPACE when it is not a valid namespace', async () => {
    const result = await cli(['status', '--json'], { THREATDRAFT_NAMESPACE: 'tenant a' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('THREATDRAFT_NAMESPACE');
  });

  it('fails within seconds, naming the Redis URL without its password, when no Redis answers', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await cli(['run', '--demo', '--json', '--queue', `redis://:hunter2@127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`Cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(run.err).not.toContain('hunter2');
    const status = await cli(['status', '--json'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(status.code).toBe(1);
    expect(status.err).toContain(`Cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('worker exits 2 when REDIS_URL is unset or empty', async () => {
    const result = await cli(['worker'], { REDIS_URL: '' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('REDIS_URL');
  });
});

describe('the hint after run --demo', () => {
  const base = { namespace: 'threatdraft', dataDir: './demo-data', where: '/tmp/demo-data' };

  it('points the review commands at the file store the run wrote', () => {
    const hint = demoHint({ ...base, queue: { kind: 'local' }, redisUrlEnv: undefined });
    expect(hint).toContain('Drafts are in /tmp/demo-data.');
    expect(hint).toContain('threatdraft review --data "./demo-data"');
    expect(hint).not.toContain('REDIS_URL');
  });

  it('clears REDIS_URL when the run used the file store although REDIS_URL is set', () => {
    const hint = demoHint({ ...base, queue: { kind: 'local' }, redisUrlEnv: 'redis://127.0.0.1:6379' });
    expect(hint).toContain('REDIS_URL= threatdraft drafts list --data "./demo-data"');
  });

  it('names the Redis URL and namespace the run got from flags, never a password', () => {
    const plain = demoHint({ ...base, namespace: 'team-a', queue: { kind: 'bullmq', url: 'redis://10.0.0.5:6379' }, redisUrlEnv: undefined });
    expect(plain).toContain('REDIS_URL=redis://10.0.0.5:6379 THREATDRAFT_NAMESPACE=team-a threatdraft review');
    const secret = demoHint({ ...base, queue: { kind: 'bullmq', url: 'redis://:hunter2@10.0.0.5:6379' }, redisUrlEnv: undefined });
    expect(secret).toContain('REDIS_URL=<your redis URL> threatdraft review');
    expect(secret).not.toContain('hunter2');
    const fromEnv = demoHint({ ...base, queue: { kind: 'bullmq', url: 'redis://10.0.0.5:6379' }, redisUrlEnv: 'redis://10.0.0.5:6379' });
    expect(fromEnv).toContain('Review them: threatdraft reviewers add YOUR-NAME ');
  });
});

describe('selfInvocation', () => {
  it.each([
    ['/work/app/bin/threatdraft.js', '/work/app', 'npx threatdraft'],
    ['/work/app/bin/threatdraft.js', '/tmp/elsewhere', 'node ../../work/app/bin/threatdraft.js'],
    ['/opt/my apps/td/bin/threatdraft.js', '/opt', 'node "my apps/td/bin/threatdraft.js"'],
    ['/usr/local/bin/threatdraft', '/home/me', 'threatdraft'],
    [undefined, '/home/me', 'threatdraft'],
  ])('tells a user who ran %s from %s to run %s', (script, cwd, expected) => {
    expect(selfInvocation(script, cwd)).toBe(expected);
  });

  it('puts that invocation into every command of the hint', () => {
    const hint = demoHint({ queue: { kind: 'local' }, redisUrlEnv: undefined, namespace: 'threatdraft', dataDir: './.threatdraft', where: '/x', cli: 'npx threatdraft' });
    expect(hint.match(/npx threatdraft (reviewers add|review|drafts list)/g)).toHaveLength(3);
  });
});
