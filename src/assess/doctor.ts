/**
 * `threatdraft doctor`: checks a model endpoint before a big run. Reachability and auth
 * (`GET /v1/models`), that the model is served, the profile in use, one tiny structured call with
 * the very answer schema a run sends (so an engine that refuses it says so now, not on listing
 * 1,000), its latency, and what N listings would cost live and through the Batch API. Every
 * failure names the base URL and model, never the key.
 */
import OpenAI from 'openai';
import type { Listing } from '../../schemas/listing.js';
import type { Endpoint, ResolvedProfile } from './endpoint.js';
import { buildAssessMessages, estimatePromptTokens, redactSecrets } from './openai-assessor.js';
import { costFor, priceFor, type PriceTable } from './prices.js';
import type { LoadedPrompt } from './prompts.js';

/** One check's result. */
export interface DoctorCheck {
  check: 'reachable' | 'auth' | 'model' | 'profile' | 'structured-call';
  ok: boolean;
  detail: string;
  ms: number | null;
}

/** What `doctor` reports. */
export interface DoctorReport {
  endpoint: string;
  model: string;
  profile: string | null;
  checks: DoctorCheck[];
  latencyMs: number | null;
  maxTokens: number | null;
  estimate: {
    listings: number;
    promptTokensPerListing: number;
    outputTokensPerListing: number;
    cachedShare: number;
    liveUsd: number | null;
    batchUsd: number | null;
    /** Every listing at max_tokens of output: the bound the schema sets. */
    worstCaseLiveUsd: number | null;
  };
  passed: boolean;
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  endpoint: Endpoint;
  prompt: LoadedPrompt;
  prices: PriceTable;
  apiKey: string | undefined;
  /** Listings the cost estimate is for. */
  listings: number;
  /** A listing typical of the directory, for the prompt size. */
  sample: Listing;
  /** Output tokens of a typical answer. @default 2500 */
  typicalOutputTokens?: number;
  signal?: AbortSignal;
}

const statusOf = (error: unknown): number | null => (error instanceof OpenAI.APIError && typeof error.status === 'number' ? error.status : null);

