import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, PermanentError, TransientError } from '../../src/errors.js';
import { UndiciFetcher, fetcherSettingsForSource } from '../../src/crawl/undici-fetcher.js';
import type { UndiciFetcherOptions } from '../../src/crawl/undici-fetcher.js';
import { VERSION } from '../../src/version.js';
import { page, redirect, sequence, startLoopbackServer } from './loopback-server.js';
import type { LoopbackServer } from './loopback-server.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/crawl/${name}`, import.meta.url));

let server: LoopbackServer;
let fetcher: UndiciFetcher | undefined;
let sleeps: number[];

/** A fetcher for which `public.test` resolves to the loopback test server, trusted as if public. */
function publicFetcher(overrides: UndiciFetcherOptions = {}): UndiciFetcher {
  sleeps = [];
  return new UndiciFetcher({
    robots: false,
    politeness: { concurrency: 4, intervalMs: 0 },
    resolve: async (hostname) => {
      if (hostname === 'public.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    },
    trustedAddresses: [`127.0.0.1:${server.port}`],
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

const at = (path: string) => `http://public.test:${server.port}${path}`;

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; context?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the fetch to fail');
}

beforeEach(async () => {
  server = await startLoopbackServer();
});

afterEach(async () => {
  await fetcher?.close();
  fetcher = undefined;
  await server.close();
});

describe('UndiciFetcher basics', () => {
  it('fetches a page with our User-Agent and reports what it got', async () => {
    server.route('/agents/1/', page('<h1>Agent</h1>', 'text/html; charset=utf-8', { etag: '"v1"' }));
    fetcher = publicFetcher({ contactUrl: 'https://ops.example/contact', now: () => Date.parse('2025-03-01T10:00:00Z') });
    const result = await fetcher.fetch(at('/agents/1/#top'));
    expect(result).toEqual({
      status: 200,
      finalUrl: at('/agents/1/'),
      body: '<h1>Agent</h1>',
      contentType: 'text/html; charset=utf-8',
      etag: '"v1"',
      lastModified: undefined,
      notModified: false,
      fetchedAt: '2025-03-01T10:00:00.000Z',
      bytes: 14,
    });
    expect(server.requests[0]?.headers['user-agent']).toBe(`threatdraft/${VERSION} (+https://ops.example/contact)`);
    expect(server.requests[0]?.headers.accept).toContain('text/html');
  });

  it('rejects invalid options with a ConfigError naming the field', () => {
    expect(() => new UndiciFetcher({ maxAttempts: 0 })).toThrow(ConfigError);
    expect(() => new UndiciFetcher({ politeness: { concurrency: 0, intervalMs: 0 } })).toThrow(/politeness\.concurrency/);
    expect(() => new UndiciFetcher({ contactUrl: 'ftp://x' } as UndiciFetcherOptions)).toThrow(/contactUrl/);
  });

  it('maps a source config onto fetcher settings', () => {
    expect(fetcherSettingsForSource({ politeness: { concurrency: 1, intervalMs: 900 }, allowPrivateNetwork: true })).toEqual({
      politeness: { concurrency: 1, intervalMs: 900 },
      allowPrivateNetwork: true,
    });
  });
});

describe('robots.txt', () => {
  it('refuses a disallowed path without requesting it', async () => {
    server.route('/robots.txt', page('User-agent: threatdraft\nDisallow: /admin\n', 'text/plain'));
    server.route('/admin/x', page('secret'));
    server.route('/ok', page('fine'));
    fetcher = publicFetcher({ robots: true });
    const error = await failure(fetcher.fetch(at('/admin/x')));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_ROBOTS', context: { url: at('/admin/x') } });
    expect((await fetcher.fetch(at('/ok'))).body).toBe('fine');
    expect(server.hits('/admin/x')).toBe(0);
    expect(server.hits('/robots.txt')).toBe(1);
  });

  it('spaces requests to one host by the robots Crawl-delay', async () => {
    server.route('/robots.txt', page('User-agent: *\nCrawl-delay: 0.25\n', 'text/plain'));
    for (const n of [1, 2, 3]) server.route(`/p${n}`, page(`p${n}`));
    const polite = publicFetcher({ robots: true, politeness: { concurrency: 4, intervalMs: 0 } });
    fetcher = polite;
    await Promise.all([1, 2, 3].map((n) => polite.fetch(at(`/p${n}`))));
    const starts = server.requests.filter((entry) => entry.path.startsWith('/p')).map((entry) => entry.at);
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i += 1) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(230);
  });

  it('spaces requests by the source interval without robots.txt', async () => {
    for (const n of [1, 2, 3]) server.route(`/q${n}`, page(`q${n}`));
    const polite = publicFetcher({ politeness: { concurrency: 2, intervalMs: 200 } });
    fetcher = polite;
    await Promise.all([1, 2, 3].map((n) => polite.fetch(at(`/q${n}`))));
    // Spacing between arrivals on a warm connection (the first request also pays for connecting).
    const [, second = 0, third = 0] = server.requests.map((entry) => entry.at);
    expect(third - second).toBeGreaterThanOrEqual(180);
  });

  it('allows everything when robots.txt is missing (404)', async () => {
    server.route('/admin', page('open'));
    fetcher = publicFetcher({ robots: true });
    expect((await fetcher.fetch(at('/admin'))).body).toBe('open');
  });

  it('disallows the host when robots.txt answers 5xx, after retrying it', async () => {
    server.route('/robots.txt', (_req, res) => res.writeHead(503).end());
    server.route('/page', page('never'));
    fetcher = publicFetcher({ robots: true, maxAttempts: 2 });
    const error = await failure(fetcher.fetch(at('/page')));
    expect(error).toMatchObject({ code: 'E_ROBOTS', context: { robots: 'disallow-all' } });
    expect(error.message).toContain('could not be fetched (HTTP 503): host treated as disallowed');
    expect(server.hits('/robots.txt')).toBe(2);
    expect(server.hits('/page')).toBe(0);
  });

  it('names a host that does not answer at all as unreachable (E_UNREACHABLE, with the reason), not as a robots refusal', async () => {
    fetcher = publicFetcher({ robots: true, maxAttempts: 1, trustedAddresses: ['127.0.0.1:1'] });
    const error = await failure(fetcher.fetch('http://public.test:1/page'));
    expect(error).toMatchObject({ code: 'E_UNREACHABLE', context: { url: 'http://public.test:1/page', reason: 'ECONNREFUSED' } });
    expect(error.message).toBe('Cannot reach http://public.test:1 (ECONNREFUSED)');
  });

  it('follows a robots.txt redirect on the same host', async () => {
    server.route('/robots.txt', redirect('/real-robots.txt', 301));
    server.route('/real-robots.txt', page('User-agent: *\nDisallow: /\n', 'text/plain'));
    fetcher = publicFetcher({ robots: true });
    expect(await failure(fetcher.fetch(at('/x')))).toMatchObject({ code: 'E_ROBOTS' });
  });
});

describe('conditional GET', () => {
  it('answers a second fetch with matching validators as 304 with no body', async () => {
    const etag = '"abc123"';
    const lastModified = 'Wed, 01 Jan 2025 00:00:00 GMT';
    server.route('/listing', (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html', etag, 'last-modified': lastModified }).end('<p>listing body</p>');
    });
    fetcher = publicFetcher();
    const first = await fetcher.fetch(at('/listing'));
    expect(first).toMatchObject({ status: 200, etag, lastModified, notModified: false, body: '<p>listing body</p>', bytes: 19 });
    const second = await fetcher.fetch(at('/listing'), { conditional: { etag: first.etag, lastModified: first.lastModified } });
    expect(second).toMatchObject({ status: 304, notModified: true, body: '', bytes: 0, etag });
    expect(server.requests[1]?.headers['if-none-match']).toBe(etag);
    expect(server.requests[1]?.headers['if-modified-since']).toBe(lastModified);
  });
});

describe('retries', () => {
  it('waits the Retry-After seconds of a 429, then succeeds', async () => {
    server.route('/busy', sequence((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end(), page('done')));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/busy'))).body).toBe('done');
    expect(server.hits('/busy')).toBe(2);
    expect(sleeps).toEqual([7000]);
  });

  it('honours a Retry-After HTTP-date, capped by maxRetryAfterMs', async () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    server.route(
      '/date',
      sequence(
        (_req, res) => res.writeHead(429, { 'retry-after': 'Wed, 01 Jan 2025 00:00:12 GMT' }).end(),
        (_req, res) => res.writeHead(429, { 'retry-after': '86400' }).end(),
        page('ok'),
      ),
    );
    fetcher = publicFetcher({ now: () => now, retry: { maxRetryAfterMs: 30_000 } });
    expect((await fetcher.fetch(at('/date'))).body).toBe('ok');
    expect(sleeps).toEqual([12_000, 30_000]);
  });

  it('retries a 500 with exponential backoff, then succeeds', async () => {
    server.route('/flaky', sequence((_req, res) => res.writeHead(500).end('oops'), page('recovered')));
    fetcher = publicFetcher({ retry: { baseDelayMs: 400 } });
    expect((await fetcher.fetch(at('/flaky'))).body).toBe('recovered');
    expect(server.hits('/flaky')).toBe(2);
    expect(sleeps).toEqual([300]);
  });

  it('gives up after maxAttempts on persistent 503 with a TransientError', async () => {
    server.route('/down', (_req, res) => res.writeHead(503).end());
    fetcher = publicFetcher({ maxAttempts: 3, retry: { baseDelayMs: 100 } });
    const error = await failure(fetcher.fetch(at('/down')));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_HTTP_5XX', context: { url: at('/down'), status: 503, attempts: 3 } });
    expect(server.hits('/down')).toBe(3);
    expect(sleeps).toEqual([75, 150]);
  });

  it('does not retry a 404', async () => {
    fetcher = publicFetcher();
    const error = await failure(fetcher.fetch(at('/missing')));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_HTTP_4XX', context: { status: 404 } });
    expect(server.hits('/missing')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a response truncated mid-body, then fails transient', async () => {
    server.route('/truncated', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': '1000' });
      res.write('x'.repeat(100), () => res.socket?.destroy());
    });
    fetcher = publicFetcher();
    const error = await failure(fetcher.fetch(at('/truncated')));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_NETWORK', context: { attempts: 3 } });
    expect(server.hits('/truncated')).toBe(3);
  });

  it('retries a connection reset before the response, then succeeds', async () => {
    server.route('/reset', sequence((req) => req.socket.destroy(), page('second time')));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/reset'))).body).toBe('second time');
    expect(server.hits('/reset')).toBe(2);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    // Abort once the request is in flight and the server is holding it.
    server.route('/slow', () => controller.abort());
    fetcher = publicFetcher();
    const error = await failure(fetcher.fetch(at('/slow'), { signal: controller.signal }));
    expect(error.name).toBe('AbortError');
    expect(server.hits('/slow')).toBe(1);
  });
});

describe('timeouts and size', () => {
  it('times out a body that drips slower than the body deadline', async () => {
    server.route('/drip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      let n = 0;
      const timer = setInterval(() => {
        n += 1;
        if (res.writableEnded || n > 40) clearInterval(timer);
        else res.write('.');
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    fetcher = publicFetcher({ timeouts: { bodyMs: 300 }, maxAttempts: 2 });
    const started = performance.now();
    const error = await failure(fetcher.fetch(at('/drip')));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', context: { attempts: 2 } });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('times out the connect phase of a host that never answers, and retries it as transient', async () => {
    // The address never arrives: undici's connect deadline runs from socket creation, through the
    // (guarded) lookup, to the TCP handshake. An injected resolver makes the hang deterministic
    // offline, where a blackholed IP would depend on the network it runs on.
    let lookups = 0;
    fetcher = publicFetcher({
      timeouts: { connectMs: 150, headersMs: 10_000 },
      maxAttempts: 2,
      resolve: async () => {
        lookups += 1;
        return new Promise<never>(() => undefined);
      },
    });
    const started = performance.now();
    const error = await failure(fetcher.fetch('http://blackhole.test/agents/1'));
    const elapsedMs = performance.now() - started;
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', context: { url: 'http://blackhole.test/agents/1', attempts: 2 } });
    expect(error.message).toContain('UND_ERR_CONNECT_TIMEOUT');
    expect(lookups).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * 150 - 20);
    expect(elapsedMs).toBeLessThan(5_000);
    expect(server.connections()).toBe(0);
  });

  it('times out a server that never sends headers', async () => {
    server.route('/silent', () => undefined);
    fetcher = publicFetcher({ timeouts: { headersMs: 200 }, maxAttempts: 1 });
    expect(await failure(fetcher.fetch(at('/silent')))).toMatchObject({ code: 'E_TIMEOUT' });
  });

  it('aborts a 50 MB body early at the 5 MB cap without buffering it', async () => {
    const total = 50 * 1024 * 1024;
    let sent = 0;
    let closed!: () => void;
    const serverDone = new Promise<void>((resolve) => (closed = resolve));
    server.route('/huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', closed);
      pump();
    });
    fetcher = publicFetcher();
    const before = process.memoryUsage();
    const started = performance.now();
    const error = await failure(fetcher.fetch(at('/huge')));
    const elapsedMs = performance.now() - started;
    const after = process.memoryUsage();
    await serverDone;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_TOO_LARGE', context: { url: at('/huge') } });
    expect(server.hits('/huge')).toBe(1);
    expect(sent).toBeLessThan(20 * 1024 * 1024);
    expect(after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed).toBeLessThan(40 * 1024 * 1024);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    server.route('/declared', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(2048) });
      res.end('y'.repeat(2048));
    });
    fetcher = publicFetcher({ maxBodyBytes: 1024 });
    expect(await failure(fetcher.fetch(at('/declared')))).toMatchObject({ code: 'E_TOO_LARGE' });
  });
});

