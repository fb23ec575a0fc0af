import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { RobotsCache, RobotsTxt } from '../../src/crawl/robots.js';
import type { RobotsResponse } from '../../src/crawl/robots.js';

const text = readFileSync(new URL('../fixtures/crawl/robots.txt', import.meta.url), 'utf8');

describe('RobotsTxt.from', () => {
  const rules = RobotsTxt.from('https://example.com/some/page', text);

  it('applies the group for our user agent, not the * group', () => {
    expect(rules.isAllowed('https://example.com/admin/users')).toBe(false);
    expect(rules.isAllowed('https://example.com/admin/public/x')).toBe(true);
    expect(rules.isAllowed('https://example.com/private/x')).toBe(true);
    expect(rules.isAllowed('https://example.com/private/x', 'otherbot')).toBe(false);
  });

  it('reads Crawl-delay in milliseconds for our user agent', () => {
    expect(rules.crawlDelayMs()).toBe(250);
    expect(rules.crawlDelayMs('otherbot')).toBe(5000);
    // Asked again (before every request), each agent keeps its own answer.
    expect([rules.crawlDelayMs(), rules.crawlDelayMs('otherbot'), rules.crawlDelayMs()]).toEqual([250, 5000, 250]);
    expect(RobotsTxt.from('https://example.com/', 'User-agent: *\nDisallow: /x\n').crawlDelayMs()).toBeUndefined();
  });

  it('lists sitemaps', () => {
    expect(rules.sitemaps()).toEqual(['https://example.com/sitemap.xml']);
  });

  it('does not judge other origins', () => {
    expect(rules.isAllowed('https://other.example/admin')).toBe(true);
  });

  it('allow-all and disallow-all apply to their own origin only', () => {
    expect(RobotsTxt.allowAll('https://example.com/').isAllowed('https://example.com/admin')).toBe(true);
    const none = RobotsTxt.disallowAll('https://example.com/');
    expect([none.isAllowed('https://example.com/'), none.isAllowed('https://other.example/')]).toEqual([false, true]);
  });
});

describe('RobotsCache', () => {
  const cacheWith = (answer: () => Promise<RobotsResponse>, now = () => 0) => {
    const calls: string[] = [];
    const cache = new RobotsCache(
      async (url) => {
        calls.push(url);
        return answer();
      },
      { now, rethrow: (error) => error instanceof PermanentError && error.code === 'E_SSRF' },
    );
    return { cache, calls };
  };

  it('fetches once per origin, sharing concurrent lookups', async () => {
    const { cache, calls } = cacheWith(async () => ({ status: 200, body: text }));
    await Promise.all([cache.find('https://example.com/a'), cache.find('https://example.com/b'), cache.find('https://example.com:443/c')]);
    await cache.find('http://example.com/a');
    expect(calls).toEqual(['https://example.com/robots.txt', 'http://example.com/robots.txt']);
  });

  it.each([
    [404, 'allow-all'],
    [403, 'allow-all'],
    [500, 'disallow-all'],
    [503, 'disallow-all'],
    [429, 'disallow-all'],
  ])('status %i means %s', async (status, expected) => {
    const { cache } = cacheWith(async () => ({ status, body: 'User-agent: *\nDisallow: /' }));
    const rules = await cache.find('https://example.com/x');
    expect(rules.status).toBe(expected);
    expect(rules.unavailable).toEqual(expected === 'disallow-all' ? { reason: `HTTP ${status}`, unreachable: false } : null);
  });

  it('treats an unreachable host as disallow-all and asks again after the error TTL', async () => {
    let clock = 0;
    let reachable = false;
    const { cache, calls } = cacheWith(async () => {
      if (!reachable) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return { status: 200, body: '' };
    }, () => clock);
    const down = await cache.find('https://example.com/x');
    expect(down.status).toBe('disallow-all');
    expect(down.unavailable).toEqual({ reason: 'ECONNREFUSED', unreachable: true });
    reachable = true;
    clock = 599_999;
    expect((await cache.find('https://example.com/x')).status).toBe('disallow-all');
    clock = 600_001;
    expect((await cache.find('https://example.com/x')).status).toBe('parsed');
    expect(calls).toHaveLength(2);
  });

  it('rethrows errors the caller marks as such, without caching them', async () => {
    let calls = 0;
    const cache = new RobotsCache(
      async () => {
        calls += 1;
        throw new PermanentError('E_SSRF', 'refused');
      },
      { rethrow: (error) => error instanceof PermanentError && error.code === 'E_SSRF' },
    );
    await expect(cache.find('http://10.0.0.1/')).rejects.toMatchObject({ code: 'E_SSRF' });
    await expect(cache.find('http://10.0.0.1/')).rejects.toMatchObject({ code: 'E_SSRF' });
    expect(calls).toBe(2);
  });
});
