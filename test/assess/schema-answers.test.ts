/**
 * The model path against engines that answer exactly what the sent JSON schema allows: the fake
 * server in each engine mode makes its first answer from the request's schema alone
 * (`schema-answer.ts`, which knows nothing of our validator), and a repair request gets a valid
 * answer. Every such answer must be accepted, or get exactly one repair whose issues name the
 * fields that broke.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assessmentSchema } from '../../schemas/assessment.js';
import { createOpenAIAssessor } from '../../src/assess/openai-assessor.js';
import { findPackageRoot } from '../../src/assess/prompts.js';
import type { EngineMode } from '../../src/fake-openai/engines.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { answerFromSchema, stringFromPattern, type SchemaStrategy } from '../../src/fake-openai/schema-answer.js';
import { CVSS_BASE_VECTOR_PATTERN } from '../../src/assess/model-schema.js';
import { PermanentError } from '../../src/errors.js';
import { createListing } from '../factories/listing.js';

const KEY = 'sk-test-profiles-000000000';
let fake: FakeOpenAI | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const chatRequests = (server: FakeOpenAI) => server.requestLog.filter((entry) => entry.path.endsWith('/chat/completions'));

async function assessAgainst(mode: EngineMode, answers: SchemaStrategy, model = 'gpt-4o-mini') {
  fake = await startFakeOpenAI({ mode, answers, expectedApiKey: KEY, models: [model] });
  // Profile 'auto': Azure from the URL, the others from GET /v1/models.
  const assessor = createOpenAIAssessor({ apiKey: KEY, baseUrl: fake.baseUrl, model, timeoutMs: 5_000, maxAttempts: 1, sleep: async () => {} });
  try {
    const outcome = await assessor.assess(createListing());
    return { outcome, chats: chatRequests(fake) };
  } finally {
    await assessor.close();
  }
}

const MODES: EngineMode[] = ['openai', 'azure', 'vllm', 'llamacpp', 'ollama'];
const STRATEGIES: [string, SchemaStrategy][] = [
  ['minimal', 'minimal'],
  ['maximal', 'maximal'],
  ['first-choice', 'first-choice'],
  ['seeded 1', { seed: 1 }],
  ['seeded 2', { seed: 2 }],
  ['seeded 3', { seed: 3 }],
];

describe('answers generated from the sent schema alone', () => {
  it('come from a generator that imports nothing from the project (it knows only the JSON schema it is given)', () => {
    const source = readFileSync(join(findPackageRoot(), 'src/fake-openai/schema-answer.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
  });

  it.each(MODES)('%s: every minimal answer is accepted outright', async (mode) => {
    const { outcome, chats } = await assessAgainst(mode, 'minimal');
    expect(chats).toHaveLength(1);
    expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
    // Minimal: no evidence, the lowest values the schema allows, each layer once.
    expect(outcome.assessment.layers.map((layer) => layer.layer)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcome.assessment.factors.autonomyOfAction).toMatchObject({ value: 0, evidence: [] });
  });

  for (const mode of MODES) {
    it.each(STRATEGIES)(`${mode}: a %s answer is accepted or gets exactly one targeted repair`, async (_name, strategy) => {
      const { outcome, chats } = await assessAgainst(mode, strategy);
      expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
      expect(chats.length).toBeLessThanOrEqual(2);
      expect(chats.every((entry) => entry.status === 200)).toBe(true);
      if (chats.length === 2) {
        const repair = chats[1]?.messages.at(-1)?.content ?? '';
        const issues = repair.split('\n').filter((line) => line.startsWith('- '));
        expect(issues.length).toBeGreaterThan(0);
        // Targeted: each issue names the field that broke, never the whole answer.
        for (const issue of issues) expect(issue).toMatch(/^- (summary|factors\.\w+\.(value|rationale|evidence(\.\d+)?)|cvss\.(vector|rationale)|exploitMaturity\.rationale|mitigation\.rationale|layers(\.\d+\.(threats(\.\d+)?|text|evidence(\.\d+)?))?): /);
      }
    });
  }

  it('llama.cpp does not enforce number bounds: out-of-range factor values are a repairable schema error, never clamped', async () => {
    const { chats } = await assessAgainst('llamacpp', { seed: 1 });
    const sentSchema = (chats[0]?.body as { response_format: { json_schema: { schema: { properties: { factors: { properties: Record<string, { properties: { value: object } }> } } } } } }).response_format.json_schema.schema;
    expect(sentSchema.properties.factors.properties['autonomyOfAction']?.properties.value).toEqual({ type: 'number' });
    expect(chats).toHaveLength(2);
    expect(chats[1]?.messages.at(-1)?.content).toMatch(/- factors\.\w+\.value: Too (big|small)/);
  });

  it('a fine-tuned OpenAI model gets a schema without bounds; empty strings then get one repair', async () => {
    const model = 'ft:gpt-4o-mini-2024-07-18:acme::abc123';
    const { outcome, chats } = await assessAgainst('openai', 'minimal', model);
    const sent = JSON.stringify(chats[0]?.body);
    expect(sent).not.toContain('maxLength');
    expect(sent).not.toContain('maxItems');
    expect(chats).toHaveLength(2);
    expect(chats[1]?.messages.at(-1)?.content).toContain('- summary: Too small');
    expect(assessmentSchema.safeParse(outcome.assessment).success).toBe(true);
  });

  it('makes strings from anchored patterns, so a schema-only answer carries a scorable CVSS vector', () => {
    expect(stringFromPattern(CVSS_BASE_VECTOR_PATTERN, false)).toBe('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H');
    expect(stringFromPattern(CVSS_BASE_VECTOR_PATTERN, true)).toBe('CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N');
    expect(stringFromPattern('^a(b|c)?d{2,3}[x-z]+$', false)).toBe('addx');
    expect(answerFromSchema({ type: 'array', minItems: 2, items: { type: 'integer', enum: [1, 2, 3] } }, 'minimal')).toEqual([1, 2]);
    expect(answerFromSchema({ type: 'array', minItems: 2, items: { type: 'integer', enum: [1, 2, 3] } }, 'first-choice')).toEqual([1, 1]);
    expect(answerFromSchema({ type: 'number', minimum: 0, maximum: 1 }, 'maximal', { number: ['maximum'] })).toBe(1e6);
  });
});

describe('engine limits the fake enforces, and what the assessor sends', () => {
  it('openai refuses a schema outside the strict subset; the assessor never sends one', async () => {
    fake = await startFakeOpenAI({ mode: 'openai' });
    const post = (schema: unknown) =>
      fetch(`${fake?.baseUrl ?? ''}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true, schema } } }),
      });
    const open = await post({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    expect(open.status).toBe(400);
    expect(((await open.json()) as { error: { message: string } }).error.message).toContain('additionalProperties');
    const unique = await post({ type: 'object', properties: { a: { type: 'array', uniqueItems: true, items: { type: 'string' } } }, required: ['a'], additionalProperties: false });
    expect(unique.status).toBe(400);
  });

  it('vLLM refuses a prompt plus max_tokens beyond max_model_len; the assessor sizes max_tokens to fit', async () => {
    fake = await startFakeOpenAI({ mode: 'vllm', contextLength: 9_000 });
    const assessor = createOpenAIAssessor({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxAttempts: 1 });
    try {
      await assessor.assess(createListing());
      const chat = chatRequests(fake)[0];
      expect(chat?.status).toBe(200);
      expect(chat?.maxTokens).toBeLessThan(9_000);
      expect((chat?.body as Record<string, unknown>)['max_tokens']).toBe(chat?.maxTokens);
      const refused = await fetch(`${fake.baseUrl}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ ...(chat?.body ?? {}), max_tokens: 9_000 }),
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/maximum context length is 9000 tokens/);
    } finally {
      await assessor.close();
    }
  });

  it('llama.cpp refuses an unanchored pattern, as its grammar conversion does', async () => {
    fake = await startFakeOpenAI({ mode: 'llamacpp' });
    const response = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object', properties: { v: { type: 'string', pattern: '^CVSS' } } } } },
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Pattern must start with '^' and end with '$'");
  });

  it('Azure: the deployment URL with api-version and the api-key header; max_completion_tokens and strict json_schema', async () => {
    fake = await startFakeOpenAI({ mode: 'azure', expectedApiKey: KEY, deployments: ['fake-deployment'] });
    const assessor = createOpenAIAssessor({ apiKey: KEY, baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxAttempts: 1 });
    try {
      const outcome = await assessor.assess(createListing());
      expect(outcome.cached).toBe(false);
      expect(fake.requestLog.map((entry) => entry.path)).toEqual(['/openai/deployments/fake-deployment/chat/completions']);
      const body = fake.requestLog[0]?.body ?? {};
      expect(body).toMatchObject({ model: 'fake-deployment', response_format: { json_schema: { strict: true } } });
      expect(body['max_completion_tokens']).toBeGreaterThan(10_000);
      expect(body['max_tokens']).toBeUndefined();
    } finally {
      await assessor.close();
    }
    const missing = await fetch(`${fake.origin}/openai/deployments/fake-deployment/chat/completions`, { method: 'POST', headers: { 'api-key': KEY }, body: '{}' });
    expect(missing.status).toBe(404);
    const unknown = createOpenAIAssessor({ apiKey: KEY, baseUrl: `${fake.origin}/openai/deployments/nope`, model: 'gpt-4o-mini', maxAttempts: 1 });
    const error = await unknown.assess(createListing()).catch((thrown: unknown) => thrown as Error);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_MODEL_NOT_FOUND' });
    expect((error as Error).message).toContain('/openai/deployments/nope');
    await unknown.close();
  });

  it('a refused key fails at once and the error names the endpoint and model, never the key', async () => {
    fake = await startFakeOpenAI({ expectedApiKey: 'sk-the-right-key-0000000', echoApiKeyInErrors: true });
    const assessor = createOpenAIAssessor({ apiKey: KEY, baseUrl: fake.baseUrl, model: 'gpt-4.1-mini', profile: 'openai' });
    const error = (await assessor.assess(createListing()).catch((thrown: unknown) => thrown)) as Error;
    expect(error).toMatchObject({ code: 'E_MODEL_AUTH' });
    expect(error.message).toContain(fake.baseUrl);
    expect(error.message).toContain('gpt-4.1-mini');
    expect(error.message).not.toContain(KEY);
    expect(fake.requests()).toBe(1);
    await assessor.close();
  });

  it('sends max_tokens sized from the schema, below the configured cap, and prompt_cache_key on OpenAI', async () => {
    fake = await startFakeOpenAI();
    const assessor = createOpenAIAssessor({ baseUrl: fake.baseUrl, apiKey: KEY, model: 'gpt-4o-mini', profile: 'openai', maxTokensCap: 50_000 });
    await assessor.assess(createListing());
    const body = fake.requestLog[0]?.body ?? {};
    expect(body['max_completion_tokens']).toBeGreaterThan(10_000);
    expect(body['max_completion_tokens']).toBeLessThan(16_384);
    expect(String(body['prompt_cache_key'])).toMatch(/^threatdraft-[a-f0-9]{16}$/);
    await assessor.close();
    // A cap below the answer's length: the engine stops at max_tokens, a permanent E_MODEL_LENGTH, not a hang.
    const capped = createOpenAIAssessor({ baseUrl: fake.baseUrl, apiKey: KEY, model: 'gpt-4o-mini', profile: 'openai', maxTokensCap: 100 });
    fake.reset();
    const error = (await capped.assess(createListing()).catch((thrown: unknown) => thrown)) as Error;
    expect(fake.requestLog[0]?.maxTokens).toBe(100);
    expect(error).toMatchObject({ code: 'E_MODEL_LENGTH' });
    expect(fake.requests()).toBe(1);
    await capped.close();
  });
});
