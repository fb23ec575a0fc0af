import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { pingRedis, redisUrlForTests, startPrivateRedis } from '../helpers/redis.js';

describe('test redis helper', () => {
  it('starts a private server that restarts on the same port and stops for good', async () => {
    const server = await startPrivateRedis();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await pingRedis(server.port)).toBe(true);
      expect(existsSync(server.dir)).toBe(true);
      await server.restart();
      expect(await pingRedis(server.port)).toBe(true);
      await server.crash();
      expect(await pingRedis(server.port)).toBe(false);
      await server.restart();
      const client = new Redis(server.url);
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await server.stop();
    }
    await server.stop();
    expect(await pingRedis(server.port)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    await expect(server.restart()).rejects.toThrow(/after stop/);
  });

  it('hands out one URL per process that answers PING', async () => {
    const url = await redisUrlForTests();
    expect(await redisUrlForTests()).toBe(url);
    const client = new Redis(url);
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