describe('per-host politeness', () => {
  // 1 is enforced by the politeness queue alone (the connection pool allows 2 per origin).
  it.each([1, 3])('never has more than %i request(s) in flight to one host, while another host has its own limit', async (limit) => {
    const other = await startLoopbackServer();
    try {
      const track = (target: LoopbackServer) => {
        const state = { inFlight: 0, peak: 0 };
        target.route('/slow', (_req, res) => {
          state.inFlight += 1;
          state.peak = Math.max(state.peak, state.inFlight);
          setTimeout(() => {
            state.inFlight -= 1;
            res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
          }, 40);
        });
        return state;
      };
      const first = track(server);
      const second = track(other);
      fetcher = publicFetcher({
        politeness: { concurrency: limit, intervalMs: 0 },
        trustedAddresses: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`],
      });
      const f = fetcher;
      const results = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => f.fetch(at(`/slow?n=${i}`))),
        ...Array.from({ length: 12 }, (_, i) => f.fetch(`http://public.test:${other.port}/slow?n=${i}`)),
      ]);
      expect(results.every((result) => result.body === 'ok')).toBe(true);
      // The limit is reached (so the test would see a breach) and never exceeded, per host.
      expect(first.peak).toBe(limit);
      expect(second.peak).toBe(limit);
      expect(server.requests.filter((entry) => entry.path.startsWith('/slow?'))).toHaveLength(12);
      expect(other.requests.filter((entry) => entry.path.startsWith('/slow?'))).toHaveLength(12);
    } finally {
      await other.close();
    }
  });
});

