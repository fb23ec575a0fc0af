import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIAssessor, type OpenAIAssessor } from '../../src/assess/openai-assessor.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { InputError } from '../../src/errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { readBatchLine, runBatchAssess, type BatchStatus } from '../../src/pipeline/batch-assess.js';
import { profileOf } from '../../src/pipeline/profile.js';
import { LocalExecutor, runPipeline } from '../../src/pipeline/run.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { manyListings } from './helpers.js';

const KEY = 'sk-test-batch-00000000';
const servers: FakeOpenAI[] = [];
const assessors: OpenAIAssessor[] = [];

afterEach(async () => {
  for (const assessor of assessors.splice(0)) await assessor.close();
  for (const server of servers.splice(0)) await server.close();
});

async function fake(options: Parameters<typeof startFakeOpenAI>[0] = {}): Promise<FakeOpenAI> {
  const server = await startFakeOpenAI({ expectedApiKey: KEY, ...options });
  servers.push(server);
  return server;
}

function assessorFor(server: FakeOpenAI, profile: 'openai' | 'auto' = 'openai'): OpenAIAssessor {
  const assessor = createOpenAIAssessor({ apiKey: KEY, baseUrl: server.baseUrl, model: 'gpt-4o-mini', profile, hints: createRulesAssessor(), maxAttempts: 1 });
  assessors.push(assessor);
  return assessor;
}

async function seeded(count: number): Promise<{ store: Store; refs: { id: string; contentHash: string }[] }> {
  const store = createMemoryStore();
  const listings = manyListings(count);
  for (const listing of listings) await store.listings.put(listing);
  return { store, refs: listings.map((listing) => ({ id: listing.id, contentHash: listing.contentHash })) };
}

const noWait = async (): Promise<void> => {};
const paths = (server: FakeOpenAI) => server.requestLog.map((entry) => `${entry.method} ${entry.path.replace(/(file-|batch_)[a-z0-9]+/g, '$1…')}`);

