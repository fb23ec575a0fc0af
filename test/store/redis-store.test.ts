import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ExtractionError, TransientError } from '../../src/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { deleteKeysWithPrefix, freePort, pingRedis, redisUrlForTests, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';
import { runStoreContract } from './contract.js';
import { makeAuditEntry, makeDraft, makeListing, makeReviewer } from './records.js';

const url = await redisUrlForTests();
const freshPrefix = (): string => `threatdraft-test:${randomUUID()}:`;

runStoreContract('redis', () => new RedisStore({ url, prefix: freshPrefix() }), {
  cleanup: async (store) => {
    await deleteKeysWithPrefix(url, (store as RedisStore).prefix);
  },
  reopen: (store) => new RedisStore({ url, prefix: (store as RedisStore).prefix }),
});

describe('redis store specifics', () => {
  const prefixes: string[] = [];
  const stores: RedisStore[] = [];
  const open = (prefix = freshPrefix()): RedisStore => {
    prefixes.push(prefix);
    const store = new RedisStore({ url, prefix });
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(url, prefix);
  });

  it('keeps every key under its prefix and leaves nothing after cleanup', async () => {
    const store = open();
    await store.listings.put(makeListing());
    await store.drafts.save(makeDraft(), null);
    await store.audit.append(makeAuditEntry());
    await store.cache.set('fetch', 'k', 1);
    await store.reviewers.add(makeReviewer('alice'));
    await store.policy.set({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    const raw = new Redis(url);
    try {
      const keys = await raw.keys(`${store.prefix}*`);
      expect(keys.length).toBeGreaterThanOrEqual(9);
      expect(await raw.type(`${store.prefix}audit`)).toBe('stream');
      expect(JSON.parse((await raw.get(`${store.prefix}policy`)) ?? 'null')).toEqual({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
      expect(await deleteKeysWithPrefix(url, store.prefix)).toBe(keys.length);
      expect(await raw.keys(`${store.prefix}*`)).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });

  it('isolates two prefixes on one server', async () => {
    const left = open();
    const right = open();
    await left.drafts.save(makeDraft(), null);
    expect(await right.drafts.list()).toEqual([]);
    expect(await right.drafts.save(makeDraft(), null)).toMatchObject({ version: 1 });
  });

  it('lets exactly one of 20 saves win across separate connections', async () => {
    const prefix = freshPrefix();
    const connections = Array.from({ length: 4 }, () => open(prefix));
    const base = await connections[0]!.drafts.save(makeDraft(), null);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => connections[index % 4]!.drafts.save({ ...base, updatedAt: `${index}` }, 1)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(lost.every((reason) => reason instanceof ConflictError)).toBe(true);
  });

  it('names the key when a stored draft is corrupt', async () => {
    const store = open();
    const saved = await store.drafts.save(makeDraft(), null);
    const raw = new Redis(url);
    try {
      await raw.hset(`${store.prefix}draft:${saved.id}`, 'json', '{"id": "demo.agent-one.r1", "trunc');
    } finally {
      raw.disconnect();
    }
    const error = await store.drafts.get(saved.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as Error).message).toContain(`${store.prefix}draft:${saved.id}`);
    await expect(store.drafts.list()).rejects.toBeInstanceOf(ExtractionError);
  });

  it('names the policy key when the stored policy is corrupt or breaks its schema', async () => {
    const store = open();
    const key = `${store.prefix}policy`;
    const raw = new Redis(url);
    try {
      await raw.set(key, '{"twoPerson": tr');
      const truncated = await store.policy.get().catch((caught: unknown) => caught);
      expect(truncated).toBeInstanceOf(ExtractionError);
      expect((truncated as Error).message).toContain(`Corrupt JSON in Redis key ${key}`);
      await raw.set(key, JSON.stringify({ twoPerson: true, setBy: '', at: '2025-03-01T12:00:00.000Z' }));
      const invalid = await store.policy.get().catch((caught: unknown) => caught);
      expect(invalid).toBeInstanceOf(ExtractionError);
      expect((invalid as Error).message).toContain(key);
      expect((invalid as Error).message).toContain('`setBy`');
    } finally {
      raw.disconnect();
    }
  });

  it('reads the audit stream past one page in order', async () => {
    const store = open();
    const total = 2_100;
    const raw = new Redis(url);
    try {
      const pipeline = raw.pipeline();
      for (let index = 0; index < total; index += 1) {
        pipeline.xadd(`${store.prefix}audit`, '*', 'entry', JSON.stringify(makeAuditEntry({ action: `a${index}` })));
      }
      await pipeline.exec();
    } finally {
      raw.disconnect();
    }
    const actions = (await store.audit.list()).map((entry) => entry.action);
    expect(actions).toHaveLength(total);
    expect(actions.slice(0, 2)).toEqual(['a0', 'a1']);
    expect(actions.at(-1)).toBe(`a${total - 1}`);
  });

  it('fails with a TransientError naming the server, without credentials, when Redis is unreachable', async () => {
    const port = await freePort();
    const store = new RedisStore({ url: `redis://user:s3cret@127.0.0.1:${port}`, prefix: freshPrefix(), maxRetriesPerRequest: 0, connectTimeoutMs: 200 });
    try {
      const error = await store.listings.get('x').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).not.toContain('s3cret');
    } finally {
      await store.close();
    }
  });

  it('is chosen by openStore when a Redis URL is given', async () => {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const store = await openStore({ dataDir: '/nonexistent', redisUrl: url, redisPrefix: prefix });
    try {
      expect(store.kind).toBe('redis');
      await store.listings.put(makeListing());
      expect(await store.listings.ids()).toEqual(['demo.agent-one']);
    } finally {
      await store.close();
    }
  });
});

describe('redis store durability with AOF', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis({ appendonly: true });
  });

  afterAll(async () => {
    await server.stop();
    expect(await pingRedis(server.port)).toBe(false);
  });

  it('keeps drafts, audit, reviewers and the policy across a graceful restart and a crash', async () => {
    const prefix = freshPrefix();
    let store = new RedisStore({ url: server.url, prefix });
    const first = await store.drafts.save(makeDraft(), null);
    await store.drafts.save({ ...first, status: 'approved' }, 1);
    await store.drafts.save(makeDraft({ listingId: 'other' }), null);
    await store.audit.append(makeAuditEntry());
    await store.reviewers.add(makeReviewer('alice'));
    await store.close();

    await server.restart();
    store = new RedisStore({ url: server.url, prefix });
    expect((await store.drafts.get(first.id))?.version).toBe(2);
    expect((await store.drafts.list({ status: ['approved'] })).map((draft) => draft.id)).toEqual([first.id]);
    // Written right before a SIGKILL: with appendfsync always an acknowledged write survives.
    await store.drafts.save(makeDraft({ listingId: 'third' }), null);
    await store.policy.set({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    await store.close();

    await server.crash();
    await server.restart();
    store = new RedisStore({ url: server.url, prefix });
    try {
      expect((await store.drafts.list()).map((draft) => draft.id)).toEqual([first.id, 'other.r1', 'third.r1']);
      expect(await store.audit.list()).toHaveLength(1);
      expect((await store.reviewers.list()).map((reviewer) => reviewer.name)).toEqual(['alice']);
      expect(await store.policy.get()).toEqual({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
      expect((await store.stats()).drafts.approved).toBe(1);
    } finally {
      await store.close();
    }
  });
});
