/**
 * Store figures at directory scale: draft saves (CAS, fsync on), listing all drafts cold and warm,
 * for the file store, and for the Redis store when REDIS_URL or 127.0.0.1:6379 answers.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { draftId, type Draft } from '../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../schemas/factors.js';
import { FileStore } from '../src/store/file-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { scratchDir } from './_scratch.js';
import type { BenchResult } from './types.js';
import { namedThreat, TAXONOMIES } from '../schemas/catalogue/index.js';

const DRAFTS = 2_000;

function draft(listingId: string, score = 9.6): Draft {
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
    score: { formula: 'v0.8', cvssBase: 9.3, cvssVector: null, factorSum: 5, aars: 0.34, thm: 0.97, mf: 1, raw: score, score, range: { low: Math.max(0, score - 0.5), high: Math.min(10, score + 0.5) }, severity: score >= 9 ? 'Critical' : score >= 7 ? 'High' : score >= 4 ? 'Medium' : score > 0 ? 'Low' : 'None', rounding: 'half-up' },
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

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, HERE.endsWith(join('dist', 'bench')) ? '../..' : '..');

/** Fills a file store with `count` listings and a revision-1 draft for each (fsync off: throwaway data). */
export async function seedDrafts(root: string, count: number): Promise<void> {
  const store = new FileStore({ root, fsync: false });
  const { computeContentHash } = await import('../src/crawl/extract.js');
  for (let start = 0; start < count; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - start) }, async (_, k) => {
        const index = start + k;
        const id = `scale-${String(index).padStart(6, '0')}`;
        const base = {
          id,
          sourceId: `source-${index % 7}`,
          url: `https://directory.example/agents/${id}`,
          fetchedAt: '2026-01-01T00:00:00.000Z',
          title: `Scale agent ${index}`,
          summary: 'An agent.',
          text: `Scale agent ${index} calls tools.`,
          truncated: false,
          fields: { capabilities: [], metadata: {}, repositories: [], category: null },
        };
        await store.listings.put({ ...base, contentHash: computeContentHash(base) });
        // Scores spread over the whole range, so the first page by severity is a real selection.
        await store.drafts.save(draft(id, Math.round(((index * 7919) % 101)) / 10), null);
      }),
    );
  }
  await store.close();
}

/** Wall time of `threatdraft <args>` as a child process (a user's command, start-up included). */
async function cliMs(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'threatdraft.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`threatdraft ${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`);
  return performance.now() - started;
}

/** The best of three runs of a command (the least disturbed by other load on the machine). */
async function bestOf(args: readonly string[]): Promise<number> {
  const times = [await cliMs(args), await cliMs(args), await cliMs(args)];
  return Math.min(...times);
}

/** The commands measured at scale: the first page of the queue, and status. */
export const PAGE_ARGS = ['drafts', 'list', '--json', '--limit', '50'] as const;

/** (c) `drafts list` first page and `status` on 100k drafts against 1k, through the CLI, file store. */
async function largeStore(): Promise<BenchResult[]> {
  const sizes = [1_000, 100_000] as const;
  const times = new Map<number, { page: number; status: number }>();
  for (const size of sizes) {
    const root = scratchDir('threatdraft-bench-large-');
    const seedStarted = performance.now();
    await seedDrafts(root, size);
    process.stderr.write(`  seeded ${size} drafts in ${Math.round(performance.now() - seedStarted)} ms\n`);
    times.set(size, { page: await bestOf([...PAGE_ARGS, '--data', root]), status: await bestOf(['status', '--json', '--data', root]) });
  }
  const small = times.get(sizes[0]) as { page: number; status: number };
  const large = times.get(sizes[1]) as { page: number; status: number };
  const pageRatio = large.page / small.page;
  const statusRatio = large.status / small.status;
  return [
    {
      name: `store file: drafts list first page, 100k drafts / 1k (CLI, ${Math.round(large.page)} / ${Math.round(small.page)} ms)`,
      value: Math.round(pageRatio * 100) / 100,
      unit: '×',
      target: '<= 2',
      ok: pageRatio <= 2,
    },
    {
      name: `store file: status, 100k drafts / 1k (CLI, ${Math.round(large.status)} / ${Math.round(small.status)} ms)`,
      value: Math.round(statusRatio * 100) / 100,
      unit: '×',
      target: '<= 2',
      ok: statusRatio <= 2,
    },
  ];
}

/** Runs the store figures (THREATDRAFT_BENCH_SCALE_ONLY=1: only the large-store figures). */
export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [...(await largeStore())];
  if (process.env['THREATDRAFT_BENCH_SCALE_ONLY'] === '1') return results;
  const root = scratchDir('threatdraft-bench-store-');
  const store = new FileStore({ root });
  results.push(...(await measure('file', store, () => new FileStore({ root }))));
  await store.close();
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
