/**
 * Store figures at directory scale: draft saves (CAS, fsync on), listing all drafts cold and warm,
 * for the file store, and for the Redis store when REDIS_URL or 127.0.0.1:6379 answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { draftId, type Draft } from '../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../schemas/factors.js';
import { FileStore } from '../src/store/file-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import type { BenchResult } from './types.js';
import { namedThreat, TAXONOMIES } from '../schemas/catalogue/index.js';

const DRAFTS = 2_000;

function draft(listingId: string): Draft {
  const at = '2025-01-01T00:00:00.000Z';
  return {
    id: draftId(listingId, 1),
    listingId,
    revision: 1,
    version: 1,
    status: 'draft',
    assessment: {
      summary: 'Reads mail and calls tools. '.repeat(10),
      factors: Object.fromEntries(
        LISTING_FACTOR_KEYS.map((key) => [key, { value: 0.5, rationale: `Rationale for ${key}. `.repeat(8), evidence: ['calls tools'], certainty: 'stated' as const }]),
      ) as Draft['assessment']['factors'],
      cvss: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', rationale: 'Remote.' },
      exploitMaturity: { value: 'poc', rationale: 'Known.' },
      mitigation: { value: 'none', rationale: 'None.' },
      layers: [1, 2, 3, 4, 5, 6, 7].map((layer) => ({ layer, certain: true, threats: [namedThreat('tool-misuse')], otherThreats: [], text: 'Layer text. '.repeat(20), evidence: ['q'] })),
      insufficientEvidence: false,
      taxonomies: { ...TAXONOMIES },
    },
    score: { formula: 'v0.8', cvssBase: 9.3, cvssVector: null, factorSum: 5, aars: 0.34, thm: 0.97, mf: 1, raw: 9.6, score: 9.6, severity: 'Critical', rounding: 'half-up' },
    checks: { grounding: [], groundingRate: 1, injection: { suspected: false, matches: [] }, warnings: [] },
    provenance: {
      assessor: 'rules', assessorVersion: '1', model: null, promptId: null, promptHash: null,
      listingContentHash: createHash('sha256').update(listingId).digest('hex'),
      tokensIn: 0, tokensOut: 0, costUsd: 0, cached: false, startedAt: at, finishedAt: at, threatdraftVersion: '0.1.0',
    },
    reviews: [],
    staleText: [],
    reviewerText: [],
    createdAt: at,
    updatedAt: at,
  };
}

async function measure(label: string, store: Store, reopen: () => Store): Promise<BenchResult[]> {
  const ids = Array.from({ length: DRAFTS }, (_, index) => `bench-${String(index).padStart(5, '0')}`);
  let started = performance.now();
  for (let index = 0; index < ids.length; index += 50) {
    await Promise.all(ids.slice(index, index + 50).map((id) => store.drafts.save(draft(id), null)));
  }
  const saveMs = performance.now() - started;
  const cold = reopen();
  started = performance.now();
  const listed = await cold.drafts.list({ status: ['draft'] });
  const coldMs = performance.now() - started;
  started = performance.now();
  await cold.drafts.list({ status: ['draft'] });
  const warmMs = performance.now() - started;
  await cold.close();
  if (listed.length !== DRAFTS) throw new Error(`${label}: listed ${listed.length} of ${DRAFTS}`);
  return [
    { name: `store ${label}: draft saves (new, CAS, 50 in flight)`, value: Math.round((DRAFTS / saveMs) * 1000), unit: 'saves/s', target: '>= 200', ok: DRAFTS / saveMs >= 0.2 },
    { name: `store ${label}: list ${DRAFTS} drafts by status, cold`, value: Math.round(coldMs), unit: 'ms', target: '<= 3000', ok: coldMs <= 3000 },
    { name: `store ${label}: list ${DRAFTS} drafts by status, warm`, value: Math.round(warmMs), unit: 'ms', target: '<= 1500', ok: warmMs <= 1500 },
  ];
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, connectTimeout: 500, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Runs the store figures. */
export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const root = mkdtempSync(join(tmpdir(), 'threatdraft-bench-store-'));
  try {
    const store = new FileStore({ root });
    results.push(...(await measure('file', store, () => new FileStore({ root }))));
    await store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) {
    const prefix = `threatdraft-bench:${randomUUID()}:`;
    const store = new RedisStore({ url, prefix });
    try {
      results.push(...(await measure('redis', store, () => new RedisStore({ url, prefix }))));
    } finally {
      const client = new Redis(url);
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      client.disconnect();
      await store.close();
    }
  }
  return results;
}
