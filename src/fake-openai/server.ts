/**
 * A fake OpenAI-compatible server on node:http (127.0.0.1), for tests, evals and benchmarks:
 * `POST /v1/chat/completions` and `POST /v1/responses` with json_schema outputs, `GET /v1/models`,
 * and (where the engine has them) Files and Batches. An engine mode makes it behave like OpenAI,
 * Azure OpenAI, vLLM, llama.cpp or Ollama, limits included (`engines.ts`). Answers are scripted,
 * generated from the listing block (`generator.ts`), or made from the request's JSON schema alone
 * as a grammar-constrained engine makes them (`schema-answer.ts`); faults are injected by plan.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { z } from 'zod';
import { parseListingBlock, type ListingBlock } from '../assess/prompts.js';
import { engineFor, type EngineMode } from './engines.js';
import { FaultSchedule, type Fault, type FaultKind, type FaultPlan } from './faults.js';
import { breakAssessment, generateAssessment } from './generator.js';
import { batchCreateSchema, batchLineSchema, chatRequestSchema, contentText, responsesRequestSchema, type ChatRequest } from './request-schema.js';
import { answerFromSchema, type SchemaStrategy } from './schema-answer.js';

/** A canned answer: content (a string, or an object sent as JSON) or a refusal. */
export type ScriptItem =
  | { content: string | Record<string, unknown>; finishReason?: 'stop' | 'length' | 'content_filter' }
  | { refusal: string };

/** What a responder sees of one request. */
export interface FakeRequestInfo {
  endpoint: 'chat.completions' | 'responses';
  model: string;
  /** The listing block found in the user messages, if any. */
  listing: ListingBlock | null;
  messages: { role: string; content: string }[];
  /** The JSON schema of the request's response format. */
  schema: Record<string, unknown> | null;
  /** True for a line of a batch rather than a live request. */
  batch: boolean;
}

/** One request as the server saw it. */
export interface FakeRequestLogEntry {
  seq: number;
  method: string;
  path: string;
  /** The HTTP status sent; -1 when the client gave up first (or a reset); 0 while still pending. */
  status: number;
  fault: FaultKind | null;
  model: string | null;
  listingId: string | null;
  /** The request's temperature and seed, as sent (null when absent or rejected). */
  temperature: number | null;
  seed: number | null;
  /** `max_tokens` or `max_completion_tokens`, as sent. */
  maxTokens: number | null;
  /** The request body of a chat request as received (null otherwise). */
  body: Record<string, unknown> | null;
  /** The messages of an accepted request (role and flattened text). */
  messages: { role: string; content: string }[];
}

export type BatchOutcome = 'completed' | 'expired' | 'failed';

/** How batches behave. */
export interface BatchBehaviour {
  /** GETs of a batch answered `in_progress` before it ends. @default 1 */
  pollsInProgress?: number;
  /** How a batch ends; a function gets the batch's number (1 for the first batch created). @default 'completed' */
  outcome?: BatchOutcome | ((batchNumber: number) => BatchOutcome);
  /** With `expired`: the share of lines done before the window closed. @default 0.5 */
  expiredDone?: number;
  /** Lines that fail (they go to the error file with a 500). */
  failLine?: (customId: string, index: number) => boolean;
}

/** Options for `startFakeOpenAI`. */
export interface FakeOpenAIOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** When set, requests whose Bearer token (or Azure `api-key`) differs get 401. */
  expectedApiKey?: string;
  /** Echo the full presented key in 401 messages (to test that clients redact it). @default false */
  echoApiKeyInErrors?: boolean;
  /** Fixed latency added to every model response. @default 0 */
  latencyMs?: number;
  faults?: FaultPlan;
  /** Answers per request (e.g. per listing); return null to fall through to the default answer. */
  responder?: (request: FakeRequestInfo) => ScriptItem | null;
  /** Which engine to behave like. @default 'openai' */
  mode?: EngineMode;
  /** Default answers: generated from the listing, or made from the request's schema. @default 'generator' */
  answers?: 'generator' | SchemaStrategy;
  /** Model ids `GET /v1/models` lists. @default ['gpt-4o-mini', 'fake-model'] */
  models?: readonly string[];
  /** vLLM `max_model_len` / llama.cpp `n_ctx` (enforced). */
  contextLength?: number;
  /** Azure deployments that exist. @default any */
  deployments?: readonly string[];
  batch?: BatchBehaviour;
}

