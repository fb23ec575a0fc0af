/**
 * The assess stage through the OpenAI Batch API (OpenAI and Azure profiles): the requests of every
 * changed listing are written as JSONL (`custom_id` = the listing's response-cache key), uploaded
 * (`POST /v1/files`, purpose `batch`) and run as a batch (`POST /v1/batches`, window 24h) at half
 * price; the batch is polled until it ends, its output and error files are downloaded, and each
 * answer is validated like a live one (a broken one gets one live repair call) before its draft is
 * saved by the same assess stage the other executors use.
 *
 * Resumable: open batches are kept in the store (cache namespace `model-batches`, per assessor
 * profile) the moment they are created, so a run after a crash or Ctrl-C polls them instead of
 * paying again; answers already received sit in the model-response cache. An expired, failed or
 * partly failed batch resubmits only the listings still without an answer (a bounded number of
 * rounds); a line refused with a 4xx fails its listing at once.
 */
import { createHash } from 'node:crypto';
import { toFile } from 'openai';
import { z } from 'zod';
import type { Listing } from '../../schemas/listing.js';
import type { AssessOutcome, Assessor } from '../assess/assessor.js';
import type { OpenAIAssessor, PreparedRequest, ReceivedAnswer } from '../assess/openai-assessor.js';
import { InputError, ThreatdraftError, toError } from '../errors.js';
import type { Store } from '../store/store.js';
import { assessStage, isUnchanged } from './assess-stage.js';
import { DEFAULT_LISTING_BUDGET_MS } from './attempts.js';
import { emptyTally, progressReporter, recordOutcome, type AssessProgress, type AssessTally, type ListingRef } from './local-executor.js';
import { assessKey, type AssessorProfile } from './profile.js';

/** CacheRepo namespace of open batches, per assessor profile. */
export const BATCH_STATE_NAMESPACE = 'model-batches';
/** The Batch API's limits per batch. */
const MAX_LINES = 50_000;
const MAX_BYTES = 190 * 1024 * 1024;
const TERMINAL = new Set(['completed', 'expired', 'failed', 'cancelled']);

/** A batch's progress, reported at every poll. */
export interface BatchStatus {
  batchId: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  round: number;
}

