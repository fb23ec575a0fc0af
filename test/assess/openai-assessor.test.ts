import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { assessmentSchema, type Assessment } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Assessor } from '../../src/assess/assessor.js';
import {
  MODEL_RESPONSE_NAMESPACE,
  createOpenAIAssessor,
  crossCheck,
  redactSecrets,
  retryAfterMs,
  type OpenAIAssessorOptions,
} from '../../src/assess/openai-assessor.js';
import { PermanentError, TransientError } from '../../src/errors.js';
import { generateAssessment } from '../../src/fake-openai/generator.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import type { CacheRepo } from '../../src/store/store.js';
import { createListing } from '../factories/listing.js';
import { toAssessment } from '../../src/assess/model-schema.js';

const API_KEY = 'sk-test-Zq81SECRETkeyDoNotLeak0042';

class MemoryCache implements CacheRepo {
  readonly entries = new Map<string, unknown>();
  async get<T = unknown>(namespace: string, key: string): Promise<T | null> {
    return (this.entries.get(`${namespace}\u0000${key}`) as T | undefined) ?? null;
  }
  async set(namespace: string, key: string, value: unknown): Promise<void> {
    this.entries.set(`${namespace}\u0000${key}`, structuredClone(value));
  }
  async delete(namespace: string, key: string): Promise<void> {
    this.entries.delete(`${namespace}\u0000${key}`);
  }
}

let server: FakeOpenAI;
let logText: string;
let waits: number[];

const logger = () =>
  pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString('utf8');
        done();
      },
    }),
  );

