import { describe, expect, it } from 'vitest';
import {
  ENDPOINT_PROFILES,
  PROFILE_IDS,
  contextLengthOf,
  detectProfile,
  isAzureUrl,
  limitsFor,
  type ProfileId,
} from '../../src/assess/endpoint-profiles.js';
import { azureParts } from '../../src/assess/endpoint.js';
import { assessmentJsonSchema, schemaForEngine, type JsonSchema } from '../../src/assess/model-schema.js';

/** Every keyword used anywhere in a schema, by the type of the node it sits on. */
function keywords(schema: unknown, out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return out;
  const node = schema as JsonSchema;
  const type = String(node['type']);
  const set = out.get(type) ?? new Set<string>();
  for (const key of Object.keys(node)) set.add(key);
  out.set(type, set);
  for (const child of Object.values((node['properties'] ?? {}) as Record<string, unknown>)) keywords(child, out);
  if (node['items'] !== undefined) keywords(node['items'], out);
  return out;
}

describe('endpoint profiles (one entry each)', () => {
  const sent = (id: ProfileId, model = 'gpt-4o-mini') => keywords(schemaForEngine(assessmentJsonSchema(), limitsFor(ENDPOINT_PROFILES[id], model)));

  it('openai: strict json_schema with every bound, max_completion_tokens, the Batch API at /v1/chat/completions', () => {
    const profile = ENDPOINT_PROFILES.openai;
    expect(profile).toMatchObject({ strict: true, tokenParam: 'max_completion_tokens', batch: true, batchEndpoint: '/v1/chat/completions' });
    const used = sent('openai');
    expect([...(used.get('string') ?? [])]).toEqual(expect.arrayContaining(['maxLength', 'minLength', 'pattern']));
    expect([...(used.get('number') ?? [])]).toEqual(expect.arrayContaining(['minimum', 'maximum']));
    expect([...(used.get('array') ?? [])]).toEqual(expect.arrayContaining(['maxItems', 'minItems']));
  });

  it('openai with a fine-tuned model: string, number and array bounds left out (strict mode refuses them there)', () => {
    const used = sent('openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123');
    for (const keyword of ['maxLength', 'minLength', 'pattern']) expect(used.get('string')?.has(keyword)).toBe(false);
    for (const keyword of ['minimum', 'maximum']) expect(used.get('number')?.has(keyword)).toBe(false);
    for (const keyword of ['maxItems', 'minItems']) expect(used.get('array')?.has(keyword)).toBe(false);
    // Enums are not bounds: the layer numbers stay a closed set.
    expect(used.get('integer')?.has('enum')).toBe(true);
  });

  it('azure: the OpenAI subset behind a deployment URL; batches take endpoint /chat/completions', () => {
    expect(ENDPOINT_PROFILES.azure).toMatchObject({ strict: true, tokenParam: 'max_completion_tokens', batch: true, batchEndpoint: '/chat/completions' });
    expect(sent('azure').get('string')?.has('maxLength')).toBe(true);
  });

  it('vllm: guided JSON (not strict), every bound kept, max_tokens, no Batch API', () => {
    expect(ENDPOINT_PROFILES.vllm).toMatchObject({ strict: false, tokenParam: 'max_tokens', batch: false });
    expect(sent('vllm').get('number')?.has('maximum')).toBe(true);
  });

  it.each(['llamacpp', 'ollama'] as const)('%s: grammar limits: number bounds and unanchored patterns left out; lengths, items and enums kept', (id) => {
    expect(ENDPOINT_PROFILES[id]).toMatchObject({ strict: false, tokenParam: 'max_tokens', batch: false });
    const used = sent(id);
    expect(used.get('number')?.has('minimum')).toBe(false);
    expect(used.get('number')?.has('maximum')).toBe(false);
    expect(used.get('string')?.has('maxLength')).toBe(true);
    // The CVSS pattern is anchored ^…$, so the grammar can take it.
    expect(used.get('string')?.has('pattern')).toBe(true);
    expect(used.get('array')?.has('maxItems')).toBe(true);
    const unanchored = schemaForEngine({ type: 'string', pattern: '^CVSS:4' }, ENDPOINT_PROFILES[id].limits);
    expect(unanchored).toEqual({ type: 'string' });
  });

  it('has an entry for every profile id', () => {
    expect(Object.keys(ENDPOINT_PROFILES).sort()).toEqual([...PROFILE_IDS].sort());
  });
});

describe('profile detection', () => {
  it.each([
    ['an Azure deployment URL', 'https://acme.openai.azure.com/openai/deployments/gpt4o', null, 'azure'],
    ['vLLM (owned_by vllm)', 'http://gpu:8000/v1', { data: [{ id: 'Qwen/Qwen2.5', owned_by: 'vllm', max_model_len: 32768 }] }, 'vllm'],
    ['llama.cpp (owned_by llamacpp)', 'http://127.0.0.1:8080/v1', { data: [{ id: 'm', owned_by: 'llamacpp' }] }, 'llamacpp'],
    ['llama.cpp (meta only)', 'http://127.0.0.1:8080/v1', { data: [{ id: 'm', meta: { n_ctx: 8192 } }] }, 'llamacpp'],
    ['Ollama (owned_by library)', 'http://127.0.0.1:11434/v1', { data: [{ id: 'llama3.1:latest', owned_by: 'library' }] }, 'ollama'],
    ['OpenAI', 'https://api.openai.com/v1', { data: [{ id: 'gpt-4o-mini', owned_by: 'system' }] }, 'openai'],
    ['an unknown compatible server', 'http://gateway/v1', { data: [{ id: 'x', owned_by: 'acme' }] }, 'openai'],
  ] as const)('detects %s', (_name, url, models, expected) => {
    expect(detectProfile(url, models)).toBe(expected);
  });

  it('reads the context length vLLM and llama.cpp report', () => {
    expect(contextLengthOf({ data: [{ id: 'a', max_model_len: 4096 }] }, 'a')).toBe(4096);
    expect(contextLengthOf({ data: [{ id: 'b', meta: { n_ctx: 8192 } }] }, 'other')).toBe(8192);
    expect(contextLengthOf({ data: [{ id: 'c' }] }, 'c')).toBeNull();
  });

  it('splits Azure URLs', () => {
    expect(isAzureUrl('https://acme.openai.azure.com/')).toBe(true);
    expect(isAzureUrl('http://127.0.0.1:1/openai/deployments/x')).toBe(true);
    expect(isAzureUrl('http://127.0.0.1:1/v1')).toBe(false);
    expect(azureParts('https://acme.openai.azure.com/openai/deployments/my-gpt')).toEqual({ origin: 'https://acme.openai.azure.com', deployment: 'my-gpt' });
  });
});