describe('redirects', () => {
  it('follows a redirect and reports the final URL', async () => {
    server.route('/old', redirect('/new/', 301));
    server.route('/new/', page('moved here'));
    fetcher = publicFetcher();
    expect(await fetcher.fetch(at('/old'))).toMatchObject({ finalUrl: at('/new/'), body: 'moved here' });
  });

  it('does not mistake a trailing-slash redirect for a loop', async () => {
    server.route('/dir', redirect('/dir/', 301));
    server.route('/dir/', page('directory'));
    fetcher = publicFetcher();
    expect(await fetcher.fetch(at('/dir'))).toMatchObject({ finalUrl: at('/dir/'), body: 'directory' });
  });

  it('detects a redirect loop', async () => {
    server.route('/a', redirect('/b'));
    server.route('/b', redirect('/a#again'));
    fetcher = publicFetcher();
    const error = await failure(fetcher.fetch(at('/a')));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_REDIRECT_LOOP' });
    expect(server.requests.map((entry) => entry.path)).toEqual(['/a', '/b']);
  });

  it('stops after maxRedirects hops', async () => {
    for (let n = 0; n < 10; n += 1) server.route(`/r${n}`, redirect(`/r${n + 1}`, 307));
    fetcher = publicFetcher({ maxRedirects: 3 });
    const error = await failure(fetcher.fetch(at('/r0')));
    expect(error).toMatchObject({ code: 'E_REDIRECTS' });
    expect(server.requests.map((entry) => entry.path)).toEqual(['/r0', '/r1', '/r2', '/r3']);
  });

  it('checks robots.txt again at each hop', async () => {
    server.route('/robots.txt', page('User-agent: *\nDisallow: /private\n', 'text/plain'));
    server.route('/open', redirect('/private/page'));
    fetcher = publicFetcher({ robots: true });
    expect(await failure(fetcher.fetch(at('/open')))).toMatchObject({ code: 'E_ROBOTS', context: { url: at('/private/page') } });
    expect(server.hits('/private/page')).toBe(0);
  });
});

