import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessmentSchema } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { assessmentJsonSchema } from '../../src/assess/model-schema.js';
import { formatListingBlock } from '../../src/assess/prompts.js';
import { FaultSchedule, seededRandom } from '../../src/fake-openai/faults.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { createListing } from '../factories/listing.js';

let server: FakeOpenAI;

const assessmentResponseFormat = () => ({ type: 'json_schema', json_schema: { name: 'assessment', strict: true, schema: assessmentJsonSchema() } });

const listing = createListing();

function chatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-4o-mini',
    temperature: 0,
    seed: 7,
    messages: [
      { role: 'system', content: 'You assess agents.' },
      { role: 'user', content: `Assess this:\n${formatListingBlock(listing)}` },
    ],
    response_format: assessmentResponseFormat(),
    ...overrides,
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

interface ChatJson {
  choices: { message: { content: string | null; refusal: string | null }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

beforeEach(async () => {
  server = await startFakeOpenAI();
});

afterEach(async () => {
  await server.close();
});

describe('fake OpenAI server', () => {
  it('listens on 127.0.0.1 and gives a /v1 base URL', () => {
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  it('answers chat completions with a schema-valid, grounded, stable assessment and usage', async () => {
    const first = await post('/chat/completions', chatBody());
    const second = await post('/chat/completions', chatBody());
    expect(first.status).toBe(200);
    const json = JSON.parse(first.text) as ChatJson;
    const content = json.choices[0]?.message.content ?? '';
    expect(content).toBe((JSON.parse(second.text) as ChatJson).choices[0]?.message.content);
    const assessment = assessmentSchema.parse(JSON.parse(content));
    expect(assessment.layers.map((layer) => layer.layer)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const key of LISTING_FACTOR_KEYS) {
      const value = assessment.factors[key].value;
      expect(Math.round(value * 20) / 20).toBe(value);
      for (const quote of assessment.factors[key].evidence) expect(listing.text).toContain(quote);
    }
    for (const layer of assessment.layers) {
      if (!layer.certain) expect(layer.text.startsWith('Not certain from the listing —')).toBe(true);
      else expect(layer.evidence.length).toBeGreaterThan(0);
    }
    expect(json.usage.prompt_tokens).toBeGreaterThan(50);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
    expect(server.requests()).toBe(2);
    expect(server.requestLog[0]).toMatchObject({ listingId: listing.id, model: 'gpt-4o-mini', status: 200, fault: null });
  });

  it('gives different listings different answers', async () => {
    const other = createListing({ id: 'quiet-tool', title: 'Quiet Tool', text: 'A spell checker that runs offline.' });
    const a = await post('/chat/completions', chatBody());
    const b = await post('/chat/completions', chatBody({ messages: [{ role: 'user', content: formatListingBlock(other) }] }));
    expect(JSON.parse(a.text)).not.toEqual(JSON.parse(b.text));
    const quiet = assessmentSchema.parse(JSON.parse((JSON.parse(b.text) as ChatJson).choices[0]?.message.content ?? ''));
    expect(quiet.factors.dynamicToolUse.evidence).toEqual([]);
  });

  it.each([
    ['no response_format', { response_format: undefined }, 'response_format'],
    ['a non-strict json_schema', { response_format: { type: 'json_schema', json_schema: { name: 'a', strict: false, schema: { type: 'object' } } } }, 'response_format.json_schema.strict'],
    ['json_object instead of json_schema', { response_format: { type: 'json_object' } }, 'response_format.type'],
    ['an empty model', { model: '' }, 'model'],
    ['a message without a role', { messages: [{ content: 'hi' }] }, 'messages.0.role'],
    ['no messages', { messages: [] }, 'messages'],
  ])('rejects a request with %s with an OpenAI-style 400', async (_name, overrides, param) => {
    const response = await post('/chat/completions', chatBody(overrides));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({
      error: { message: expect.stringContaining(param) as unknown as string, type: 'invalid_request_error', param, code: null },
    });
  });

  it('rejects a body that is not JSON', async () => {
    const response = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
  });

  it('answers 401 with the key masked when the Bearer token differs from the expected key', async () => {
    const guarded = await startFakeOpenAI({ expectedApiKey: 'sk-right-key-123456' });
    try {
      const response = await fetch(`${guarded.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-wrong-key-654321' },
        body: JSON.stringify(chatBody()),
      });
      const body = (await response.json()) as { error: { message: string; code: string } };
      expect(response.status).toBe(401);
      expect(body.error.code).toBe('invalid_api_key');
      expect(body.error.message).not.toContain('sk-wrong-key-654321');
      expect(body.error.message).toContain('sk-***4321');
      const ok = await fetch(`${guarded.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-right-key-123456' },
        body: JSON.stringify(chatBody()),
      });
      expect(ok.status).toBe(200);
      expect(guarded.requests()).toBe(2);
    } finally {
      await guarded.close();
    }
  });

  it('answers the Responses API with output_text and usage', async () => {
    const format = assessmentResponseFormat().json_schema;
    const response = await post('/responses', {
      model: 'gpt-4o-mini',
      instructions: 'You assess agents.',
      input: [{ role: 'user', content: formatListingBlock(listing) }],
      text: { format: { type: 'json_schema', name: format.name, strict: true, schema: format.schema } },
    });
    expect(response.status).toBe(200);
    const json = JSON.parse(response.text) as {
      output: { content: { type: string; text: string }[] }[];
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(assessmentSchema.safeParse(JSON.parse(json.output[0]?.content[0]?.text ?? '')).success).toBe(true);
    expect(json.usage.input_tokens).toBeGreaterThan(0);
    const rejected = await post('/responses', { model: 'gpt-4o-mini', input: 'hi' });
    expect(rejected.status).toBe(400);
  });

  it('serves scripted answers in order, then per-listing responder answers, then the generator', async () => {
    const local = await startFakeOpenAI({
      responder: (request) => (request.listing?.id === listing.id ? { content: { scripted: 'by responder' } } : null),
    });
    try {
      local.script({ content: 'first' }, { refusal: 'no' });
      const call = async (body: Record<string, unknown>) => {
        const response = await fetch(`${local.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
        return ((await response.json()) as ChatJson).choices[0]?.message;
      };
      expect(await call(chatBody())).toMatchObject({ content: 'first', refusal: null });
      expect(await call(chatBody())).toMatchObject({ content: null, refusal: 'no' });
      expect(await call(chatBody())).toMatchObject({ content: '{"scripted":"by responder"}' });
      const other = await call(chatBody({ messages: [{ role: 'user', content: 'no listing here' }] }));
      expect(assessmentSchema.safeParse(JSON.parse(other?.content ?? '')).success).toBe(true);
    } finally {
      await local.close();
    }
  });

  it('injects faults in sequence: 429 with Retry-After, 500, refusal, schema-break, truncated content and body', async () => {
    server.setFaults({
      sequence: [
        { kind: 'rate-limit', retryAfterSeconds: 3, retryAfterMs: 2_500 },
        'server-error',
        'refusal',
        'schema-break',
        'truncated-content',
        'truncated-body',
      ],
    });
    const limited = await post('/chat/completions', chatBody());
    expect([limited.status, limited.headers.get('retry-after'), limited.headers.get('retry-after-ms')]).toEqual([429, '3', '2500']);
    expect((await post('/chat/completions', chatBody())).status).toBe(500);
    const refusal = JSON.parse((await post('/chat/completions', chatBody())).text) as ChatJson;
    expect(refusal.choices[0]?.message).toMatchObject({ content: null, refusal: expect.any(String) as unknown as string });
    const broken = JSON.parse((await post('/chat/completions', chatBody())).text) as ChatJson;
    const brokenContent: unknown = JSON.parse(broken.choices[0]?.message.content ?? '');
    expect(assessmentSchema.safeParse(brokenContent).success).toBe(false);
    const cut = JSON.parse((await post('/chat/completions', chatBody())).text) as ChatJson;
    expect(() => JSON.parse(cut.choices[0]?.message.content ?? '')).toThrow();
    const truncated = await post('/chat/completions', chatBody());
    expect(truncated.status).toBe(200);
    expect(() => JSON.parse(truncated.text)).toThrow();
    expect((await post('/chat/completions', chatBody())).status).toBe(200);
    expect(server.requestLog.map((entry) => entry.fault)).toEqual([
      'rate-limit',
      'server-error',
      'refusal',
      'schema-break',
      'truncated-content',
      'truncated-body',
      null,
    ]);
  });

  it('resets the connection without answering', async () => {
    server.setFaults({ sequence: ['reset'] });
    await expect(post('/chat/completions', chatBody())).rejects.toThrow();
    expect(server.requests()).toBe(1);
  });

  it('delays an answer, and closes promptly with a delayed request in flight', async () => {
    server.setFaults({ sequence: [{ kind: 'delay', ms: 150 }, { kind: 'delay', ms: 60_000 }] });
    const started = performance.now();
    expect((await post('/chat/completions', chatBody())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    const hanging = post('/chat/completions', chatBody()).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = performance.now();
    await server.close();
    expect(performance.now() - closing).toBeLessThan(1_000);
    expect(await hanging).toBeInstanceOf(Error);
    server = await startFakeOpenAI();
  });

  it('adds a fixed latency to every response', async () => {
    server.setLatency(120);
    const started = performance.now();
    await post('/chat/completions', chatBody());
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('draws random faults reproducibly from a seed', () => {
    const draw = (seed: number) => {
      const schedule = new FaultSchedule({ random: { seed, rates: { 'server-error': 0.3, 'rate-limit': 0.2 } } });
      return Array.from({ length: 200 }, () => schedule.next().kind);
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    const errors = a.filter((kind) => kind === 'server-error').length;
    expect(errors).toBeGreaterThan(35);
    expect(errors).toBeLessThan(85);
    expect(a.filter((kind) => kind === 'none').length).toBeGreaterThan(70);
    const random = seededRandom(1);
    expect(Array.from({ length: 1000 }, random).every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('applies the sequence before random draws and counts and clears requests', async () => {
    server.setFaults({ sequence: ['server-error'], random: { seed: 1, rates: {} } });
    expect((await post('/chat/completions', chatBody())).status).toBe(500);
    expect((await post('/chat/completions', chatBody())).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/models`)).status).toBe(200);
    expect((await post('/nope', {})).status).toBe(404);
    expect(server.requests()).toBe(4);
    server.reset();
    expect(server.requests()).toBe(0);
  });
});
