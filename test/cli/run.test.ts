import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startDemoServer, type DemoServer } from '../../src/crawl/demo-server.js';
import { captureIo } from '../helpers/io.js';
import { deleteKeysWithPrefix, redisUrlForTests } from '../helpers/redis.js';

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
  }, 60_000);

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
    [['run', '--source', '/nonexistent/source.json'], /no such file/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('worker exits 2 when REDIS_URL is unset or empty', async () => {
    const result = await cli(['worker'], { REDIS_URL: '' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('REDIS_URL');
  });
});
