import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { EngineMode } from '../../src/fake-openai/engines.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fake-openai/server.js';
import { captureIo } from '../helpers/io.js';

const KEY = 'sk-test-doctor-1234567890';
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Report {
  endpoint: string;
  model: string;
  profile: string | null;
  checks: { check: string; ok: boolean; detail: string }[];
  latencyMs: number | null;
  maxTokens: number | null;
  estimate: { listings: number; liveUsd: number | null; batchUsd: number | null; worstCaseLiveUsd: number | null; cachedShare: number };
  passed: boolean;
}

async function doctor(env: NodeJS.ProcessEnv, args: string[] = []) {
  const io = captureIo({ env });
  const code = await main(['doctor', '--json', ...args], io);
  const last = io.out().trim().split('\n').filter(Boolean).at(-1) ?? '{}';
  return { code, report: JSON.parse(last) as Report, err: io.err(), out: io.out() };
}

describe('threatdraft doctor', () => {
  it.each([
    ['openai', 'openai'],
    ['azure', 'azure'],
    ['vllm', 'vllm'],
    ['llamacpp', 'llamacpp'],
    ['ollama', 'ollama'],
  ] as const)('passes against a healthy %s endpoint and detects its profile', async (mode: EngineMode, profile) => {
    fake = await startFakeOpenAI({ mode, expectedApiKey: KEY });
    const { code, report } = await doctor({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: KEY, THREATDRAFT_MODEL: 'gpt-4o-mini' }, ['--listings', '1000']);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ profile, passed: true, model: 'gpt-4o-mini' });
    expect(report.checks.map((check) => check.check)).toEqual(mode === 'azure' ? ['reachable', 'profile', 'structured-call'] : ['reachable', 'auth', 'model', 'profile', 'structured-call']);
    expect(report.latencyMs).toBeGreaterThanOrEqual(0);
    expect(report.maxTokens).toBeGreaterThan(1000);
    expect(report.estimate.listings).toBe(1000);
    expect(report.estimate.liveUsd).toBeGreaterThan(0);
    if (mode === 'openai' || mode === 'azure') {
      expect(report.estimate.batchUsd).toBeCloseTo((report.estimate.liveUsd ?? 0) / 2, 6);
      expect(report.estimate.cachedShare).toBeGreaterThan(0.5);
    } else expect(report.estimate.batchUsd).toBeNull();
    expect(report.estimate.worstCaseLiveUsd).toBeGreaterThan(report.estimate.liveUsd ?? 0);
    // The structured call carried the very schema a run sends, cut to 16 tokens.
    const call = fake.requestLog.find((entry) => entry.path.endsWith('/chat/completions'));
    expect(call?.maxTokens).toBe(16);
    expect(JSON.stringify(call?.body)).toContain('"layers"');
  });

  it('fails the auth check on a refused key, naming the endpoint and never the key', async () => {
    fake = await startFakeOpenAI({ expectedApiKey: 'sk-the-right-one-000000', echoApiKeyInErrors: true });
    const { code, report, out, err } = await doctor({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: KEY, THREATDRAFT_ENDPOINT_PROFILE: 'openai' });
    expect(code).toBe(1);
    expect(report.checks.find((check) => check.check === 'auth')).toMatchObject({ ok: false, detail: expect.stringContaining(fake.baseUrl) as unknown as string });
    expect(out + err).not.toContain(KEY);
  });

  it('fails the model check when the endpoint does not serve the model, listing what it serves', async () => {
    fake = await startFakeOpenAI({ mode: 'vllm', models: ['Qwen/Qwen2.5-7B-Instruct'] });
    const { code, report } = await doctor({ OPENAI_BASE_URL: fake.baseUrl, THREATDRAFT_MODEL: 'llama3.1' });
    expect(code).toBe(1);
    expect(report.checks.find((check) => check.check === 'model')).toMatchObject({ ok: false, detail: expect.stringContaining('served: Qwen/Qwen2.5-7B-Instruct') as unknown as string });
  });

  it('fails reachability on a dead endpoint within the request timeout', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const { code, report } = await doctor({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, THREATDRAFT_MODEL_TIMEOUT_MS: '2000' });
    expect(code).toBe(1);
    expect(report.checks[0]).toMatchObject({ check: 'reachable', ok: false, detail: expect.stringContaining(`http://127.0.0.1:${port}/v1`) as unknown as string });
  });

  it('catches a wrong profile before a run: the structured call shows the engine refusing the request', async () => {
    fake = await startFakeOpenAI({ mode: 'openai' });
    // Told it is vLLM, threatdraft sends a non-strict json_schema, which this (OpenAI-like) engine refuses.
    const { code, report } = await doctor({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: KEY, THREATDRAFT_ENDPOINT_PROFILE: 'vllm' });
    expect(code).toBe(1);
    expect(report.profile).toBe('vllm');
    expect(report.checks.find((check) => check.check === 'structured-call')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/\(400\) at http:\/\/127\.0\.0\.1:\d+\/v1, model gpt-4o-mini: .*strict/) as unknown as string,
    });
  });

  it('exits 2 without an endpoint configured', async () => {
    const { code, err } = await doctor({});
    expect(code).toBe(2);
    expect(err).toMatch(/OPENAI_API_KEY|OPENAI_BASE_URL/);
  });
});
