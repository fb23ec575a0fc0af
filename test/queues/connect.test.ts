import { describe, expect, it } from 'vitest';
import { checkRedis, retryDelayMs, waitForRedis } from '../../queues/connect.js';
import { reconnectDelayMs } from '../../queues/names.js';
import { TransientError } from '../../src/errors.js';
import { freePort, redisUrlForTests, startPrivateRedis } from '../helpers/redis.js';

describe('checkRedis', () => {
  it('resolves when Redis answers PING', async () => {
    await expect(checkRedis(await redisUrlForTests())).resolves.toBeUndefined();
  });

  it('fails with E_REDIS naming the URL without its password when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await checkRedis(`redis://user:s3cret-pass@127.0.0.1:${port}`, { timeoutMs: 1000 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_REDIS', context: { redis: `redis://127.0.0.1:${port}` } });
    expect((error as Error).message).toContain(`Cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(JSON.stringify(error)).not.toContain('s3cret-pass');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    controller.abort(reason);
    await expect(checkRedis(`redis://127.0.0.1:${await freePort()}`, { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('waitForRedis', () => {
  it('retries with backoff until a Redis starts listening, then resolves true', async () => {
    const server = await startPrivateRedis();
    const { url } = server;
    await server.crash();
    const retries: Array<{ attempt: number; delayMs: number }> = [];
    try {
      const waiting = waitForRedis(url, {
        initialDelayMs: 50,
        maxDelayMs: 200,
        timeoutMs: 500,
        onRetry: ({ attempt, delayMs, error }) => {
          expect(error.code).toBe('E_REDIS');
          retries.push({ attempt, delayMs });
        },
      });
      while (retries.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      await server.restart();
      await expect(waiting).resolves.toBe(true);
      expect(retries.slice(0, 3)).toEqual([
        { attempt: 1, delayMs: 50 },
        { attempt: 2, delayMs: 100 },
        { attempt: 3, delayMs: 200 },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('resolves false, without throwing, when told to stop while Redis is down', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const waiting = waitForRedis(`redis://127.0.0.1:${await freePort()}`, {
      signal: controller.signal,
      initialDelayMs: 10_000,
      onRetry: () => {
        attempts += 1;
        controller.abort();
      },
    });
    await expect(waiting).resolves.toBe(false);
    expect(attempts).toBe(1);
  });
});

describe('retry delays', () => {
  it.each([
    [1, 250],
    [2, 500],
    [3, 1000],
    [5, 4000],
    [6, 5000],
    [60, 5000],
  ])('waitForRedis waits %i -> %i ms, doubling up to the cap', (attempt, delay) => {
    expect(retryDelayMs(attempt, 250, 5000)).toBe(delay);
  });

  it('BullMQ connections reconnect after 50, 100, 200 … ms, never more than 2 s apart', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(reconnectDelayMs)).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
  });
});