describe('run through the Batch API', () => {
  it('uploads one JSONL, creates one batch, polls it, downloads the output and stores every draft at half the live price', async () => {
    const server = await fake();
    const { store, refs } = await seeded(20);
    const assessor = assessorFor(server);
    const statuses: BatchStatus[] = [];
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait, onStatus: (status) => statuses.push(status) });
    expect(tally).toMatchObject({ assessed: 20, unchanged: 0, failed: 0 });
    expect(paths(server)).toEqual(['POST /v1/files', 'POST /v1/batches', 'GET /v1/batches/batch_…', 'GET /v1/batches/batch_…', 'GET /v1/files/file-…/content']);
    expect(statuses.map((status) => status.status)).toEqual(['in_progress', 'completed']);
    const [batch] = server.batches();
    expect(batch).toMatchObject({ endpoint: '/v1/chat/completions', lines: 20, status: 'completed', requestCounts: { total: 20, completed: 20, failed: 0 } });
    const drafts = await store.drafts.list();
    expect(drafts).toHaveLength(20);
    expect(drafts.every((draft) => draft.provenance.batchId === batch?.id)).toBe(true);

    // The same listings live, on a fresh server (same prompt cache state): the batch cost half.
    const live = await fake();
    const liveStore = (await seeded(20)).store;
    const liveAssessor = assessorFor(live);
    const liveTally = await new LocalExecutor({ store: liveStore, assessor: liveAssessor, modelConcurrency: 1 }).assess(refs, profileOf(liveAssessor), {});
    expect(liveTally.assessed).toBe(20);
    expect(tally.tokensIn).toBe(liveTally.tokensIn);
    expect(tally.costUsd).toBeCloseTo(liveTally.costUsd / 2, 9);
    // A rerun finds everything unchanged: no request at all.
    server.reset();
    const again = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(again).toMatchObject({ assessed: 0, unchanged: 20 });
    expect(server.requests()).toBe(0);
  });

  it('keeps the batch id, so a run after a crash resumes polling the same batch instead of paying again', async () => {
    const server = await fake({ batch: { pollsInProgress: 3 } });
    const { store, refs } = await seeded(8);
    const assessor = assessorFor(server);
    const controller = new AbortController();
    const first = runBatchAssess(refs, {
      store,
      assessor,
      profile: profileOf(assessor),
      pollMs: 1,
      sleep: noWait,
      signal: controller.signal,
      // Ctrl-C while the batch is in progress.
      onStatus: (status) => {
        if (status.status === 'in_progress') controller.abort(new Error('interrupted'));
      },
    });
    await expect(first).rejects.toThrow();
    expect(controller.signal.aborted).toBe(true);
    expect(server.batches()).toHaveLength(1);
    expect(await store.drafts.list()).toHaveLength(0);

    server.reset();
    const resumed = await runBatchAssess(refs, { store, assessor: assessorFor(server), profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(resumed).toMatchObject({ assessed: 8, failed: 0 });
    expect(paths(server).filter((path) => path.startsWith('POST'))).toEqual([]);
    expect(server.batches()).toHaveLength(1);
    expect(await store.drafts.list()).toHaveLength(8);
  });

  it('resubmits only what an expired batch left without an answer', async () => {
    const server = await fake({ batch: { outcome: (number) => (number === 1 ? 'expired' : 'completed'), expiredDone: 0.5 } });
    const { store, refs } = await seeded(10);
    const assessor = assessorFor(server);
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(tally).toMatchObject({ assessed: 10, failed: 0 });
    const batches = server.batches();
    expect(batches.map((batch) => [batch.status, batch.lines])).toEqual([
      ['expired', 10],
      ['completed', 5],
    ]);
    expect(batches[0]?.requestCounts).toEqual({ total: 10, completed: 5, failed: 5 });
  });

  it('resubmits lines that failed in an error file, and fails a listing after the bounded rounds', async () => {
    const seen = new Map<string, number>();
    const server = await fake({
      batch: {
        // agent-0001 fails every round; the others fail once.
        failLine: (customId, index) => {
          const count = (seen.get(customId) ?? 0) + 1;
          seen.set(customId, count);
          return index % 3 === 0 && (count === 1 || customId === stuck.key);
        },
      },
    });
    const { store, refs } = await seeded(6);
    const assessor = assessorFor(server);
    const listing = await store.listings.get('agent-0000');
    const prepared = await assessor.prepare(listing!);
    const stuck = 'request' in prepared ? prepared.request : { key: '' };
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait, maxRounds: 3 });
    expect(tally.assessed).toBe(5);
    expect(tally.failures).toEqual([{ id: 'agent-0000', code: 'E_BATCH_INCOMPLETE', reason: expect.stringContaining('No answer after 3 batch rounds') as unknown as string, attempts: 3 }]);
    expect(server.batches().map((batch) => batch.lines)).toEqual([6, 2, 1]);
  });

  it('validates each answer like a live one: a broken answer gets one live repair call', async () => {
    const server = await fake({
      responder: ({ listing, batch }) => (batch && listing?.id === 'agent-0002' ? { content: { summary: 'only a summary' } } : null),
    });
    const { store, refs } = await seeded(4);
    const assessor = assessorFor(server);
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(tally).toMatchObject({ assessed: 4, failed: 0 });
    const live = server.requestLog.filter((entry) => entry.path === '/v1/chat/completions');
    expect(live).toHaveLength(1);
    expect(live[0]?.listingId).toBe('agent-0002');
    expect(live[0]?.messages.at(-1)?.content).toContain('does not match the required schema');
    const repaired = await store.drafts.current('agent-0002');
    // The repair is paid at the live rate on top of the batch answer.
    const other = await store.drafts.current('agent-0003');
    expect(repaired?.provenance.costUsd).toBeGreaterThan(other?.provenance.costUsd ?? 0);
  });

  it('sends one line for listings with the same content (custom_ids are unique); the others read its answer', async () => {
    const server = await fake();
    const store = createMemoryStore();
    const [a] = manyListings(1);
    const twin = { ...a!, id: 'agent-twin', url: 'https://directory.example/agents/agent-twin' };
    await store.listings.put(a!);
    await store.listings.put(twin);
    const assessor = createOpenAIAssessor({ apiKey: KEY, baseUrl: server.baseUrl, model: 'gpt-4o-mini', profile: 'openai', cache: store.cache });
    assessors.push(assessor);
    const refs = [a!, twin].map((listing) => ({ id: listing.id, contentHash: listing.contentHash }));
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(tally).toMatchObject({ assessed: 2, failed: 0 });
    expect(server.batches().map((batch) => batch.lines)).toEqual([1]);
    expect((await store.drafts.current('agent-twin'))?.provenance.cached).toBe(true);
  });

  it('Azure: lines and batch take /chat/completions and the deployment as model', async () => {
    const server = await fake({ mode: 'azure' });
    const { store, refs } = await seeded(3);
    const assessor = assessorFor(server, 'auto');
    const tally = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor), pollMs: 1, sleep: noWait });
    expect(tally.assessed).toBe(3);
    expect(server.batches()[0]?.endpoint).toBe('/chat/completions');
    expect(server.requestLog.map((entry) => entry.path)).toContain('/openai/files');
  });

  it('refuses an endpoint without a Batch API (vLLM, llama.cpp, Ollama) with an InputError naming it', async () => {
    const server = await startFakeOpenAI({ mode: 'vllm' });
    servers.push(server);
    const { store, refs } = await seeded(1);
    const assessor = createOpenAIAssessor({ baseUrl: server.baseUrl, model: 'gpt-4o-mini' });
    assessors.push(assessor);
    const error = await runBatchAssess(refs, { store, assessor, profile: profileOf(assessor) }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InputError);
    expect(String((error as Error).message)).toMatch(/vLLM .* has no Batch API/);
  });

  it('runs through runPipeline with the local executor in batch mode', async () => {
    const server = await fake();
    const { store } = await seeded(5);
    const assessor = assessorFor(server);
    const executor = new LocalExecutor({ store, assessor, batch: { pollMs: 1 } });
    const summary = await runPipeline({ executor, store, profile: profileOf(assessor) });
    expect(summary).toMatchObject({ listings: 5, assessed: 5, failed: 0 });
    expect(server.requestLog.filter((entry) => entry.method === 'POST')).toHaveLength(2);
  });
});

