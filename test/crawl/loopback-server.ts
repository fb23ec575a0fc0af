/**
 * A loopback node:http server for fetcher tests: routes by path, records every request and
 * counts TCP connections (to prove that a refused fetch never connected).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LoopbackServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Paths (with query) requested, in order. */
  readonly requests: { path: string; headers: IncomingMessage['headers']; at: number }[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Count of requests for one path. */
  hits(path: string): number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1, port 0; unknown paths (robots.txt included) answer 404. */
export async function startLoopbackServer(routes: Record<string, Handler> = {}): Promise<LoopbackServer> {
  const table = new Map(Object.entries(routes));
  const requests: LoopbackServer['requests'] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers, at: performance.now() });
    const handler = table.get(path) ?? table.get(path.split('?')[0] ?? path);
    if (handler === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    handler(req, res);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    hits: (path) => requests.filter((entry) => entry.path === path).length,
    route: (path, handler) => table.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A handler answering 200 with the given body and content type. */
export function page(body: string | Buffer, contentType = 'text/html; charset=utf-8', extra: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': contentType, ...extra }).end(body);
  };
}

/** A handler answering a redirect. */
export function redirect(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location }).end();
  };
}

/** A handler that plays the given handlers in order, repeating the last one. */
export function sequence(...handlers: Handler[]): Handler {
  let index = 0;
  return (req, res) => {
    const handler = handlers[Math.min(index, handlers.length - 1)];
    index += 1;
    handler?.(req, res);
  };
}
