/**
 * The bull-board dashboard for the BullMQ queues, mounted by the review app at `/admin/queues`
 * (behind reviewer sign-in) when Redis is in use. Queue names and prefix come from `queues/names.ts`
 * unless given.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Queue } from 'bullmq';
import type { Hono } from 'hono';
import { ASSESS_QUEUE, CRAWL_QUEUE, bullConnection, closeBullConnection, prefixesFor } from '../../queues/names.js';
import type { RedisTarget } from '../store/redis-target.js';

export interface QueueDashboardOptions {
  /** A Redis URL, or a cluster target (the queues' prefix must then carry a hash tag, as `prefixesFor` gives). */
  redisUrl: RedisTarget;
  /** @default the pipeline's queues (crawl, assess) */
  queueNames?: readonly string[];
  /** BullMQ key prefix. @default `threatdraft:q` */
  prefix?: string;
  /** @default '/admin/queues' */
  basePath?: string;
  /** Told each distinct Redis error once. @default one line on stderr */
  onError?: (message: string) => void;
}

/** The dashboard routes and a close() that ends its Redis connections. */
export interface QueueDashboard {
  app: Hono;
  queueNames: string[];
  close(): Promise<void>;
}

/** Builds the dashboard over the named queues (read from Redis lazily, on request). */
export function createQueueDashboard(options: QueueDashboardOptions): QueueDashboard {
  const queueNames = [...(options.queueNames ?? [CRAWL_QUEUE, ASSESS_QUEUE])];
  const prefix = options.prefix ?? prefixesFor(undefined, options.redisUrl).queue;
  // On a cluster one client for all queues, closed after them.
  const connection = bullConnection(options.redisUrl);
  const queues = queueNames.map((name) => new Queue(name, { connection, prefix }));
  // Without a listener BullMQ console.errors every reconnect attempt with a stack trace (Redis down
  // means several a second); one line per distinct error is enough, and the UI still works.
  const report = options.onError ?? ((message: string) => process.stderr.write(`threatdraft review: ${message}\n`));
  const seen = new Set<string>();
  for (const queue of queues) {
    queue.on('error', (error: Error) => {
      const message = `queue dashboard: Redis error (${error.message})`;
      if (seen.has(message)) return;
      seen.add(message);
      report(message);
    });
  }
  const basePath = options.basePath ?? '/admin/queues';
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(basePath);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'threatdraft queues' } } });
  return {
    app: serverAdapter.registerPlugin() as unknown as Hono,
    queueNames,
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
      await closeBullConnection(connection);
    },
  };
}