/** Options of {@link runBatchAssess}. */
export interface BatchAssessOptions {
  store: Store;
  assessor: OpenAIAssessor;
  profile: AssessorProfile;
  /** Between polls of a batch. @default 30000 */
  pollMs?: number;
  /** Rounds of resubmitting what an expired or partly failed batch left without an answer. @default 3 */
  maxRounds?: number;
  /** Time budget of each live repair. @default 90000 */
  listingBudgetMs?: number;
  now?: () => Date;
  signal?: AbortSignal;
  onProgress?: (progress: AssessProgress) => void;
  onStatus?: (status: BatchStatus) => void;
  /** Replaces the wait between polls (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const stateSchema = z.object({
  v: z.literal(1),
  batches: z.array(z.object({ id: z.string(), round: z.number().int().min(1), lines: z.record(z.string(), z.string()) })),
});
type BatchState = z.infer<typeof stateSchema>;

const outputLineSchema = z.object({
  custom_id: z.string(),
  response: z
    .object({ status_code: z.number().int(), body: z.unknown() })
    .nullable()
    .optional(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullable().optional(),
});

const completionSchema = z.object({
  choices: z.array(
    z.object({
      message: z.object({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }),
      finish_reason: z.string().nullable().optional(),
    }),
  ),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).nullish(),
    })
    .nullish(),
});

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The assessor as the Batch API runner needs it (the openai assessor).
 * @throws InputError for any other assessor.
 */
export function batchCapable(assessor: Assessor): OpenAIAssessor {
  if (assessor.id !== 'openai' || !('prepare' in assessor) || !('complete' in assessor)) {
    throw new InputError('E_USAGE', `--batch needs the openai assessor, not ${assessor.id}`, { assessor: assessor.id });
  }
  return assessor as OpenAIAssessor;
}

/** The state key of a profile's open batches. */
function stateKey(profile: AssessorProfile): string {
  return createHash('sha256').update(assessKey('batches', '', profile)).digest('hex');
}

/** What one output or error line says for its listing. */
type LineResult = { kind: 'answer'; answer: ReceivedAnswer } | { kind: 'retry'; reason: string } | { kind: 'failed'; code: string; reason: string };

/** Reads one line of an output or error file (pure). */
export function readBatchLine(line: z.infer<typeof outputLineSchema>): LineResult {
  if (line.error) {
    const code = line.error.code ?? 'batch_error';
    // Expired or not run: the request was never answered, so it is resubmitted.
    return { kind: 'retry', reason: `${code}: ${line.error.message ?? 'no answer'}` };
  }
  const status = line.response?.status_code ?? 0;
  if (status !== 200) {
    const body = line.response?.body as { error?: { message?: unknown } } | undefined;
    const reason = `batch line answered ${status}: ${typeof body?.error?.message === 'string' ? body.error.message.slice(0, 300) : 'no message'}`;
    const transient = status === 408 || status === 409 || status === 429 || status >= 500 || status === 0;
    return transient ? { kind: 'retry', reason } : { kind: 'failed', code: 'E_MODEL_BAD_REQUEST', reason };
  }
  const parsed = completionSchema.safeParse(line.response?.body);
  const choice = parsed.success ? parsed.data.choices[0] : undefined;
  if (!parsed.success || choice === undefined) return { kind: 'retry', reason: 'batch line carried no completion' };
  if (choice.message.refusal) return { kind: 'failed', code: 'E_MODEL_REFUSAL', reason: `Model refused to assess the listing: ${choice.message.refusal.slice(0, 200)}` };
  if (choice.finish_reason === 'length') return { kind: 'failed', code: 'E_MODEL_LENGTH', reason: 'Model output hit max_tokens before the JSON was complete' };
  const usage = parsed.data.usage;
  return {
    kind: 'answer',
    answer: {
      content: choice.message.content ?? null,
      tokensIn: usage?.prompt_tokens ?? 0,
      tokensOut: usage?.completion_tokens ?? 0,
      tokensCached: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    },
  };
}

/**
 * Assesses `refs` through the Batch API and tallies the outcomes like the other executors.
 * @throws InputError when the endpoint's profile has no Batch API.
 */
export async function runBatchAssess(refs: readonly ListingRef[], options: BatchAssessOptions): Promise<AssessTally> {
  const { store, assessor, profile, signal } = options;
  const resolved = await assessor.endpoint.resolveProfile(signal);
  if (!resolved.profile.batch) {
    throw new InputError(
      'E_USAGE',
      `The ${resolved.profile.label} endpoint at ${assessor.endpoint.baseUrl} has no Batch API: run without --batch (Batch needs the openai or azure profile)`,
      { profile: resolved.profile.id },
    );
  }
  const client = assessor.endpoint.client;
  const pollMs = options.pollMs ?? 30_000;
  const maxRounds = options.maxRounds ?? 3;
  const sleep = options.sleep ?? defaultSleep;
  const budgetMs = options.listingBudgetMs ?? DEFAULT_LISTING_BUDGET_MS;
  const key = stateKey(profile);
  const tally = emptyTally();
  const settle = progressReporter(refs.length, options.onProgress);
  const fail = (id: string, code: string, reason: string, attempts = 1): void => {
    tally.failed += 1;
    tally.failures.push({ id, code, reason, attempts });
    settle(id, 'failed');
  };

  const loadState = async (): Promise<BatchState> => {
    const parsed = stateSchema.safeParse(await store.cache.get(BATCH_STATE_NAMESPACE, key));
    return parsed.success ? parsed.data : { v: 1, batches: [] };
  };
  const saveState = (state: BatchState): Promise<void> => store.cache.set(BATCH_STATE_NAMESPACE, key, state);

  // Outcomes received in this run, by listing id: the assess stage saves them as drafts.
  const received = new Map<string, AssessOutcome>();
  const settled = new Set<string>();
  const viaBatch: Assessor = {
    id: assessor.id,
    version: assessor.version,
    assess: async (listing, callOptions) => received.get(listing.id) ?? assessor.assess(listing, callOptions),
  };
  const saveDraft = async (ref: ListingRef): Promise<void> => {
    try {
      const output = await assessStage(
        { listingId: ref.id, contentHash: ref.contentHash, assessor: 'openai' },
        { store, assessor: viaBatch, profile, ...(options.now === undefined ? {} : { now: options.now }), signal },
      );
      recordOutcome(tally, output);
      settle(ref.id, output.outcome);
    } catch (thrown) {
      const error = toError(thrown);
      fail(ref.id, error instanceof ThreatdraftError ? error.code : 'E_INTERNAL', error.message);
    }
    settled.add(ref.id);
  };

  /** Polls a batch to its end, reads its files and completes every answer; returns the listings left without one. */
  const finishBatch = async (batchId: string, round: number, lines: Record<string, string>): Promise<Set<string>> => {
    let batch = await client.batches.retrieve(batchId, { signal });
    for (;;) {
      const counts = batch.request_counts ?? { total: Object.keys(lines).length, completed: 0, failed: 0 };
      options.onStatus?.({ batchId, status: batch.status, total: counts.total, completed: counts.completed, failed: counts.failed, round });
      if (TERMINAL.has(batch.status)) break;
      await sleep(pollMs, signal);
      batch = await client.batches.retrieve(batchId, { signal });
    }
    const results = new Map<string, LineResult>();
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (fileId === undefined || fileId === null) continue;
      const text = await (await client.files.content(fileId, { signal })).text();
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        const parsed = outputLineSchema.safeParse(JSON.parse(raw));
        if (parsed.success) results.set(parsed.data.custom_id, readBatchLine(parsed.data));
      }
    }
    const missing = new Set<string>();
    for (const [customId, listingId] of Object.entries(lines)) {
      if (settled.has(listingId)) continue;
      const result = results.get(customId) ?? { kind: 'retry' as const, reason: `batch ${batch.status} without an answer for this listing` };
      if (result.kind === 'retry') {
        missing.add(listingId);
        continue;
      }
      if (result.kind === 'failed') {
        fail(listingId, result.code, `${result.reason} [${assessor.endpoint.baseUrl}, model ${assessor.model}, batch ${batchId}]`);
        settled.add(listingId);
        continue;
      }
      const listing = await store.listings.get(listingId);
      const prepared = listing === null ? null : await assessor.prepare(listing, signal === undefined ? {} : { signal });
      // A listing that changed (or was answered) meanwhile keeps its newer state.
      if (prepared === null || !('request' in prepared) || prepared.request.key !== customId) continue;
      try {
        received.set(listingId, await assessor.complete(prepared.request, result.answer, { batchId, deadline: Date.now() + budgetMs, ...(signal === undefined ? {} : { signal }) }));
      } catch (thrown) {
        const error = toError(thrown);
        fail(listingId, error instanceof ThreatdraftError ? error.code : 'E_INTERNAL', error.message);
        settled.add(listingId);
      }
    }
    return missing;
  };

  const byId = new Map(refs.map((ref) => [ref.id, ref]));
  const state = await loadState();
  // 1. Resume: batches a crashed or interrupted run left open are polled, not paid for again.
  let openRound = 0;
  for (const open of [...state.batches]) {
    openRound = Math.max(openRound, open.round);
    // What it left without an answer is prepared again below, with everything else still missing.
    await finishBatch(open.id, open.round, open.lines);
    state.batches = state.batches.filter((batch) => batch.id !== open.id);
    await saveState(state);
  }

  // 2. Listings that need a model answer; unchanged ones and answers already cached need none.
  const requests = new Map<string, PreparedRequest>();
  for (const ref of refs) {
    signal?.throwIfAborted();
    if (settled.has(ref.id)) continue;
    if (await isUnchanged(store, ref, profile)) {
      tally.unchanged += 1;
      settle(ref.id, 'unchanged');
      settled.add(ref.id);
      continue;
    }
    if (received.has(ref.id)) continue;
    const listing: Listing | null = await store.listings.get(ref.id);
    if (listing === null) {
      fail(ref.id, 'E_LISTING_MISSING', `Listing ${ref.id} is not in the store`);
      settled.add(ref.id);
      continue;
    }
    const prepared = await assessor.prepare(listing, signal === undefined ? {} : { signal });
    if ('cached' in prepared) received.set(ref.id, prepared.cached);
    else requests.set(ref.id, prepared.request);
  }

  // 3. Submit what is missing, poll, complete; resubmit what an expired or failed batch left, a few rounds.
  for (let round = openRound + 1; requests.size > 0; round += 1) {
    if (round > openRound + maxRounds) {
      for (const id of requests.keys()) fail(id, 'E_BATCH_INCOMPLETE', `No answer after ${maxRounds} batch rounds [${assessor.endpoint.baseUrl}, model ${assessor.model}]`, maxRounds);
      break;
    }
    const chunks: Array<{ lines: string[]; ids: Record<string, string> }> = [];
    let chunk = { lines: [] as string[], ids: {} as Record<string, string>, bytes: 0 };
    // Listings with the same content share a cache key (custom_ids must be unique): one line asks
    // for them all, and the others read its answer from the cache after the batch.
    const keys = new Set<string>();
    const sharing: string[] = [];
    for (const [id, request] of requests) {
      if (keys.has(request.key)) {
        sharing.push(id);
        continue;
      }
      keys.add(request.key);
      const body = await assessor.requestBody(request, signal);
      const line = JSON.stringify({ custom_id: request.key, method: 'POST', url: resolved.profile.batchEndpoint, body });
      if (chunk.lines.length >= MAX_LINES || chunk.bytes + line.length > MAX_BYTES) {
        chunks.push(chunk);
        chunk = { lines: [], ids: {}, bytes: 0 };
      }
      chunk.lines.push(line);
      chunk.ids[request.key] = id;
      chunk.bytes += line.length + 1;
    }
    if (chunk.lines.length > 0) chunks.push(chunk);
    const created: Array<{ id: string; lines: Record<string, string> }> = [];
    for (const part of chunks) {
      const file = await client.files.create({ file: await toFile(Buffer.from(`${part.lines.join('\n')}\n`), 'threatdraft-batch.jsonl'), purpose: 'batch' }, { signal });
      const batch = await client.batches.create(
        { input_file_id: file.id, endpoint: resolved.profile.batchEndpoint as '/v1/chat/completions', completion_window: '24h', metadata: { source: 'threatdraft', round: String(round) } },
        { signal },
      );
      // Stored at once: from here on a crash resumes polling this batch instead of paying again.
      state.batches.push({ id: batch.id, round, lines: part.ids });
      await saveState(state);
      created.push({ id: batch.id, lines: part.ids });
    }
    requests.clear();
    /** Listings still without an answer: from the cache if another line answered it, else the next round. */
    const requeue = async (ids: Iterable<string>): Promise<void> => {
      for (const id of ids) {
        const listing = byId.has(id) ? await store.listings.get(id) : null;
        if (listing === null) continue;
        const prepared = await assessor.prepare(listing, signal === undefined ? {} : { signal });
        if ('cached' in prepared) received.set(id, prepared.cached);
        else requests.set(id, prepared.request);
      }
    };
    for (const batch of created) {
      const missing = await finishBatch(batch.id, round, batch.lines);
      state.batches = state.batches.filter((open) => open.id !== batch.id);
      await saveState(state);
      await requeue(missing);
    }
    await requeue(sharing);
  }

  // 4. Drafts for every answer received.
  for (const ref of refs) {
    if (!settled.has(ref.id) && received.has(ref.id)) await saveDraft(ref);
  }
  tally.failures.sort((a, b) => ((a.id ?? '') < (b.id ?? '') ? -1 : 1));
  return tally;
}
