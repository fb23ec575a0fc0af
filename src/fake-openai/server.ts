/**
 * A fake OpenAI-compatible server on node:http (127.0.0.1), for tests, evals and benchmarks:
 * `POST /v1/chat/completions` and `POST /v1/responses` with strict json_schema outputs, answers that
 * are scripted or generated deterministically from the listing block, and injected faults.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { z } from 'zod';
import { parseListingBlock, type ListingBlock } from '../assess/prompts.js';
import { FaultSchedule, type Fault, type FaultKind, type FaultPlan } from './faults.js';
import { breakAssessment, generateAssessment } from './generator.js';
import { chatRequestSchema, contentText, responsesRequestSchema } from './request-schema.js';

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
  /** The messages of an accepted request (role and flattened text). */
  messages: { role: string; content: string }[];
}

/** Options for `startFakeOpenAI`. */
export interface FakeOpenAIOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** When set, requests whose Bearer token differs get 401. */
  expectedApiKey?: string;
  /** Echo the full presented key in 401 messages (to test that clients redact it). @default false */
  echoApiKeyInErrors?: boolean;
  /** Fixed latency added to every response. @default 0 */
  latencyMs?: number;
  faults?: FaultPlan;
  /** Answers per request (e.g. per listing); return null to fall through to the generator. */
  responder?: (request: FakeRequestInfo) => ScriptItem | null;
}

