import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startPrivateRedis } from '../helpers/redis.js';
import { exited, spawnWorkerProcess, waitFor } from '../queues/helpers.js';

/** `threatdraft worker` as a real process, with its stderr captured. */
const spawnWorker = (env: NodeJS.ProcessEnv) => spawnWorkerProcess(['--concurrency', '2'], { LOG_LEVEL: 'warn', ...env });

describe('threatdraft worker while Redis is unreachable', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('waits, logging each retry without the password, and stops at once on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const worker = spawnWorker({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
    children.push(worker.child);
    await waitFor(() => (worker.stderr().match(/retrying/g) ?? []).length >= 2 || worker.child.exitCode !== null, 20_000, 'two retries');
    expect(worker.child.exitCode).toBeNull();
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(worker.stderr()).toContain(`SIGTERM while waiting for Redis at redis://127.0.0.1:${port}`);
    expect(worker.stderr()).toContain('"code":"E_REDIS"');
    expect(worker.stderr()).not.toContain('hunter2');
    expect(worker.stderr()).not.toContain('ready');
  }, 40_000);

  it('becomes ready once Redis starts answering, then shuts down gracefully', async () => {
    const redis = await startPrivateRedis();
    await redis.crash();
    try {
      const worker = spawnWorker({ REDIS_URL: redis.url });
      children.push(worker.child);
      await waitFor(() => worker.stderr().includes('retrying') || worker.child.exitCode !== null, 20_000, 'a retry');
      expect(worker.child.exitCode).toBeNull();
      await redis.restart();
      await waitFor(() => worker.stderr().includes('ready') || worker.child.exitCode !== null, 20_000, 'the worker to be ready');
      expect(worker.stderr()).toContain('namespace threatdraft');
      worker.child.kill('SIGINT');
      expect(await exited(worker.child)).toBe(0);
      expect(worker.stderr()).toContain('SIGINT: finishing jobs in flight');
      expect(worker.stderr()).toContain('threatdraft worker: stopped');
    } finally {
      await redis.stop();
    }
  }, 60_000);
});
