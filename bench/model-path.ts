/**
 * The model path at directory scale, against the fake server, built as `run` builds it:
 * - 1,000 listings through `run --batch` (Batch API) and the same 1,000 synchronously (16 model
 *   calls in flight): HTTP requests of the batch run (target: fewer than 10 in all) and its
 *   reported cost over the synchronous run's (target: one half);
 * - the worst-case time for one listing on a dead endpoint (it accepts the connection and never
 *   answers), with a listing budget of 3 s and the default 60 s request timeout and 3 pipeline
 *   attempts (before the budget existed: up to 4 × 60 s), against its budget.
 */
import { createServer, type Socket } from 'node:net';
import type { Listing } from '../schemas/listing.js';
import { loadEnv } from '../src/config.js';
import { computeContentHash } from '../src/crawl/extract.js';
import { startFakeOpenAI } from '../src/fake-openai/server.js';
import { LocalExecutor, runPipeline } from '../src/pipeline/run.js';
import { assessorFactory } from '../src/pipeline/wiring.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import type { BenchResult } from './types.js';

const LISTINGS = 1_000;
const DEAD_BUDGET_MS = 3_000;

function listing(i: number): Listing {
  const id = `bulk-${String(i).padStart(5, '0')}`;
  const base = {
    id,
    sourceId: 'bench',
    url: `https://directory.example/agents/${id}`,
    fetchedAt: '2026-01-01T00:00:00.000Z',
    title: `Bulk agent ${i}`,
    summary: 'An autonomous agent that plans tasks and calls tools.',
    text: `Bulk agent ${i} plans multi-step tasks on its own, calls a shell and a browser, and keeps long-term memory in a vector database. It is listed in an MCP registry.`,
    truncated: false,
    fields: { capabilities: ['shell', 'browser', 'memory'], metadata: {}, repositories: [], category: null },
  };
  return { ...base, contentHash: computeContentHash(base) };
}

async function seeded(): Promise<Store> {
  const store = createMemoryStore();
  for (let i = 0; i < LISTINGS; i += 1) await store.listings.put(listing(i));
  return store;
}

/** One run of the 1,000 listings against a fresh fake (same prompt-cache state for both runs). */
async function bulkRun(batch: boolean) {
  const fake = await startFakeOpenAI({ batch: { pollsInProgress: 1 } });
  try {
    const store = await seeded();
    const env = loadEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-bench', THREATDRAFT_MODEL: 'gpt-4o-mini' });
    const { assessor, profile } = await assessorFactory({ env, cache: store.cache })('openai');
    const executor = new LocalExecutor({ store, assessor, modelConcurrency: 16, ...(batch ? { batch: { pollMs: 50 } } : {}) });
    const summary = await runPipeline({ executor, store, profile });
    if (summary.failed > 0 || summary.assessed !== LISTINGS) throw new Error(`bulk run (${batch ? 'batch' : 'live'}) assessed ${summary.assessed}, failed ${summary.failed}: ${summary.failures[0]?.reason ?? ''}`);
    return { summary, requests: fake.requests() };
  } finally {
    await fake.close();
  }
}

/** A TCP server that accepts connections and never answers. */
async function deadEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function deadListingMs(): Promise<{ ms: number; reason: string }> {
  const dead = await deadEndpoint();
  try {
    const store = createMemoryStore();
    const one = listing(0);
    await store.listings.put(one);
    // The CLI's wiring and defaults (60 s request timeout, 3 pipeline attempts), a 3 s listing budget.
    const env = loadEnv({ OPENAI_BASE_URL: dead.url, OPENAI_API_KEY: 'sk-bench', THREATDRAFT_ENDPOINT_PROFILE: 'openai', THREATDRAFT_LISTING_BUDGET_MS: String(DEAD_BUDGET_MS) });
    const { assessor, profile } = await assessorFactory({ env })('openai');
    const executor = new LocalExecutor({ store, assessor, listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS });
    const started = performance.now();
    const summary = await runPipeline({ executor, store, profile });
    const ms = Math.round(performance.now() - started);
    if (summary.failed !== 1) throw new Error('the listing on a dead endpoint should have failed');
    return { ms, reason: summary.failures[0]?.reason ?? '' };
  } finally {
    await dead.close();
  }
}

export async function bench(): Promise<BenchResult[]> {
  const batched = await bulkRun(true);
  const live = await bulkRun(false);
  const ratio = Math.round((batched.summary.costUsd / live.summary.costUsd) * 10_000) / 10_000;
  const dead = await deadListingMs();
  process.stderr.write(
    `model-path: batch $${batched.summary.costUsd.toFixed(4)} in ${batched.requests} requests (${(batched.summary.wallMs / 1000).toFixed(1)} s); live $${live.summary.costUsd.toFixed(4)} in ${live.requests} requests (${(live.summary.wallMs / 1000).toFixed(1)} s); dead endpoint: ${dead.reason.slice(0, 160)}\n`,
  );
  return [
    {
      name: `model-path: HTTP requests for ${LISTINGS} listings through --batch (fake server)`,
      value: batched.requests,
      unit: 'requests',
      target: '< 10',
      ok: batched.requests < 10,
    },
    {
      name: `model-path: --batch cost over the synchronous run's (${LISTINGS} listings, same tokens)`,
      value: ratio,
      unit: '×',
      target: '<= 0.5',
      ok: ratio <= 0.5 + 1e-6,
    },
    {
      name: `model-path: one listing on a dead endpoint, budget ${DEAD_BUDGET_MS / 1000} s (timeout 60 s, 3 attempts)`,
      value: dead.ms,
      unit: 'ms',
      target: `<= ${DEAD_BUDGET_MS} (+5%)`,
      ok: dead.ms <= DEAD_BUDGET_MS * 1.05,
    },
  ];
}
