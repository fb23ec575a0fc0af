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

/** A dashboard over one fresh `assess` queue in Redis (holding one waiting job), behind a review app. */
async function dashboardFixture() {
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
  return { app, queue, tokens: fixture.tokens };
}

describe('bull-board at /admin/queues', () => {
  it('is served to signed-in reviewers only, over the named queues in Redis', async () => {
    const { app, tokens } = await dashboardFixture();
    const anonymous = await app.request('/admin/queues');
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
    expect((await app.request('/admin/queues/api/queues')).status).toBe(303);
    expect((await app.request('/admin/queues/api/queues/assess/pause', { method: 'PUT' })).status).toBe(401);

    const { cookie } = await signIn(app, tokens.alice);
    const page = await app.request('/admin/queues', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('__UI_CONFIG__');
    const api = await app.request('/admin/queues/api/queues', { headers: bearer(tokens.alice) });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(body.queues.map((q) => [q.name, q.counts['waiting']])).toEqual([['assess', 1]]);
  });

  /*
   * bull-board's UI sends no CSRF token, so changes through the session cookie are guarded by
   * (1) the browser's Sec-Fetch-Site, or Origin where a browser sends no Sec-Fetch-Site, saying
   * same-origin, and (2) the request needing a CORS preflight (PUT/PATCH/DELETE, or a POST with a
   * JSON body), which this app never grants. SameSite=Strict alone would not do: it still sends the
   * cookie from another port of the same host (127.0.0.1:8080 is same-site with 127.0.0.1:4173).
   * The app is requested as http://localhost here, so that is its origin.
   */
  it.each([
    ['a cross-site Origin', { Origin: 'https://evil.example' }],
    ['another port of the same host (same-site, so SameSite=Strict sends the cookie)', { Origin: 'http://localhost:8080' }],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://localhost:8080' }],
    ['Sec-Fetch-Site: cross-site, whatever Origin claims', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://localhost' }],
    ['Sec-Fetch-Site: none (typed or bookmarked)', { 'Sec-Fetch-Site': 'none' }],
    ['neither Origin nor Sec-Fetch-Site', {}],
    ['Origin: null (sandboxed or privacy-redirected)', { Origin: 'null' }],
  ])('refuses a session change with %s (403) and leaves the queue alone', async (_label, headers) => {
    const { app, queue, tokens } = await dashboardFixture();
    const { cookie } = await signIn(app, tokens.alice);
    const response = await app.request('/admin/queues/api/queues/assess/pause', { method: 'PUT', headers: { Cookie: cookie, ...headers } });
    expect(response.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
  });

  it('refuses a same-origin POST a cross-origin page could send without a preflight (form or text body)', async () => {
    const { app, queue, tokens } = await dashboardFixture();
    const { cookie } = await signIn(app, tokens.alice);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', undefined]) {
      const headers: Record<string, string> = { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin', ...(type === undefined ? {} : { 'Content-Type': type }) };
      const response = await app.request('/admin/queues/api/queues/assess/add', { method: 'POST', headers, body: '{"name":"forged","data":{}}' });
      expect(response.status, String(type)).toBe(403);
    }
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('lets the dashboard change things from its own origin, and Bearer clients without one', async () => {
    const { app, queue, tokens } = await dashboardFixture();
    const { cookie } = await signIn(app, tokens.alice);
    const pause = await app.request('/admin/queues/api/queues/assess/pause', { method: 'PUT', headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin', Origin: 'http://localhost' } });
    expect(pause.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    // A browser without Fetch Metadata: Origin alone decides.
    const resume = await app.request('/admin/queues/api/queues/assess/resume', { method: 'PUT', headers: { Cookie: cookie, Origin: 'http://localhost' } });
    expect(resume.status).toBe(200);
    expect(await queue.isPaused()).toBe(false);
    const add = await app.request('/admin/queues/api/queues/assess/add', {
      method: 'POST',
      headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'added', data: { n: 2 }, options: {} }),
    });
    expect(add.status).toBe(200);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 2 });
    const viaBearer = await app.request('/admin/queues/api/queues/assess/pause', { method: 'PUT', headers: bearer(tokens.bob) });
    expect(viaBearer.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
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
