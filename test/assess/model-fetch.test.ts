import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelFetch, type ModelFetch } from '../../src/assess/model-fetch.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: unknown;
}

let server: Server;
let base: string;
let seen: Seen[];
let handler: (request: IncomingMessage, response: ServerResponse, body: string) => void;
let modelFetch: ModelFetch;

beforeEach(async () => {
  seen = [];
  handler = (_request, response) => response.end('{}');
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, socket: request.socket });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  modelFetch = createModelFetch();
});

afterEach(async () => {
  await modelFetch.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createModelFetch', () => {
  it('sends the method, headers and JSON body, and answers with status, headers and body as fetch does', async () => {
    handler = (_request, response) => {
      response.setHeader('x-request-id', 'req-1');
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, echo: 'é' }));
    };
    const response = await modelFetch(`${base}/v1/chat/completions?x=1`, {
      method: 'post',
      headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }),
      body: JSON.stringify({ model: 'm' }),
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions?x=1', body: '{"model":"m"}' });
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer k', 'content-type': 'application/json' });
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.ok]).toEqual([201, true]);
    expect(response.headers.get('x-request-id')).toBe('req-1');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true, echo: 'é' });
  });

  it('answers an error status with its body, for the SDK to read', async () => {
    handler = (_request, response) => {
      response.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
      response.end('{"error":{"message":"slow down"}}');
    };
    const response = await modelFetch(`${base}/v1/x`, { method: 'POST', body: '{}' });
    expect([response.status, response.ok, response.headers.get('retry-after')]).toEqual([429, false, '2']);
    expect(await response.text()).toBe('{"error":{"message":"slow down"}}');
  });

  it('decompresses a gzip answer and drops the encoding headers', async () => {
    handler = (_request, response) => {
      const zipped = gzipSync(JSON.stringify({ choices: [] }));
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': zipped.length, 'content-type': 'application/json' });
      response.end(zipped);
    };
    const response = await modelFetch(`${base}/v1/x`, { method: 'POST', body: '{}' });
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.json()).toEqual({ choices: [] });
  });

  it('gives a 204 a null body', async () => {
    handler = (_request, response) => {
      response.writeHead(204);
      response.end();
    };
    const response = await modelFetch(`${base}/v1/x`, { method: 'DELETE' });
    expect([response.status, response.body]).toEqual([204, null]);
  });

  it('keeps connections alive: six calls in a row share at most two', async () => {
    for (const path of ['a', 'b', 'c', 'd', 'e', 'f']) await (await modelFetch(`${base}/${path}`, { method: 'POST', body: '{}' })).text();
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((entry) => entry.socket)).size).toBeLessThanOrEqual(2);
  });

  it('rejects with an AbortError when the signal aborts while the server is still answering', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"partial":');
      // Never ends: only the abort can finish the call.
    };
    const controller = new AbortController();
    const pending = modelFetch(`${base}/v1/x`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects when the server drops the connection without an answer', async () => {
    handler = (request) => request.socket.destroy();
    await expect(modelFetch(`${base}/v1/x`, { method: 'POST', body: '{}' })).rejects.toThrow(/other side closed|socket/i);
  });

  it('passes a body it does not handle (a form) to the global fetch unchanged', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    await (await modelFetch(`${base}/v1/files`, { method: 'POST', body: form })).text();
    expect(seen[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]?.body).toContain('name="purpose"');
  });
});
