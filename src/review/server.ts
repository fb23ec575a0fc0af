/** Starts the review app on a real HTTP server (@hono/node-server), bound to 127.0.0.1 unless told otherwise. */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { InputError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { RedisTarget } from '../store/redis-target.js';
import { createReviewApp } from './app.js';
import { RateLimiter } from './rate-limit.js';
import type { QueueDashboard } from './bull-board.js';
import { ReviewService } from './service.js';

export interface ReviewServerOptions {
  store: Store;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 4173 */
  port?: number;
  /** Adds the two-person rule for this server on top of the store's policy (never lifts it). @default false */
  twoPerson?: boolean;
  /** When set, the bull-board dashboard at /admin/queues. */
  redisUrl?: RedisTarget | undefined;
  queueNames?: readonly string[] | undefined;
  queuePrefix?: string | undefined;
  /**
   * Extra Host header names to answer to (a reverse proxy's name). On a loopback address the server
   * always answers to 127.0.0.1, localhost and [::1] and refuses other names (DNS rebinding); on
   * another address these names are required (it refuses to start without them) and are the only
   * ones it answers to.
   */
  allowedHosts?: readonly string[] | undefined;
  /** pino level for unexpected errors on stderr. @default 'warn' */
  logLevel?: string | undefined;
  /** Public corrections form: the least time between serving and sending it (see createReviewApp). @default 3000 */
  correctionMinFillMs?: number | undefined;
  /** Public corrections form: submissions per client address in ten minutes. @default 5 */
  correctionRateLimit?: number | undefined;
  /** @default () => new Date() */
  clock?: (() => Date) | undefined;
  /** The site folder the UI's Publish writes (`review --site DIR`); unset, the page only previews. */
  siteDir?: string | undefined;
  /** Where published agent pages send vendors for corrections (`?agent=<id>` is added). */
  correctionsUrl?: string | undefined;
}

/** A running review server. */
export interface ReviewServer {
  url: string;
  port: number;
  service: ReviewService;
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const host = options.host ?? '127.0.0.1';
  // Checked before anything is opened or bound.
  const allowedHosts = allowedHostsFor(host, options.allowedHosts);
  const service = new ReviewService({ store: options.store, twoPerson: options.twoPerson ?? false, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  let dashboard: QueueDashboard | undefined;
  if (options.redisUrl !== undefined && options.redisUrl !== '') {
    const { createQueueDashboard } = await import('./bull-board.js');
    dashboard = createQueueDashboard({
      redisUrl: options.redisUrl,
      ...(options.queueNames === undefined ? {} : { queueNames: options.queueNames }),
      ...(options.queuePrefix === undefined ? {} : { prefix: options.queuePrefix }),
    });
  }
  const { createLogger } = await import('../log.js');
  const logger = createLogger(options.logLevel ?? 'warn', 'threatdraft-review');
  const app = createReviewApp({
    service,
    allowedHosts,
    admin: dashboard?.app,
    correctionMinFillMs: options.correctionMinFillMs,
    publish: { siteDir: options.siteDir ?? null, correctionsUrl: options.correctionsUrl ?? null },
    ...(options.correctionRateLimit === undefined ? {} : { correctionRateLimit: new RateLimiter({ max: options.correctionRateLimit }) }),
    logError: (error, context) => logger.error({ ...context, err: { name: error.name, message: error.message, stack: error.stack } }, 'unexpected error'),
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 4173 }, () => resolve(started));
    started.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    service,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await dashboard?.close();
    },
  };
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host names a server bound to `host` answers to. On loopback: 127.0.0.1, localhost, [::1] and
 * `extra`. Beyond loopback the server is reachable from other machines, where only the names its
 * users type are legitimate: without `extra` it would have to answer any Host (DNS rebinding), so
 * it refuses to start instead.
 * @throws InputError (exit 2) for a non-loopback `host` without names.
 */
export function allowedHostsFor(host: string, extra: readonly string[] | undefined): string[] {
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  const names = [...(extra ?? [])];
  if (loopback) return [...new Set([...LOOPBACK_NAMES, host.includes(':') ? `[${host}]` : host, ...names])];
  if (names.length === 0) {
    throw new InputError(
      'E_ALLOWED_HOST',
      `Refusing to listen on ${host} without --allowed-host: beyond loopback the server must know the host names its users reach it by (e.g. --allowed-host review.internal), so it can refuse any other Host header (DNS rebinding)`,
      { host, option: 'allowed-host' },
    );
  }
  return [...new Set([host.includes(':') ? `[${host}]` : host, ...names])];
}
