import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { UndiciFetcher } from '../../src/crawl/undici-fetcher.js';
import type { UndiciFetcherOptions } from '../../src/crawl/undici-fetcher.js';
import type { Resolver } from '../../src/crawl/ssrf.js';
import { page, redirect, startLoopbackServer } from './loopback-server.js';
import type { LoopbackServer } from './loopback-server.js';

let server: LoopbackServer;
let other: LoopbackServer;
let fetcher: UndiciFetcher | undefined;

const names: Record<string, string[]> = {
  'public.test': ['127.0.0.1'],
  'evil.test': ['127.0.0.1'],
  'rebind.test': ['93.184.215.14', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'v6.test': ['::1'],
};
const resolve: Resolver = async (hostname) => {
  const found = names[hostname];
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);
};

function make(options: UndiciFetcherOptions = {}): UndiciFetcher {
  fetcher = new UndiciFetcher({
    robots: false,
    politeness: { concurrency: 2, intervalMs: 0 },
    maxAttempts: 1,
    resolve,
    sleep: async () => undefined,
    ...options,
  });
  return fetcher;
}

async function refusal(promise: Promise<unknown>): Promise<PermanentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('E_SSRF');
    return error as PermanentError;
  }
  throw new Error('expected an SSRF refusal');
}

beforeEach(async () => {
  server = await startLoopbackServer({ '/': page('home'), '/robots.txt': page('User-agent: *\nAllow: /\n', 'text/plain') });
  other = await startLoopbackServer({ '/': page('internal admin') });
});

afterEach(async () => {
  await fetcher?.close();
  fetcher = undefined;
  await server.close();
  await other.close();
});

describe('SSRF guard in UndiciFetcher (allowPrivateNetwork off)', () => {
  it.each([
    (port: number) => `http://127.0.0.1:${port}/`,
    (port: number) => `http://2130706433:${port}/`,
    (port: number) => `http://0177.0.0.1:${port}/`,
    (port: number) => `http://0x7f.1:${port}/`,
    (port: number) => `http://127.1:${port}/`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/`,
    (port: number) => `http://[::ffff:7f00:1]:${port}/`,
    (port: number) => `http://[::1]:${port}/`,
  ])('refuses the literal blocked address %# without connecting', async (build) => {
    const f = make({ robots: true });
    const error = await refusal(f.fetch(build(server.port)));
    expect(error.context['url']).toContain(`:${server.port}/`);
    expect(server.connections()).toBe(0);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://10.0.0.1/', 'http://0.0.0.0/'])(
    'refuses %s before any I/O',
    async (url) => {
      const error = await refusal(make({ robots: true }).fetch(url));
      expect(error.context).toMatchObject({ url });
    },
  );

  it('refuses localhost, which the system resolver maps to loopback, without connecting', async () => {
    const f = new UndiciFetcher({ robots: true, maxAttempts: 1 });
    fetcher = f;
    const error = await refusal(f.fetch(`http://localhost:${server.port}/`));
    expect(error.context).toMatchObject({ host: 'localhost' });
    expect(server.connections()).toBe(0);
  });

  it('refuses a name that resolves to 127.0.0.1 at connect time', async () => {
    const error = await refusal(make().fetch(`http://evil.test:${server.port}/`));
    expect(error.context).toMatchObject({ host: 'evil.test', address: '127.0.0.1', addressClass: 'loopback', url: `http://evil.test:${server.port}/` });
    expect(server.connections()).toBe(0);
  });

  it('refuses a name when one of its addresses is private (DNS rebinding)', async () => {
    await refusal(make().fetch(`http://rebind.test:${server.port}/`));
    expect(server.connections()).toBe(0);
  });

  it('refuses a name resolving to the metadata address or IPv6 loopback', async () => {
    expect((await refusal(make().fetch('http://metadata.test/'))).context).toMatchObject({ addressClass: 'metadata' });
    expect((await refusal(make().fetch(`http://v6.test:${server.port}/`))).context).toMatchObject({ addressClass: 'loopback' });
  });

  it('refuses a redirect from a trusted "public" server to the metadata address at that hop', async () => {
    server.route('/go', redirect('http://169.254.169.254/latest/meta-data/iam/security-credentials/'));
    const f = make({ robots: true, trustedAddresses: [`127.0.0.1:${server.port}`] });
    const error = await refusal(f.fetch(`http://public.test:${server.port}/go`));
    expect(error.context).toMatchObject({ url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' });
    expect(server.hits('/go')).toBe(1);
  });

  it('refuses a redirect to a name that resolves to an untrusted loopback port', async () => {
    server.route('/go', redirect(`http://evil.test:${other.port}/`));
    const f = make({ trustedAddresses: [`127.0.0.1:${server.port}`] });
    const error = await refusal(f.fetch(`http://public.test:${server.port}/go`));
    expect(error.context).toMatchObject({ host: 'evil.test', address: '127.0.0.1' });
    expect(other.connections()).toBe(0);
  });

  it('surfaces an SSRF refusal of the host itself while fetching robots.txt as E_SSRF, not E_ROBOTS', async () => {
    await refusal(make({ robots: true }).fetch(`http://evil.test:${server.port}/page`));
    expect(server.connections()).toBe(0);
  });

  it('fetches the trusted test server, which stands in for a public host', async () => {
    const f = make({ robots: true, trustedAddresses: [`127.0.0.1:${server.port}`] });
    expect((await f.fetch(`http://public.test:${server.port}/`)).body).toBe('home');
  });
});

describe('allowPrivateNetwork', () => {
  it('lets loopback through, by literal address and by name', async () => {
    const f = make({ allowPrivateNetwork: true, robots: true });
    expect((await f.fetch(`${server.origin}/`)).body).toBe('home');
    expect((await f.fetch(`http://evil.test:${other.port}/`)).body).toBe('internal admin');
  });
});