/** Runs the checks; never throws for an endpoint problem (each is a failed check). */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { endpoint } = options;
  const where = `${endpoint.baseUrl}, model ${endpoint.model}`;
  const say = (error: unknown): string => redactSecrets(error instanceof Error ? error.message : String(error), options.apiKey).slice(0, 300);
  const checks: DoctorCheck[] = [];
  const timed = async <T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> => {
    const started = performance.now();
    try {
      return { value: await run(), ms: Math.round(performance.now() - started) };
    } catch (error) {
      return { error, ms: Math.round(performance.now() - started) };
    }
  };

  // 1. The profile (detection reads GET /v1/models, which also shows reachability, auth and the model).
  let resolved: ResolvedProfile | null = null;
  const detection = await timed(() => endpoint.resolveProfile(options.signal));
  if (detection.error === undefined && detection.value !== undefined) resolved = detection.value;
  let models = resolved?.models ?? null;
  let modelsProbe: { error?: unknown; ms: number } = { ms: detection.ms, ...(detection.error === undefined ? {} : { error: detection.error }) };
  if (resolved !== null && models === null && resolved.profile.id !== 'azure') {
    const listed = await timed(() => endpoint.listModels(options.signal));
    models = listed.value ?? null;
    modelsProbe = { ms: listed.ms, ...(listed.error === undefined ? {} : { error: listed.error }) };
  }
  const status = statusOf(modelsProbe.error);
  if (resolved?.profile.id === 'azure') {
    checks.push({ check: 'reachable', ok: true, detail: 'Azure OpenAI: checked by the structured call below (deployments are listed in the portal, not by the API)', ms: null });
  } else if (modelsProbe.error !== undefined && status === null) {
    checks.push({ check: 'reachable', ok: false, detail: `Cannot reach ${endpoint.baseUrl}/models: ${say(modelsProbe.error)}`, ms: modelsProbe.ms });
  } else {
    checks.push({ check: 'reachable', ok: true, detail: `${endpoint.baseUrl}/models answered${status === null ? '' : ` ${status}`}`, ms: modelsProbe.ms });
    if (status === 401 || status === 403) {
      checks.push({ check: 'auth', ok: false, detail: `${endpoint.baseUrl} refused the API key (${status}); set OPENAI_API_KEY for this endpoint`, ms: null });
    } else if (status !== null) {
      checks.push({ check: 'auth', ok: false, detail: `GET ${endpoint.baseUrl}/models failed (${status}): ${say(modelsProbe.error)}`, ms: null });
    } else {
      checks.push({ check: 'auth', ok: true, detail: 'the key was accepted (or the endpoint needs none)', ms: null });
      const served = (models?.data ?? []).map((entry) => entry.id);
      const found = served.includes(endpoint.requestModel) || served.some((id) => endpoint.requestModel.startsWith(`${id}-`) || id.startsWith(`${endpoint.requestModel}-`));
      checks.push({
        check: 'model',
        ok: found,
        detail: found ? `${endpoint.requestModel} is served` : `${endpoint.requestModel} is not in GET /models at ${endpoint.baseUrl}; served: ${served.slice(0, 10).join(', ') || 'none'}`,
        ms: null,
      });
    }
  }
  checks.push(
    resolved === null
      ? { check: 'profile', ok: false, detail: `could not detect the engine at ${where}: ${say(detection.error)}`, ms: null }
      : { check: 'profile', ok: true, detail: `${resolved.profile.label} (${resolved.source}${resolved.contextLength === null ? '' : `; context ${resolved.contextLength} tokens`})`, ms: null },
  );

  // 2. One tiny structured call with the answer schema a run sends, cut short by max_tokens.
  let latencyMs: number | null = null;
  let maxTokens: number | null = null;
  const messages = buildAssessMessages(options.prompt, options.sample);
  const promptTokens = estimatePromptTokens(messages);
  if (resolved !== null) {
    const full = endpoint.chatBody(resolved, messages, { promptTokens });
    maxTokens = Number((full as unknown as Record<string, unknown>)[resolved.profile.tokenParam]);
    const tiny = { ...endpoint.chatBody(resolved, [{ role: 'user', content: 'Reply with the JSON the schema asks for; keep it short.' }]), [resolved.profile.tokenParam]: 16 };
    const call = await timed(() => endpoint.client.chat.completions.create(tiny as typeof full, { maxRetries: 0, ...(options.signal === undefined ? {} : { signal: options.signal }) }));
    latencyMs = call.ms;
    if (call.error === undefined) {
      const finish = call.value?.choices[0]?.finish_reason ?? 'none';
      checks.push({ check: 'structured-call', ok: true, detail: `the engine took the answer schema (${resolved.profile.strict ? 'strict json_schema' : 'json_schema'}); finish ${finish}`, ms: call.ms });
    } else {
      const callStatus = statusOf(call.error);
      checks.push({ check: 'structured-call', ok: false, detail: `structured call failed${callStatus === null ? '' : ` (${callStatus})`} at ${where}: ${say(call.error)}`, ms: call.ms });
    }
  }

  // 3. What the run would cost: the static prefix is cached after the first request where the engine caches.
  const outputTokens = options.typicalOutputTokens ?? 2_500;
  const staticTokens = estimatePromptTokens([messages[0] ?? { content: '' }]);
  const caches = resolved?.profile.id === 'openai' || resolved?.profile.id === 'azure';
  const cachedShare = caches && promptTokens > 0 ? Math.min(1, staticTokens / promptTokens) : 0;
  const priced = priceFor(endpoint.model, options.prices) !== null;
  const usage = (out: number) => ({ tokensIn: promptTokens * options.listings, tokensOut: out * options.listings, tokensCached: Math.round(staticTokens * Math.max(0, options.listings - 1) * (caches ? 1 : 0)) });
  const estimate = {
    listings: options.listings,
    promptTokensPerListing: promptTokens,
    outputTokensPerListing: outputTokens,
    cachedShare: Math.round(cachedShare * 1000) / 1000,
    liveUsd: priced ? costFor(endpoint.model, usage(outputTokens), options.prices).costUsd : null,
    batchUsd: priced && resolved?.profile.batch === true ? costFor(endpoint.model, usage(outputTokens), options.prices, { batch: true }).costUsd : null,
    worstCaseLiveUsd: priced && maxTokens !== null ? costFor(endpoint.model, usage(maxTokens), options.prices).costUsd : null,
  };
  return {
    endpoint: endpoint.baseUrl,
    model: endpoint.model,
    profile: resolved?.profile.id ?? null,
    checks,
    latencyMs,
    maxTokens,
    estimate,
    passed: checks.every((check) => check.ok),
  };
}
