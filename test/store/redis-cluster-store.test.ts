/**
 * The Redis store on a real three-master Redis Cluster started for this file: the whole store
 * contract, then what is cluster-specific (detection from a seed URL, every key of a store in its
 * hash tag's slot, stores of different prefixes on different masters, CAS across connections).
 * Skipped, with the reason printed, only where redis-server cannot start a cluster.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ConflictError } from '../../src/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { resolveRedisTarget } from '../../src/store/redis-client.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { clusterTarget, parseRedisNodes } from '../../src/store/redis-target.js';
import { redisUrlForTests } from '../helpers/redis.js';
import { tryStartTestCluster } from '../helpers/redis-cluster.js';
import { runStoreContract } from './contract.js';
import { makeAuditEntry, makeDraft, makeListing, makeReviewer } from './records.js';

const started = await tryStartTestCluster('redis store on a Redis Cluster');
const seedUrl = started.cluster?.url ?? 'redis://127.0.0.1:1';
const freshPrefix = (): string => `tdcluster:${randomUUID()}:`;

afterAll(async () => {
  await started.cluster?.stop();
});

/** Every key under `pattern` on every master, with the port of the master holding it. */
async function keysByMaster(pattern: string): Promise<Array<{ port: number; key: string }>> {
  const client = new Cluster([{ host: '127.0.0.1', port: started.cluster!.ports[0]! }]);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
    });
    const found: Array<{ port: number; key: string }> = [];
    for (const node of client.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        for (const key of keys) found.push({ port: node.options.port ?? 0, key });
      } while (cursor !== '0');
    }
    return found;
  } finally {
    client.disconnect();
  }
}

describe.skipIf(started.cluster === null)('redis store on a three-master Redis Cluster', () => {
  // The seed URL alone, as a user sets REDIS_URL: the store finds out it is a cluster.
  runStoreContract('redis cluster', () => new RedisStore({ url: seedUrl, prefix: freshPrefix() }), {
    reopen: (store) => new RedisStore({ url: seedUrl, prefix: (store as RedisStore).prefix }),
  });

  const stores: RedisStore[] = [];
  const open = (prefix = freshPrefix(), url: ConstructorParameters<typeof RedisStore>[0]['url'] = seedUrl): RedisStore => {
    const store = new RedisStore({ url, prefix });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('resolves a seed URL to a cluster target and a single Redis URL to itself', async () => {
    expect(await resolveRedisTarget(seedUrl)).toEqual({ kind: 'cluster', url: seedUrl, nodes: [{ host: '127.0.0.1', port: started.cluster!.ports[0] }] });
    const single = await redisUrlForTests();
    expect(await resolveRedisTarget(single)).toBe(single);
  });

  it('keeps every key of a store in the one slot of its hash-tagged prefix', async () => {
    const store = open();
    for (const id of ['alpha', 'beta', 'gamma', 'delta']) {
      await store.listings.put(makeListing({ id }));
      await store.drafts.save(makeDraft({ listingId: id }), null);
    }
    await store.audit.append(makeAuditEntry());
    await store.cache.set('fetch', 'k', 1);
    await store.reviewers.add(makeReviewer('alice'));
    await store.policy.set({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    expect(store.cluster).toBe(true);
    expect(store.keyPrefix).toBe(`{${store.prefix.slice(0, -1)}}:`);

    const keys = await keysByMaster(`*${store.prefix.slice(0, -1)}*`);
    expect(keys.length).toBeGreaterThanOrEqual(13);
    expect(keys.every(({ key }) => key.startsWith(store.keyPrefix))).toBe(true);
    expect(new Set(keys.map(({ port }) => port)).size).toBe(1);
    const raw = new Redis(seedUrl);
    try {
      const slots = new Set(await Promise.all(keys.map(({ key }) => raw.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      raw.disconnect();
    }
  });

  it('puts stores of different prefixes on different masters', async () => {
    // Fixed names, so the slots (and with three masters, the owners) are the same on every run.
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'].map((name) => `tdcluster-${name}-${randomUUID()}:`);
    for (const prefix of names) await open(prefix).listings.put(makeListing());
    const ports = new Set<number>();
    for (const prefix of names) for (const { port } of await keysByMaster(`{${prefix.slice(0, -1)}}:*`)) ports.add(port);
    expect(ports.size).toBeGreaterThan(1);
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

  it('reads what another store wrote through explicit seed nodes (REDIS_CLUSTER_NODES)', async () => {
    const prefix = freshPrefix();
    await open(prefix).drafts.save(makeDraft(), null);
    const nodes = parseRedisNodes(started.cluster!.nodes.slice(1).join(','));
    const explicit = open(prefix, clusterTarget(seedUrl, nodes));
    expect((await explicit.drafts.list()).map((draft) => draft.id)).toEqual([makeDraft().id]);
    expect(explicit.cluster).toBe(true);
  });

  it('is opened by openStore from the seed URL and a namespace', async () => {
    const namespace = `tdcluster-${randomUUID()}`;
    const store = await openStore({ redisUrl: seedUrl, namespace });
    try {
      await store.listings.put(makeListing());
      expect(await store.listings.ids()).toEqual([makeListing().id]);
      expect((store as RedisStore).keyPrefix).toBe(`{${namespace}}:`);
    } finally {
      await store.close();
    }
  });

  it('refuses a database other than 0 on a cluster', async () => {
    const store = open(freshPrefix(), `${seedUrl}/2`);
    await expect(store.listings.ids()).rejects.toBeInstanceOf(ConfigError);
  });
});