/** A running fake server. */
export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`, ready for the SDK's `baseURL`. */
  baseUrl: string;
  port: number;
  /** Requests received on `/v1/*` (every HTTP attempt, including rejected and faulted ones). */
  requests(): number;
  readonly requestLog: readonly FakeRequestLogEntry[];
  /** Queues canned answers, used in order before the responder and the generator. */
  script(...items: ScriptItem[]): void;
  /** Replaces the fault plan (sequence and random draws start afresh). */
  setFaults(plan: FaultPlan): void;
  setLatency(ms: number): void;
  /** Clears the request log and counter. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

function errorBody(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

function maskKey(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake server on 127.0.0.1 and resolves once it listens. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let schedule = new FaultSchedule(options.faults ?? {});
  let latencyMs = options.latencyMs ?? 0;
  const scripted: ScriptItem[] = [];
  const log: FakeRequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;

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

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const entry: FakeRequestLogEntry = {
      seq: ++seq,
      method: request.method ?? 'GET',
      path,
      status: 0,
      fault: null,
      model: null,
      listingId: null,
      temperature: null,
      seed: null,
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

    let raw: string;
    try {
      raw = await readBody(request);
    } catch {
      send(413, errorBody('Request body too large', 'invalid_request_error', null));
      return;
    }
    if (options.expectedApiKey !== undefined) {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (presented !== options.expectedApiKey) {
        const shown = options.echoApiKeyInErrors ? presented : maskKey(presented);
        send(401, errorBody(`Incorrect API key provided: ${shown}.`, 'invalid_request_error', 'invalid_api_key'));
        return;
      }
    }

    const endpoint =
      request.method === 'POST' && path === '/v1/chat/completions'
        ? 'chat.completions'
        : request.method === 'POST' && path === '/v1/responses'
          ? 'responses'
          : null;
    if (request.method === 'GET' && path === '/v1/models') {
      send(200, JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }] }));
      return;
    }
    if (endpoint === null) {
      send(404, errorBody(`Unknown request URL: ${request.method ?? ''} ${path}`, 'invalid_request_error', 'unknown_url'));
      return;
    }

    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      send(400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
      return;
    }
    const chat = endpoint === 'chat.completions' ? chatRequestSchema.safeParse(json) : null;
    const responses = endpoint === 'responses' ? responsesRequestSchema.safeParse(json) : null;
    const failure = chat?.error ?? responses?.error;
    if (failure) {
      const issue = failure.issues[0] as z.core.$ZodIssue;
      const param = issue.path.map(String).join('.') || null;
      send(400, errorBody(`Invalid request: ${param ?? '(root)'}: ${issue.message}`, 'invalid_request_error', null, param));
      return;
    }
    let model = '';
    let temperature: number | null = null;
    let seed: number | null = null;
    let messages: { role: string; content: string }[] = [];
    if (chat?.data) {
      model = chat.data.model;
      temperature = chat.data.temperature ?? null;
      seed = chat.data.seed ?? null;
      messages = chat.data.messages.map((message) => ({ role: message.role, content: contentText(message.content) }));
    } else if (responses?.data) {
      const request = responses.data;
      model = request.model;
      temperature = request.temperature ?? null;
      messages = [
        ...(request.instructions ? [{ role: 'system', content: request.instructions }] : []),
        ...(typeof request.input === 'string'
          ? [{ role: 'user', content: request.input }]
          : request.input.map((message) => ({ role: message.role, content: contentText(message.content) }))),
      ];
    }
    const listing =
      messages.filter((message) => message.role === 'user').map((message) => parseListingBlock(message.content)).find((block) => block !== null) ??
      null;
    entry.model = model;
    entry.listingId = listing?.id ?? null;
    entry.temperature = temperature;
    entry.seed = seed;
    entry.messages = messages;
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

    const item: ScriptItem = (() => {
      if (fault.kind === 'refusal') return { refusal: fault.message ?? "I'm sorry, I can't help with that." };
      const queued = scripted.shift();
      if (queued) return queued;
      const answered = options.responder?.({ endpoint, model, listing, messages }) ?? null;
      if (answered) return answered;
      const generated = generateAssessment(
        listing ?? { id: 'unknown', title: 'Unknown agent', summary: '', capabilities: [], text: '' },
      );
      return { content: fault.kind === 'schema-break' ? breakAssessment(generated) : generated };
    })();

    let content: string | null = null;
    let refusal: string | null = null;
    let finishReason: 'stop' | 'length' | 'content_filter' = 'stop';
    if ('refusal' in item) {
      refusal = item.refusal;
    } else {
      content = typeof item.content === 'string' ? item.content : JSON.stringify(item.content);
      finishReason = item.finishReason ?? 'stop';
      if (fault.kind === 'truncated-content') content = content.slice(0, Math.floor(content.length / 2));
    }

    const promptTokens = estimateTokens(messages.map((message) => message.content).join('\n'));
    const completionTokens = estimateTokens(content ?? refusal ?? '');
    const created = Math.floor(Date.now() / 1000);
    const body =
      endpoint === 'chat.completions'
        ? JSON.stringify({
            id: `chatcmpl-fake-${entry.seq}`,
            object: 'chat.completion',
            created,
            model,
            system_fingerprint: 'fp_fake',
            choices: [
              { index: 0, message: { role: 'assistant', content, refusal }, logprobs: null, finish_reason: finishReason },
            ],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          })
        : JSON.stringify({
            id: `resp_fake_${entry.seq}`,
            object: 'response',
            created_at: created,
            status: finishReason === 'length' ? 'incomplete' : 'completed',
            model,
            output: [
              {
                type: 'message',
                id: `msg_fake_${entry.seq}`,
                role: 'assistant',
                status: 'completed',
                content:
                  refusal !== null
                    ? [{ type: 'refusal', refusal }]
                    : [{ type: 'output_text', text: content ?? '', annotations: [] }],
              },
            ],
            usage: { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          });

    if (fault.kind === 'truncated-body') {
      const cut = body.slice(0, Math.floor(body.length / 2));
      send(200, cut);
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

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests: () => log.length,
    requestLog: log,
    script: (...items) => {
      scripted.push(...items);
    },
    setFaults: (plan) => {
      schedule = new FaultSchedule(plan);
    },
    setLatency: (ms) => {
      latencyMs = ms;
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
