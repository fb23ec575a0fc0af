import * as undici from 'undici';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Agent, dispatchRequest, makeConnector, request } from '../../src/crawl/undici-parts.js';

describe('undici parts loaded from their own files', () => {
  it('are the very Agent, connector and request method that undici exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(makeConnector).toBe(undici.buildConnector);
    // The index installs the request method on every dispatcher.
    expect(dispatchRequest).toBe(undici.Dispatcher.prototype.request);
  });

  it('sends a request to the URL path and query through the given dispatcher', async () => {
    const seen: string[] = [];
    const server = createServer((incoming, response) => {
      seen.push(`${incoming.method ?? ''} ${incoming.url ?? ''} ${incoming.headers['x-probe'] ?? ''}`);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent();
    try {
      const { port } = server.address() as AddressInfo;
      const plain = await request(new URL(`http://127.0.0.1:${port}/a/b`), { method: 'GET', dispatcher: agent });
      expect(await plain.body.text()).toBe('ok');
      const query = await request(new URL(`http://127.0.0.1:${port}/c?x=1&y=2#frag`), { method: 'GET', headers: { 'x-probe': 'yes' }, dispatcher: agent });
      expect(query.statusCode).toBe(200);
      await query.body.dump();
      expect(seen).toEqual(['GET /a/b ', 'GET /c?x=1&y=2 yes']);
    } finally {
      await agent.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
