import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { bullConnection } from '../../queues/names.js';
import { createReviewApp } from '../../src/review/app.js';
import { createQueueDashboard, type QueueDashboard } from '../../src/review/bull-board.js';
import { deleteKeysWithPrefix, redisUrlForTests } from '../helpers/redis.js';
import { bearer, setup, signIn } from './setup.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('bull-board at /admin/queues', () => {
  it('is served to signed-in reviewers only, over the named queues in Redis', async () => {
    const redisUrl = await redisUrlForTests();
    const prefix = `td-test-${randomUUID()}`;
    const queue = new Queue('assess', { connection: bullConnection(redisUrl), prefix });
    await queue.add('job', { n: 1 });
    const dashboard: QueueDashboard = createQueueDashboard({ redisUrl, prefix, queueNames: ['assess'] });
    cleanups.push(async () => {
      await dashboard.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await deleteKeysWithPrefix(redisUrl, prefix);
    });
    const fixture = await setup();
    const app = createReviewApp({ service: fixture.service, admin: dashboard.app });

    const anonymous = await app.request('/admin/queues');
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
    expect((await app.request('/admin/queues/api/queues')).status).toBe(303);

    const { cookie } = await signIn(app, fixture.tokens.alice);
    const page = await app.request('/admin/queues', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('__UI_CONFIG__');
    const api = await app.request('/admin/queues/api/queues', { headers: bearer(fixture.tokens.alice) });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(body.queues.map((q) => [q.name, q.counts['waiting']])).toEqual([['assess', 1]]);

    // A cross-site change through the session cookie is refused even though bull-board has no CSRF token.
    const crossSite = await app.request('/admin/queues/api/queues/assess/pause', { method: 'PUT', headers: { Cookie: cookie, Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
  });
});

describe('bull-board with Redis down', () => {
  it('reports each distinct connection error once, instead of a console.error stack trace per reconnect', async () => {
    const printed: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    const reported: string[] = [];
    // Port 1 refuses connections at once, so reconnects (and errors) come several a second.
    const dashboard = createQueueDashboard({ redisUrl: 'redis://127.0.0.1:1', prefix: `td-test-${randomUUID()}`, queueNames: ['a', 'b'], onError: (m) => reported.push(m) });
    try {
      await expect.poll(() => reported.length, { timeout: 5_000 }).toBeGreaterThan(0);
      await new Promise((done) => setTimeout(done, 600)); // let a few reconnect attempts fail
      expect(reported).toEqual([expect.stringContaining('ECONNREFUSED')]);
      expect(printed).toEqual([]);
    } finally {
      console.error = original;
      void dashboard.close().catch(() => undefined);
    }
  });
});
