/**
 * The openai assessor's prompt size and its own overhead, built exactly as the CLI builds it
 * (`createAssessor('openai')`, so with the rules assessor's hints): median prompt tokens per reference
 * listing, counted (o200k tokenizer) on the messages the fake server actually received, and
 * assessments per second against the fake server at 0 ms latency (HTTP, SDK, JSON and schema
 * validation, and the rules hints, on this machine; a real model is far slower).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Listing } from '../schemas/listing.js';
import { createAssessor } from '../src/assess/create-assessor.js';
import { estimatePromptTokens } from '../src/assess/openai-assessor.js';
import { findPackageRoot } from '../src/assess/prompts.js';
import { loadEnv } from '../src/config.js';
import { extractListing } from '../src/crawl/extract.js';
import { startFakeOpenAI } from '../src/fake-openai/server.js';
import type { BenchResult } from './types.js';

const DURATION_MS = 3_000;
const CONCURRENCY = 4;
const TARGET_MEDIAN_TOKENS = 4_000;
const TARGET_PER_SECOND = 50;

function referenceListings(): Listing[] {
  const dir = join(findPackageRoot(), 'evals/cases');
  return readdirSync(dir)
    .filter((name) => name.startsWith('ref-'))
    .sort()
    .map((name) =>
      extractListing(readFileSync(join(dir, name, 'listing.html'), 'utf8'), {
        url: `https://directory.example/agents/${name}`,
        sourceId: 'bench',
        fetchedAt: '2026-01-01T00:00:00Z',
      }),
    );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : Math.round(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
}

/** Median prompt tokens per listing as sent, and assessments per second against the fake at latency 0. */
export async function bench(): Promise<BenchResult[]> {
  const listings = referenceListings();
  const server = await startFakeOpenAI({ latencyMs: 0, expectedApiKey: 'bench-key' });
  let medianTokens: number;
  let perSecond: number;
  try {
    // The assessor the CLI builds: same factory, same rules hints, no cache (as `assess`).
    const { assessor } = await createAssessor('openai', {
      env: loadEnv({}),
      cache: null,
      openai: { apiKey: 'bench-key', baseUrl: server.baseUrl, model: 'gpt-4o-mini', timeoutMs: 10_000, maxAttempts: 1 },
    });
    for (const listing of listings) await assessor.assess(listing);
    const sent = server.requestLog.filter((entry) => entry.status === 200 && entry.path === '/v1/chat/completions').map((entry) => estimatePromptTokens(entry.messages));
    if (sent.length !== listings.length) throw new Error(`expected ${listings.length} answered requests, saw ${sent.length}`);
    medianTokens = median(sent);

    let count = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (performance.now() - started < DURATION_MS) {
        const listing = listings[next++ % listings.length] as Listing;
        await assessor.assess(listing);
        count++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    perSecond = Math.round(count / ((performance.now() - started) / 1000));
  } finally {
    await server.close();
  }

  return [
    {
      name: `assess-openai: median prompt tokens per listing as sent, rules hints included (${listings.length} reference listings)`,
      value: medianTokens,
      unit: 'tokens',
      target: `<= ${TARGET_MEDIAN_TOKENS}`,
      ok: medianTokens <= TARGET_MEDIAN_TOKENS,
    },
    {
      name: `assess-openai: assessments per second vs fake server (latency 0, concurrency ${CONCURRENCY})`,
      value: perSecond,
      unit: 'assessments/s',
      target: `>= ${TARGET_PER_SECOND}`,
      ok: perSecond >= TARGET_PER_SECOND,
    },
  ];
}