function assessor(overrides: Partial<OpenAIAssessorOptions> = {}): Assessor {
  return createOpenAIAssessor({
    apiKey: API_KEY,
    baseUrl: server.baseUrl,
    model: 'gpt-4o-mini',
    // Configured, so no GET /v1/models detection request is counted (detection has its own tests).
    profile: 'openai',
    timeoutMs: 2_000,
    maxAttempts: 3,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    logger: logger(),
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(async () => {
  server = await startFakeOpenAI({ expectedApiKey: API_KEY });
  logText = '';
  waits = [];
});

afterEach(async () => {
  await server.close();
});

describe('openai assessor against the fake server', () => {
  it('returns a valid, grounded assessment with usage, cost and provenance from one request', async () => {
    const listing = createListing();
    const outcome = await assessor().assess(listing);

    expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
    expect(outcome.assessment).toEqual(toAssessment(generateAssessment({ ...expectedBlock(listing) })));
    for (const quote of LISTING_FACTOR_KEYS.flatMap((key) => outcome.assessment.factors[key].evidence)) {
      expect(listing.text).toContain(quote);
    }
    expect(outcome.usage.tokensIn).toBeGreaterThan(100);
    expect(outcome.usage.tokensOut).toBeGreaterThan(10);
    expect(outcome.usage.costUsd).toBeCloseTo((outcome.usage.tokensIn * 0.15 + outcome.usage.tokensOut * 0.6) / 1e6, 9);
    expect(outcome).toMatchObject({ model: 'gpt-4o-mini', promptId: 'assess-listing', cached: false, notes: [] });
    expect(outcome.promptHash).toMatch(/^[a-f0-9]{64}$/);
    expect(server.requests()).toBe(1);
    expect(server.requestLog[0]).toMatchObject({ path: '/v1/chat/completions', status: 200, temperature: 0, seed: 7 });
  });

  it('waits the Retry-After of a 429, then succeeds on the second attempt', async () => {
    server.setFaults({ sequence: [{ kind: 'rate-limit', retryAfterSeconds: 2 }] });
    const outcome = await assessor().assess(createListing());
    expect(outcome.cached).toBe(false);
    expect(server.requests()).toBe(2);
    expect(waits).toEqual([2_000]);
  });

  it('prefers retry-after-ms, and honours a Retry-After longer than the backoff cap while it fits the budget', async () => {
    server.setFaults({
      sequence: [
        { kind: 'rate-limit', retryAfterSeconds: 9, retryAfterMs: 120 },
        { kind: 'rate-limit', retryAfterSeconds: 40 },
      ],
    });
    await assessor({ backoffMaxMs: 5_000 }).assess(createListing());
    expect(server.requests()).toBe(3);
    expect(waits).toEqual([120, 40_000]);
  });

  it('gives up at once with E_MODEL_BUDGET, naming endpoint and model, when a Retry-After does not fit what is left of the budget', async () => {
    server.setFaults({ sequence: [{ kind: 'rate-limit', retryAfterSeconds: 3_600 }] });
    const error = await rejection(assessor({ budgetMs: 90_000 }).assess(createListing()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_MODEL_BUDGET', context: { listingId: 'acme-ops-agent', attempts: 1 } });
    expect(error.message).toContain(server.baseUrl);
    expect(error.message).toContain('gpt-4o-mini');
    expect(server.requests()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('stops retrying when the listing budget runs out, however many attempts are left', async () => {
    let clock = 1_000_000;
    server.setFaults({ sequence: ['server-error', 'server-error', 'server-error', 'server-error', 'server-error'] });
    const error = await rejection(
      assessor({
        maxAttempts: 10,
        budgetMs: 2_000,
        backoffBaseMs: 800,
        now: () => clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      }).assess(createListing()),
    );
    expect(error).toMatchObject({ code: 'E_MODEL_BUDGET' });
    // 600 ms then 1,200 ms of (jittered) backoff fit 2 s; the third wait would not.
    expect(waits).toEqual([600, 1_200]);
    expect(server.requests()).toBe(3);
  });

  it('gives up with a TransientError after maxAttempts 429s', async () => {
    server.setFaults({ sequence: ['rate-limit', 'rate-limit', 'rate-limit', 'rate-limit'] });
    const error = await rejection(assessor().assess(createListing()));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_MODEL_RATE_LIMIT', retryAfterMs: 1_000 });
    expect(server.requests()).toBe(3);
  });

  it('retries a 500 with jittered exponential backoff, then succeeds', async () => {
    server.setFaults({ sequence: ['server-error', { kind: 'server-error', status: 503 }] });
    await assessor().assess(createListing());
    expect(server.requests()).toBe(3);
    // base 500 ms, equal jitter with random 0.5: 375 ms then 750 ms.
    expect(waits).toEqual([375, 750]);
  });

  it('retries a request that outlives the client timeout, then succeeds', async () => {
    server.setFaults({ sequence: [{ kind: 'delay', ms: 3_000 }] });
    const started = performance.now();
    const outcome = await assessor({ timeoutMs: 250 }).assess(createListing());
    expect(outcome.cached).toBe(false);
    expect(server.requests()).toBe(2);
    expect(performance.now() - started).toBeLessThan(2_500);
  });

  it('fails with E_MODEL_TIMEOUT once every attempt times out', async () => {
    server.setFaults({ sequence: [{ kind: 'delay', ms: 3_000 }, { kind: 'delay', ms: 3_000 }] });
    const error = await rejection(assessor({ timeoutMs: 200, maxAttempts: 2 }).assess(createListing()));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_MODEL_TIMEOUT' });
    expect(error.message).toContain('gave up after 2 attempts');
    expect(server.requests()).toBe(2);
  });

  it.each([
    ['a connection reset', 'reset'],
    ['a truncated response body', 'truncated-body'],
  ] as const)('retries after %s, then succeeds', async (_name, fault) => {
    server.setFaults({ sequence: [fault] });
    const outcome = await assessor().assess(createListing());
    expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
    expect(server.requests()).toBe(2);
    expect(waits).toHaveLength(1);
  });

  it('repairs schema-breaking output with one follow-up that lists the validation errors', async () => {
    server.setFaults({ sequence: ['schema-break'] });
    const outcome = await assessor().assess(createListing());
    expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
    expect(server.requests()).toBe(2);
    const repair = server.requestLog[1]?.messages ?? [];
    expect(repair.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(repair[3]?.content).toContain('summary');
    expect(repair[3]?.content).toContain('factors.autonomyOfAction.value');
    expect(repair[3]?.content).toContain('layers');
    // Both calls are paid for.
    expect(outcome.usage.tokensIn).toBeGreaterThan(server.requestLog.length * 100);
  });

  it('repairs output whose JSON is cut off', async () => {
    server.setFaults({ sequence: ['truncated-content'] });
    const outcome = await assessor().assess(createListing());
    expect(outcome.assessment.layers).toHaveLength(7);
    expect(server.requests()).toBe(2);
    expect(server.requestLog[1]?.messages[3]?.content).toContain('not valid JSON');
  });

  it('fails with PermanentError E_MODEL_OUTPUT when the repair breaks the schema too', async () => {
    server.setFaults({ sequence: ['schema-break', 'schema-break'] });
    const error = await rejection(assessor().assess(createListing()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_MODEL_OUTPUT', context: { listingId: 'acme-ops-agent' } });
    expect(error.message).toContain('summary');
    expect(server.requests()).toBe(2);
  });

  it('treats a refusal as permanent and does not retry', async () => {
    server.setFaults({ sequence: [{ kind: 'refusal', message: 'I cannot help with that.' }] });
    const error = await rejection(assessor().assess(createListing()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_MODEL_REFUSAL' });
    expect(server.requests()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('treats finish_reason length as permanent', async () => {
    server.script({ content: '{"summary": "cut', finishReason: 'length' });
    const error = await rejection(assessor().assess(createListing()));
    expect(error).toMatchObject({ code: 'E_MODEL_LENGTH' });
    expect(server.requests()).toBe(1);
  });

  it('answers a second identical call from the cache with zero requests', async () => {
    const cache = new MemoryCache();
    const listing = createListing();
    const first = await assessor({ cache }).assess(listing);
    const second = await assessor({ cache }).assess(listing);
    expect(server.requests()).toBe(1);
    expect(second).toEqual({ ...first, cached: true, usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 } });
    expect([...cache.entries.keys()][0]).toMatch(new RegExp(`^${MODEL_RESPONSE_NAMESPACE}\u0000[a-f0-9]{64}$`));

    await assessor({ cache, model: 'gpt-4.1-mini' }).assess(listing);
    await assessor({ cache }).assess(createListing({ text: `${listing.text}\nNow with a browser.` }));
    expect(server.requests()).toBe(3);
  });

  it('ignores a corrupt cache entry and asks the model again', async () => {
    const cache = new MemoryCache();
    const listing = createListing();
    await assessor({ cache }).assess(listing);
    for (const key of cache.entries.keys()) cache.entries.set(key, { v: 1, assessment: { summary: 'x' } });
    const again = await assessor({ cache }).assess(listing);
    expect(again.cached).toBe(false);
    expect(server.requests()).toBe(2);
  });

  it('never puts the API key in logs, errors or outcomes, even when the endpoint echoes it', async () => {
    const stderr: string[] = [];
    const writeSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        stderr.push(args.map(String).join(' '));
      }),
    );
    const rejecting = await startFakeOpenAI({ expectedApiKey: 'sk-the-right-one-000000', echoApiKeyInErrors: true });
    try {
      const error = await rejection(assessor({ baseUrl: rejecting.baseUrl }).assess(createListing()));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({ code: 'E_MODEL_AUTH' });
      expect(rejecting.requests()).toBe(1);

      server.setFaults({ sequence: ['rate-limit', 'schema-break', 'reset'] });
      const outcome = await assessor({ cache: new MemoryCache() }).assess(createListing());

      const haystack = [
        error.message,
        String(error.stack),
        JSON.stringify(error),
        String((error as { cause?: unknown }).cause),
        String(((error as { cause?: Error }).cause)?.stack),
        JSON.stringify(outcome),
        logText,
        stderr.join('\n'),
      ].join('\n');
      expect(logText).toContain('retrying');
      expect(error.message).toContain('[redacted]');
      expect(haystack).not.toContain(API_KEY);
      expect(haystack).not.toContain('SECRETkey');
    } finally {
      writeSpy.mockRestore();
      for (const spy of consoleSpies) spy.mockRestore();
      await rejecting.close();
    }
  });

  it('gives the model the rules hints and notes factors where the two differ by more than 0.4', async () => {
    const listing = createListing();
    const modelAnswer = generateAssessment(expectedBlock(listing));
    const rulesAnswer: Assessment = toAssessment(structuredClone(modelAnswer));
    rulesAnswer.factors.dynamicToolUse.value = modelAnswer.factors.dynamicToolUse.value > 0.5 ? 0 : 1;
    rulesAnswer.factors.nonDeterminism.value = Math.min(1, modelAnswer.factors.nonDeterminism.value + 0.4);
    const rules: Assessor = {
      id: 'rules',
      version: 'rules-test',
      assess: async () => ({
        assessment: rulesAnswer,
        usage: { tokensIn: 0, tokensOut: 0, costUsd: 0 },
        model: null,
        promptId: null,
        promptHash: null,
        cached: false,
        notes: [],
      }),
    };
    const outcome = await assessor({ hints: rules }).assess(listing);
    expect(outcome.notes).toEqual([
      {
        code: 'assessor-disagreement',
        message: expect.stringContaining('Dynamic Tool Use') as unknown as string,
        where: 'factors.dynamicToolUse',
      },
    ]);
    const user = server.requestLog[0]?.messages[1]?.content ?? '';
    expect(user).toContain('Hints from a deterministic rules engine');
    expect(user).toContain(`dynamicToolUse (Dynamic Tool Use): ${rulesAnswer.factors.dynamicToolUse.value.toFixed(2)}`);
  });

  it('counts an unknown model as costing nothing and says so in the log', async () => {
    const outcome = await assessor({ model: 'local-llama' }).assess(createListing());
    expect(outcome.usage.costUsd).toBe(0);
    expect(outcome.usage.tokensIn).toBeGreaterThan(0);
    expect(logText).toContain('no price for model local-llama');
  });

  it('stops without retrying when the caller aborts', async () => {
    server.setFaults({ sequence: [{ kind: 'delay', ms: 3_000 }] });
    const controller = new AbortController();
    const pending = assessor().assess(createListing(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect(error).toMatchObject({ code: 'E_ABORTED' });
    expect(server.requests()).toBe(1);
  });
});

describe('openai assessor helpers', () => {
  it('reads retry-after-ms, then Retry-After seconds or an HTTP date', () => {
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), 0)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }), 0)).toBe(2_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 1970 00:00:05 GMT' }), 1_000)).toBe(4_000);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), 0)).toBeNull();
    expect(retryAfterMs(headers({}), 0)).toBeNull();
  });

  it('redacts the key and key-shaped strings', () => {
    expect(redactSecrets(`bad key ${API_KEY} and sk-proj-abcdef123456`, API_KEY)).toBe('bad key [redacted] and [redacted]');
  });

  it('hardening #8: redacts the API key and key-shaped strings a model echoes in its answer, before it is cached or returned', async () => {
    const listing = createListing();
    const answer = generateAssessment(expectedBlock(listing));
    const github = `ghp_${'A1b2C3d4E5'.repeat(4)}`;
    answer.summary = `Configured with ${API_KEY}; it also holds ${github}.`;
    answer.factors.dynamicToolUse.rationale = `Calls tools with key ${API_KEY}.`;
    answer.layers[0]!.text = `Uses AKIAABCDEFGHIJKLMNOP for storage. ${answer.layers[0]!.text}`;
    server.script({ content: answer as unknown as Record<string, unknown> });
    const cache = new MemoryCache();
    const outcome = await assessor({ cache }).assess(listing);
    const stored = JSON.stringify([...cache.entries.values()]);
    for (const text of [JSON.stringify(outcome.assessment), stored]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(github);
      expect(text).not.toContain('AKIAABCDEFGHIJKLMNOP');
    }
    expect(outcome.assessment.summary).toBe('Configured with [redacted]; it also holds [redacted].');
    expect(outcome.assessment.factors.dynamicToolUse.rationale).toBe('Calls tools with key [redacted].');
    expect(cache.entries.size).toBe(1);
    // An answer cached by an older version, key and all, is redacted on the way out too.
    const [entryKey] = [...cache.entries.keys()];
    cache.entries.set(entryKey!, { v: 1, model: 'gpt-4o-mini', assessment: answer, tokensIn: 1, tokensOut: 1 });
    const again = await assessor({ cache }).assess(listing);
    expect(again.cached).toBe(true);
    expect(JSON.stringify(again.assessment)).not.toContain(API_KEY);
  });

  it('notes no disagreement at exactly 0.4 apart', () => {
    const a = toAssessment(generateAssessment({ id: 'x', title: 'X', summary: '', capabilities: [], text: '' }));
    const b: Assessment = structuredClone(a);
    b.factors.autonomyOfAction.value = a.factors.autonomyOfAction.value + 0.4;
    expect(crossCheck(a, b)).toEqual([]);
    b.factors.autonomyOfAction.value = a.factors.autonomyOfAction.value + 0.45;
    expect(crossCheck(a, b)).toHaveLength(1);
  });

  it('refuses to start without a key for api.openai.com', () => {
    expect(() => createOpenAIAssessor({ model: 'gpt-4o-mini' })).toThrow(/OPENAI_API_KEY/);
  });
});

function expectedBlock(listing: ReturnType<typeof createListing>) {
  return { id: listing.id, title: listing.title, summary: listing.summary, capabilities: listing.fields.capabilities, text: listing.text };
}

describe('openai assessor under random faults', () => {
  it('assesses every listing through seeded random transient faults, one HTTP attempt per fault plus one', async () => {
    server.setFaults({
      random: { seed: 20250101, rates: { 'rate-limit': 0.1, 'server-error': 0.1, reset: 0.05, 'truncated-body': 0.05 }, retryAfterSeconds: 0 },
    });
    const run = assessor({ maxAttempts: 8 });
    const listings = Array.from({ length: 20 }, (_, index) =>
      createListing({ id: `agent-${index}`, text: `Agent ${index} calls tools.\nIt keeps memory ${index}.` }),
    );
    const outcomes = await Promise.all(listings.map((listing) => run.assess(listing)));
    expect(outcomes.every((outcome) => outcome.assessment.layers.length === 7)).toBe(true);
    const faulted = server.requestLog.filter((entry) => entry.fault !== null).length;
    expect(faulted).toBeGreaterThan(0);
    expect(server.requests()).toBe(listings.length + faulted);
    expect(waits).toHaveLength(faulted);
  });

  it('fails at once with E_MODEL_NOT_FOUND when the endpoint path does not exist', async () => {
    const error = await rejection(assessor({ baseUrl: server.baseUrl.replace(/\/v1$/, '/v2') }).assess(createListing()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_MODEL_NOT_FOUND' });
    expect(server.requests()).toBe(1);
  });
});