/** A batch as the fake keeps it. */
export interface FakeBatch {
  id: string;
  status: 'validating' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'failed' | 'cancelling' | 'cancelled';
  endpoint: string;
  inputFileId: string;
  lines: number;
  polls: number;
  outputFileId: string | null;
  errorFileId: string | null;
  requestCounts: { total: number; completed: number; failed: number };
}

/** A running fake server. */
export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1` (Azure mode: the deployment URL of `fake-deployment`), ready for `OPENAI_BASE_URL`. */
  baseUrl: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  mode: EngineMode;
  /** Requests received (every HTTP attempt, including rejected and faulted ones). */
  requests(): number;
  readonly requestLog: readonly FakeRequestLogEntry[];
  /** Batches created so far. */
  batches(): readonly FakeBatch[];
  /** Queues canned answers, used in order before the responder and the default answers. */
  script(...items: ScriptItem[]): void;
  /** Replaces the fault plan (sequence and random draws start afresh). */
  setFaults(plan: FaultPlan): void;
  setLatency(ms: number): void;
  setAnswers(answers: 'generator' | SchemaStrategy): void;
  setBatchBehaviour(behaviour: BatchBehaviour): void;
  /** Clears the request log and counter. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_FILE_BYTES = 256 * 1024 * 1024;

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

function errorBody(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

function maskKey(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

/** The JSON value of a body; undefined when it is not JSON. */
function jsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Prompt caching as OpenAI does it: the longest prefix already seen, in 512-character steps, is
 * served from the cache once it is at least 1,024 tokens long.
 */
class PrefixCache {
  #seen = new Set<string>();
  cachedTokens(text: string): number {
    let cachedChars = 0;
    for (let end = 512; end <= text.length; end += 512) {
      const key = createHash('sha1').update(text.slice(0, end)).digest('hex');
      if (this.#seen.has(key)) cachedChars = end;
      else {
        if (this.#seen.size > 200_000) this.#seen.clear();
        this.#seen.add(key);
      }
    }
    const tokens = Math.floor(cachedChars / 4);
    return tokens >= 1024 ? tokens : 0;
  }
}

/** Starts the fake server on 127.0.0.1 and resolves once it listens. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const mode = options.mode ?? 'openai';
  const engine = engineFor(mode, options.contextLength);
  let schedule = new FaultSchedule(options.faults ?? {});
  let latencyMs = options.latencyMs ?? 0;
  let answers = options.answers ?? 'generator';
  let batchBehaviour: BatchBehaviour = options.batch ?? {};
  const models = options.models ?? ['gpt-4o-mini', 'fake-model'];
  const scripted: ScriptItem[] = [];
  const log: FakeRequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const files = new Map<string, { id: string; filename: string; purpose: string; content: string; created_at: number }>();
  const batches = new Map<string, FakeBatch & { created_at: number; input: string[]; number: number }>();
  const prefixCache = new PrefixCache();
  let seq = 0;
  let ids = 0;
  const nextId = (prefix: string): string => `${prefix}${(++ids).toString(36).padStart(6, '0')}`;

  const wait = (ms: number, response: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve(!response.destroyed);
      const timer = setTimeout(() => {
        timers.delete(timer);
        response.off('close', onClose);
        resolve(!response.destroyed);
      }, ms);
      const onClose = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      timers.add(timer);
      response.once('close', onClose);
    });

  /** A parsed, accepted chat request. */
  interface Accepted {
    endpoint: 'chat.completions' | 'responses';
    model: string;
    messages: { role: string; content: string }[];
    listing: ListingBlock | null;
    schema: Record<string, unknown> | null;
    maxTokens: number | null;
  }

  /** Validates a chat or responses request body as the engine would; an error answer or the accepted request. */
  const accept = (json: unknown, endpoint: 'chat.completions' | 'responses'): { error: { status: number; body: string } } | { request: Accepted } => {
    const chat = endpoint === 'chat.completions' ? chatRequestSchema.safeParse(json) : null;
    const responses = endpoint === 'responses' ? responsesRequestSchema.safeParse(json) : null;
    const failure = chat?.error ?? responses?.error;
    if (failure) {
      const issue = failure.issues[0] as z.core.$ZodIssue;
      const param = issue.path.map(String).join('.') || null;
      return { error: { status: 400, body: errorBody(`Invalid request: ${param ?? '(root)'}: ${issue.message}`, 'invalid_request_error', null, param) } };
    }
    let model = '';
    let messages: { role: string; content: string }[] = [];
    let schema: Record<string, unknown> | null = null;
    let strict = false;
    let maxTokens: number | null = null;
    if (chat?.data) {
      const data: ChatRequest = chat.data;
      model = data.model;
      messages = data.messages.map((message) => ({ role: message.role, content: contentText(message.content) }));
      schema = data.response_format.json_schema.schema;
      strict = data.response_format.json_schema.strict === true;
      maxTokens = data.max_completion_tokens ?? data.max_tokens ?? null;
    } else if (responses?.data) {
      const request = responses.data;
      model = request.model;
      schema = request.text.format['schema'] as Record<string, unknown>;
      strict = true;
      messages = [
        ...(request.instructions ? [{ role: 'system', content: request.instructions }] : []),
        ...(typeof request.input === 'string'
          ? [{ role: 'user', content: request.input }]
          : request.input.map((message) => ({ role: message.role, content: contentText(message.content) }))),
      ];
    }
    if (engine.strictRequired && !strict) {
      return { error: { status: 400, body: errorBody('Invalid request: response_format.json_schema.strict: expected strict: true', 'invalid_request_error', null, 'response_format.json_schema.strict') } };
    }
    const refusal = schema === null ? null : engine.refuseSchema(schema, model);
    if (refusal !== null) {
      const message = engine.strictRequired ? `Invalid schema for response_format 'assessment': ${refusal}` : refusal;
      return { error: { status: 400, body: errorBody(message, 'invalid_request_error', engine.strictRequired ? 'invalid_json_schema' : null, 'response_format') } };
    }
    const promptTokens = estimateTokens(messages.map((message) => message.content).join('\n'));
    if (engine.contextLength !== null) {
      if (mode === 'vllm' && promptTokens + (maxTokens ?? 0) > engine.contextLength) {
        const message = `This model's maximum context length is ${engine.contextLength} tokens. However, you requested ${promptTokens + (maxTokens ?? 0)} tokens (${promptTokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`;
        return { error: { status: 400, body: errorBody(message, 'BadRequestError', null) } };
      }
      if (mode === 'llamacpp' && promptTokens > engine.contextLength) {
        return { error: { status: 400, body: errorBody('the request exceeds the available context size, try increasing it', 'exceed_context_size_error', null) } };
      }
    }
    const listing = messages.filter((message) => message.role === 'user').map((message) => parseListingBlock(message.content)).find((block) => block !== null) ?? null;
    return { request: { endpoint, model, messages, listing, schema, maxTokens } };
  };

  /** The answer to an accepted request: scripted, from the responder, or the default. */
  const answerFor = (request: Accepted, fault: Fault, batch: boolean): ScriptItem => {
    if (fault.kind === 'refusal') return { refusal: fault.message ?? "I'm sorry, I can't help with that." };
    const queued = scripted.shift();
    if (queued) return queued;
    const info: FakeRequestInfo = { endpoint: request.endpoint, model: request.model, listing: request.listing, messages: request.messages, schema: request.schema, batch };
    const answered = options.responder?.(info) ?? null;
    if (answered) return answered;
    // A repair request (the conversation already holds an answer) gets the generator's valid answer.
    const repairing = request.messages.some((message) => message.role === 'assistant');
    if (answers !== 'generator' && request.schema !== null && !repairing) {
      return { content: answerFromSchema(request.schema, answers, engine.ignores) as Record<string, unknown> };
    }
    const generated = generateAssessment(request.listing ?? { id: 'unknown', title: 'Unknown agent', summary: '', capabilities: [], text: '' });
    return { content: fault.kind === 'schema-break' ? breakAssessment(generated) : generated };
  };

  /** The completion body for an answer, with usage (cached prompt tokens included) and max_tokens applied. */
  const completionBody = (request: Accepted, item: ScriptItem, fault: Fault, id: string): Record<string, unknown> => {
    let content: string | null = null;
    let refusal: string | null = null;
    let finishReason: 'stop' | 'length' | 'content_filter' = 'stop';
    if ('refusal' in item) refusal = item.refusal;
    else {
      content = typeof item.content === 'string' ? item.content : JSON.stringify(item.content);
      finishReason = item.finishReason ?? 'stop';
      if (fault.kind === 'truncated-content') content = content.slice(0, Math.floor(content.length / 2));
      // An engine stops at max_tokens, whatever the schema wanted.
      if (request.maxTokens !== null && estimateTokens(content) > request.maxTokens) {
        content = content.slice(0, request.maxTokens * 4);
        finishReason = 'length';
      }
    }
    const prompt = request.messages.map((message) => message.content).join('\n');
    const promptTokens = estimateTokens(prompt);
    const cachedTokens = mode === 'openai' || mode === 'azure' ? prefixCache.cachedTokens(prompt) : 0;
    const completionTokens = estimateTokens(content ?? refusal ?? '');
    const created = Math.floor(Date.now() / 1000);
    if (request.endpoint === 'responses') {
      return {
        id: `resp_fake_${id}`,
        object: 'response',
        created_at: created,
        status: finishReason === 'length' ? 'incomplete' : 'completed',
        model: request.model,
        output: [
          {
            type: 'message',
            id: `msg_fake_${id}`,
            role: 'assistant',
            status: 'completed',
            content: refusal !== null ? [{ type: 'refusal', refusal }] : [{ type: 'output_text', text: content ?? '', annotations: [] }],
          },
        ],
        usage: { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      };
    }
    return {
      id: `chatcmpl-fake-${id}`,
      object: 'chat.completion',
      created,
      model: request.model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal }, logprobs: null, finish_reason: finishReason }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        ...(mode === 'openai' || mode === 'azure' ? { prompt_tokens_details: { cached_tokens: cachedTokens } } : {}),
      },
    };
  };

  const fileObject = (file: { id: string; filename: string; purpose: string; content: string; created_at: number }) => ({
    id: file.id,
    object: 'file',
    bytes: Buffer.byteLength(file.content),
    created_at: file.created_at,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  });

  const batchObject = (batch: FakeBatch & { created_at: number }) => ({
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    errors: null,
    input_file_id: batch.inputFileId,
    completion_window: '24h',
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: batch.created_at,
    expires_at: batch.created_at + 24 * 3600,
    request_counts: batch.requestCounts,
    metadata: null,
  });

  const storeFile = (filename: string, purpose: string, content: string): string => {
    const id = nextId('file-');
    files.set(id, { id, filename, purpose, content, created_at: Math.floor(Date.now() / 1000) });
    return id;
  };

  /** Runs a batch's lines (as the engine would over the window) and writes its output and error files. */
  const finishBatch = (batch: FakeBatch & { created_at: number; input: string[]; number: number }): void => {
    const configured = batchBehaviour.outcome ?? 'completed';
    const outcome = typeof configured === 'function' ? configured(batch.number) : configured;
    if (outcome === 'failed') {
      batch.status = 'failed';
      return;
    }
    const doneUpTo = outcome === 'expired' ? Math.floor(batch.input.length * (batchBehaviour.expiredDone ?? 0.5)) : batch.input.length;
    const output: string[] = [];
    const errors: string[] = [];
    batch.input.forEach((text, index) => {
      const line = batchLineSchema.parse(JSON.parse(text));
      const lineId = `batch_req_${batch.id}_${index}`;
      if (index >= doneUpTo) {
        errors.push(JSON.stringify({ id: lineId, custom_id: line.custom_id, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
        return;
      }
      if (batchBehaviour.failLine?.(line.custom_id, index) === true) {
        errors.push(JSON.stringify({ id: lineId, custom_id: line.custom_id, response: { status_code: 500, request_id: `req_${lineId}`, body: JSON.parse(errorBody('The server had an error while processing your request.', 'server_error', null)) as unknown }, error: null }));
        return;
      }
      const accepted = accept(line.body, 'chat.completions');
      if ('error' in accepted) {
        errors.push(JSON.stringify({ id: lineId, custom_id: line.custom_id, response: { status_code: accepted.error.status, request_id: `req_${lineId}`, body: JSON.parse(accepted.error.body) as unknown }, error: null }));
        return;
      }
      const none: Fault = { kind: 'none' };
      const body = completionBody(accepted.request, answerFor(accepted.request, none, true), none, lineId);
      output.push(JSON.stringify({ id: lineId, custom_id: line.custom_id, response: { status_code: 200, request_id: `req_${lineId}`, body }, error: null }));
    });
    batch.outputFileId = output.length > 0 ? storeFile(`${batch.id}_output.jsonl`, 'batch_output', `${output.join('\n')}\n`) : null;
    batch.errorFileId = errors.length > 0 ? storeFile(`${batch.id}_error.jsonl`, 'batch_output', `${errors.join('\n')}\n`) : null;
    batch.requestCounts = { total: batch.input.length, completed: output.length, failed: errors.length };
    batch.status = outcome === 'expired' ? 'expired' : 'completed';
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const entry: FakeRequestLogEntry = {
      seq: ++seq,
      method,
      path,
      status: 0,
      fault: null,
      model: null,
      listingId: null,
      temperature: null,
      seed: null,
      maxTokens: null,
      body: null,
      messages: [],
    };
    log.push(entry);

    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      // -1: the client gave up (timed out or aborted) before the answer was ready.
      entry.status = response.destroyed ? -1 : status;
      if (response.destroyed) return;
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-request-id': `req_fake_${entry.seq}`,
        ...headers,
      });
      response.end(body);
    };
    const notFound = (): void => send(404, errorBody(`Unknown request URL: ${method} ${path}`, 'invalid_request_error', 'unknown_url'));
    const badJson = (): void => send(400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));

    // Routes: OpenAI-style `/v1/…`, or Azure's `/openai/…?api-version=…`.
    let route = path;
    let deployment: string | null = null;
    if (mode === 'azure') {
      if (!path.startsWith('/openai/')) return notFound();
      if (!url.searchParams.get('api-version')) {
        send(404, errorBody('Resource not found', 'invalid_request_error', '404'));
        return;
      }
      const match = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(path);
      if (match) {
        deployment = decodeURIComponent(match[1] ?? '');
        route = `/v1${match[2] ?? ''}`;
      } else route = `/v1${path.slice('/openai'.length)}`;
    } else if (!path.startsWith('/v1/')) return notFound();

    let raw: Buffer;
    try {
      raw = await readBody(request, route === '/v1/files' ? MAX_FILE_BYTES : MAX_BODY_BYTES);
    } catch {
      send(413, errorBody('Request body too large', 'invalid_request_error', null));
      return;
    }
    if (options.expectedApiKey !== undefined) {
      const presented = mode === 'azure' ? String(request.headers['api-key'] ?? '') : (/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
      if (presented !== options.expectedApiKey) {
        const shown = options.echoApiKeyInErrors ? presented : maskKey(presented);
        send(401, errorBody(`Incorrect API key provided: ${shown}.`, 'invalid_request_error', 'invalid_api_key'));
        return;
      }
    }
    if (deployment !== null && options.deployments !== undefined && !options.deployments.includes(deployment)) {
      send(404, errorBody('The API deployment for this resource does not exist.', 'invalid_request_error', 'DeploymentNotFound'));
      return;
    }

    if (method === 'GET' && route === '/v1/models') {
      const data = models.map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: engine.ownedBy,
        ...(mode === 'vllm' ? { root: id, parent: null, max_model_len: engine.contextLength } : {}),
        ...(mode === 'llamacpp' ? { meta: { n_ctx: engine.contextLength, n_ctx_train: engine.contextLength, n_vocab: 32_000 } } : {}),
      }));
      send(200, JSON.stringify({ object: 'list', data }));
      return;
    }

    // Files and Batches, where the engine has them.
    if (route === '/v1/files' || route.startsWith('/v1/files/') || route === '/v1/batches' || route.startsWith('/v1/batches/')) {
      if (!engine.batch) return notFound();
      if (method === 'POST' && route === '/v1/files') {
        let form: FormData;
        try {
          form = await new Response(new Uint8Array(raw), { headers: { 'content-type': request.headers['content-type'] ?? '' } }).formData();
        } catch {
          send(400, errorBody('Expected a multipart/form-data body with file and purpose', 'invalid_request_error', null));
          return;
        }
        const file = form.get('file');
        const purpose = form.get('purpose');
        if (!(file instanceof Blob) || typeof purpose !== 'string') {
          send(400, errorBody("Missing required parameter: 'file' and 'purpose'", 'invalid_request_error', null));
          return;
        }
        const content = await file.text();
        if (purpose === 'batch') {
          const bad = content.split('\n').findIndex((line) => line.trim() !== '' && !batchLineSchema.safeParse((() => { try { return JSON.parse(line) as unknown; } catch { return null; } })()).success);
          if (bad >= 0) {
            send(400, errorBody(`Invalid file format for Batch API. Line ${bad + 1} is not a valid request.`, 'invalid_request_error', 'invalid_file_format'));
            return;
          }
        }
        const id = storeFile('name' in file && typeof file.name === 'string' ? file.name : 'upload.jsonl', purpose, content);
        send(200, JSON.stringify(fileObject(files.get(id) as { id: string; filename: string; purpose: string; content: string; created_at: number })));
        return;
      }
      const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(route);
      if (method === 'GET' && fileMatch) {
        const file = files.get(fileMatch[1] ?? '');
        if (!file) {
          send(404, errorBody(`No such File object: ${fileMatch[1] ?? ''}`, 'invalid_request_error', null));
          return;
        }
        if (fileMatch[2] === '/content') {
          entry.status = 200;
          response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(file.content)) });
          response.end(file.content);
          return;
        }
        send(200, JSON.stringify(fileObject(file)));
        return;
      }
      if (method === 'POST' && route === '/v1/batches') {
        const json = jsonBody(raw);
        if (json === undefined) return badJson();
        const parsed = batchCreateSchema.safeParse(json);
        const expectedEndpoint = mode === 'azure' ? '/chat/completions' : '/v1/chat/completions';
        if (!parsed.success || parsed.data.endpoint !== expectedEndpoint) {
          send(400, errorBody(parsed.success ? `Invalid endpoint ${parsed.data.endpoint}: expected ${expectedEndpoint}` : `Invalid request: ${parsed.error.issues[0]?.message ?? ''}`, 'invalid_request_error', null));
          return;
        }
        const input = files.get(parsed.data.input_file_id);
        if (!input || input.purpose !== 'batch') {
          send(400, errorBody(`Invalid input_file_id ${parsed.data.input_file_id}: expected a file with purpose batch`, 'invalid_request_error', null));
          return;
        }
        const lines = input.content.split('\n').filter((line) => line.trim() !== '');
        const customIds = lines.map((line) => batchLineSchema.parse(JSON.parse(line)).custom_id);
        if (new Set(customIds).size !== customIds.length) {
          send(400, errorBody('The custom_id of each request in a batch must be unique.', 'invalid_request_error', 'duplicate_custom_id'));
          return;
        }
        const wrongUrl = lines.find((line) => batchLineSchema.parse(JSON.parse(line)).url !== expectedEndpoint);
        if (wrongUrl !== undefined) {
          send(400, errorBody(`Every line's url must be the batch endpoint ${expectedEndpoint}`, 'invalid_request_error', 'mismatched_endpoint'));
          return;
        }
        const id = nextId('batch_');
        const batch = {
          id,
          status: 'validating' as FakeBatch['status'],
          endpoint: parsed.data.endpoint,
          inputFileId: input.id,
          lines: lines.length,
          polls: 0,
          outputFileId: null,
          errorFileId: null,
          requestCounts: { total: lines.length, completed: 0, failed: 0 },
          created_at: Math.floor(Date.now() / 1000),
          input: lines,
          number: batches.size + 1,
        };
        batches.set(id, batch);
        send(200, JSON.stringify(batchObject(batch)));
        return;
      }
      const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(route);
      const batch = batchMatch ? batches.get(batchMatch[1] ?? '') : undefined;
      if (batchMatch && !batch) {
        send(404, errorBody(`No such Batch object: ${batchMatch[1] ?? ''}`, 'invalid_request_error', null));
        return;
      }
      if (batch && method === 'POST' && batchMatch?.[2] === '/cancel') {
        if (batch.status === 'validating' || batch.status === 'in_progress') batch.status = 'cancelled';
        send(200, JSON.stringify(batchObject(batch)));
        return;
      }
      if (batch && method === 'GET' && batchMatch?.[2] === undefined) {
        batch.polls += 1;
        if (batch.status === 'validating' || batch.status === 'in_progress') {
          if (batch.polls > (batchBehaviour.pollsInProgress ?? 1)) finishBatch(batch);
          else batch.status = 'in_progress';
        }
        send(200, JSON.stringify(batchObject(batch)));
        return;
      }
      return notFound();
    }

    const endpoint =
      method === 'POST' && route === '/v1/chat/completions' ? 'chat.completions' : method === 'POST' && route === '/v1/responses' && mode !== 'azure' ? 'responses' : null;
    if (endpoint === null) return notFound();

    const json = jsonBody(raw);
    if (json === undefined) return badJson();
    if (json !== null && typeof json === 'object') {
      const body = json as Record<string, unknown>;
      entry.body = body;
      entry.temperature = typeof body['temperature'] === 'number' ? body['temperature'] : null;
      entry.seed = typeof body['seed'] === 'number' ? body['seed'] : null;
      const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
      entry.maxTokens = typeof maxTokens === 'number' ? maxTokens : null;
    }
    const accepted = accept(json, endpoint);
    if ('error' in accepted) {
      entry.temperature = null;
      entry.seed = null;
      send(accepted.error.status, accepted.error.body);
      return;
    }
    const chat = accepted.request;
    entry.model = chat.model;
    entry.listingId = chat.listing?.id ?? null;
    entry.messages = chat.messages;
    // After parsing, so the log says whose request it was even when the client gives up meanwhile.
    if (!(await wait(latencyMs, response))) {
      entry.status = -1;
      return;
    }

    const fault: Fault = schedule.next();
    entry.fault = fault.kind === 'none' ? null : fault.kind;
    switch (fault.kind) {
      case 'rate-limit': {
        const headers: Record<string, string> = { 'retry-after': String(fault.retryAfterSeconds ?? 1) };
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        send(429, errorBody('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'), headers);
        return;
      }
      case 'server-error':
        send(fault.status ?? 500, errorBody('The server had an error while processing your request.', 'server_error', null));
        return;
      case 'reset':
        entry.status = -1;
        request.socket.destroy();
        return;
      case 'delay':
        if (!(await wait(fault.ms, response))) {
          entry.status = -1;
          return;
        }
        break;
      default:
        break;
    }

    const body = JSON.stringify(completionBody(chat, answerFor(chat, fault, false), fault, String(entry.seq)));
    if (fault.kind === 'truncated-body') {
      send(200, body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    send(200, body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(errorBody('fake server failure', 'server_error', null));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    baseUrl: mode === 'azure' ? `${origin}/openai/deployments/fake-deployment` : `${origin}/v1`,
    origin,
    port,
    mode,
    requests: () => log.length,
    requestLog: log,
    batches: () => [...batches.values()].map(({ input: _input, created_at: _created, number: _number, ...batch }) => ({ ...batch })),
    script: (...items) => {
      scripted.push(...items);
    },
    setFaults: (plan) => {
      schedule = new FaultSchedule(plan);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setAnswers: (next) => {
      answers = next;
    },
    setBatchBehaviour: (behaviour) => {
      batchBehaviour = behaviour;
    },
    reset: () => {
      log.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