describe('batch output lines', () => {
  it.each([
    ['an answer', { custom_id: 'a', response: { status_code: 200, body: { choices: [{ message: { content: '{}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 8 } } } } }, { kind: 'answer', answer: { content: '{}', tokensIn: 10, tokensOut: 2, tokensCached: 8 } }],
    ['an expired request', { custom_id: 'a', response: null, error: { code: 'batch_expired', message: 'not run' } }, { kind: 'retry' }],
    ['a 500', { custom_id: 'a', response: { status_code: 500, body: { error: { message: 'oops' } } } }, { kind: 'retry' }],
    ['a 429', { custom_id: 'a', response: { status_code: 429, body: {} } }, { kind: 'retry' }],
    ['a 400', { custom_id: 'a', response: { status_code: 400, body: { error: { message: 'bad schema' } } } }, { kind: 'failed', code: 'E_MODEL_BAD_REQUEST' }],
    ['a refusal', { custom_id: 'a', response: { status_code: 200, body: { choices: [{ message: { content: null, refusal: 'no' }, finish_reason: 'stop' }] } } }, { kind: 'failed', code: 'E_MODEL_REFUSAL' }],
    ['a cut answer', { custom_id: 'a', response: { status_code: 200, body: { choices: [{ message: { content: '{"a' }, finish_reason: 'length' }] } } }, { kind: 'failed', code: 'E_MODEL_LENGTH' }],
  ] as const)('reads %s', (_name, line, expected) => {
    expect(readBatchLine(line as Parameters<typeof readBatchLine>[0])).toMatchObject(expected);
  });
});