describe('content types and charsets', () => {
  it.each([
    ['/doc.pdf', 'application/pdf'],
    ['/logo.png', 'image/png'],
    ['/data.json', 'application/json'],
    ['/untyped', ''],
  ])('refuses %s (%s)', async (path, type) => {
    server.route(path, (_req, res) => {
      res.writeHead(200, type === '' ? {} : { 'content-type': type }).end(Buffer.from([0x25, 0x50, 0x44, 0x46]));
    });
    fetcher = publicFetcher();
    const error = await failure(fetcher.fetch(at(path)));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'E_CONTENT_TYPE', context: { url: at(path) } });
    expect(server.hits(path)).toBe(1);
  });

  it('accepts text/plain and text/markdown pages', async () => {
    server.route('/readme.md', page('# Agent', 'text/markdown; charset=utf-8'));
    server.route('/notes.txt', page('plain', 'text/plain'));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/readme.md'))).body).toBe('# Agent');
    expect((await fetcher.fetch(at('/notes.txt'))).body).toBe('plain');
  });

  it('accepts application/xhtml+xml and decodes it by its XML declaration', async () => {
    server.route('/agent.xhtml', page(fixture('xhtml-latin1.xhtml'), 'application/xhtml+xml'));
    fetcher = publicFetcher();
    const result = await fetcher.fetch(at('/agent.xhtml'));
    expect(result).toMatchObject({ status: 200, contentType: 'application/xhtml+xml' });
    expect(result.body).toContain('<h1>Agent Café</h1>');
    expect(result.body).toContain('envoie des reçus par courriel');
    expect(server.requests[0]?.headers.accept).toContain('application/xhtml+xml');
    // Only pages take XHTML; READMEs ('text') do not.
    expect(await failure(fetcher.fetch(at('/agent.xhtml'), { accept: 'text' }))).toMatchObject({ code: 'E_CONTENT_TYPE' });
  });

  it('takes XML only in xml mode', async () => {
    server.route('/sitemap.xml', page('<?xml version="1.0"?><urlset/>', 'application/xml'));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/sitemap.xml'), { accept: 'xml' })).body).toBe('<?xml version="1.0"?><urlset/>');
    expect(server.requests[0]?.headers.accept).toContain('application/xml');
    expect(await failure(fetcher.fetch(at('/sitemap.xml')))).toMatchObject({ code: 'E_CONTENT_TYPE' });
  });

  it('decodes windows-1252 named in the header', async () => {
    server.route('/cp1252', page(fixture('windows-1252.html'), 'text/html; charset=windows-1252'));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/cp1252'))).body).toContain('Café “smart” agent – naïve résumé €5');
  });

  it('decodes Shift_JIS named by <meta charset>', async () => {
    server.route('/sjis', page(fixture('shift-jis-meta.html'), 'text/html'));
    fetcher = publicFetcher();
    expect((await fetcher.fetch(at('/sjis'))).body).toContain('<h1>日本語のエージェント</h1>');
  });
});
