import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
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

/** One sample address per blocked class (and the class the guard must name), for the fetcher-level table. */
const BLOCKED: ReadonlyArray<readonly [string, string]> = [
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['10.20.30.40', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['fe80::1', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456:789a::1', 'unique-local'],
  ['fd00:ec2::254', 'metadata'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['ff0e::101', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.254.0.9', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:192.168.0.10', 'private'],
  ['::ffff:100.64.1.1', 'cgnat'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:224.0.0.251', 'multicast'],
];
for (const [address] of BLOCKED) names[`host-${address.replace(/[.:]/g, '-')}.test`] = [address];
const nameFor = (address: string): string => `host-${address.replace(/[.:]/g, '-')}.test`;

/**
 * Every client socket created while `run` is pending, with what its DNS lookup produced and
 * whether it connected: a refused host must leave no socket that got an address or a connection.
 */
async function watchSockets<T>(run: () => Promise<T>): Promise<{ value: T | undefined; error: unknown; sockets: Array<{ resolved: string[]; connected: boolean }> }> {
  const sockets: Array<{ resolved: string[]; connected: boolean }> = [];
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    const entry = { resolved: [] as string[], connected: false };
    sockets.push(entry);
    socket.on('lookup', (error: Error | null, address: string | undefined) => {
      if (error === null && address !== undefined) entry.resolved.push(address);
    });
    socket.on('connect', () => {
      entry.connected = true;
    });
  };
  subscribe('net.client.socket', onSocket);
  try {
    return { value: await run(), error: undefined, sockets };
  } catch (error) {
    return { value: undefined, error, sockets };
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
}
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

describe('SSRF guard in UndiciFetcher: every blocked class, refused without a connection', () => {
  it.each(BLOCKED)('refuses a name resolving to %s (%s) at connect time; no socket gets an address', async (address, klass) => {
    const host = nameFor(address);
    const url = `http://${host}:${server.port}/listing`;
    // A short connect deadline, so a guard that let the address through fails fast rather than by test timeout.
    const watched = await watchSockets(() => make({ robots: true, timeouts: { connectMs: 500 } }).fetch(url));
    expect(watched.error).toBeInstanceOf(PermanentError);
    expect((watched.error as PermanentError).code).toBe('E_SSRF');
    expect((watched.error as PermanentError).context).toMatchObject({ host, address, addressClass: klass, url: `http://${host}:${server.port}/robots.txt` });
    // The guard answered inside the socket's DNS lookup, so the socket never had an address to dial.
    expect(watched.sockets.length).toBeGreaterThan(0);
    expect(watched.sockets).toEqual(watched.sockets.map(() => ({ resolved: [], connected: false })));
    // Loopback and unspecified addresses would have reached this server had the guard let them through.
    expect(server.connections()).toBe(0);
  });

  it.each(BLOCKED)('refuses the literal URL host %s (%s) before opening any socket', async (address, klass) => {
    const host = address.includes(':') ? `[${address}]` : address;
    const watched = await watchSockets(() => make({ robots: true }).fetch(`http://${host}:${server.port}/`));
    expect(watched.error).toBeInstanceOf(PermanentError);
    expect((watched.error as PermanentError).code).toBe('E_SSRF');
    expect((watched.error as PermanentError).context['addressClass']).toBe(klass);
    expect(watched.sockets).toEqual([]);
    expect(server.connections()).toBe(0);
  });

  it.each(BLOCKED)('refuses a redirect hop to %s (%s) from a trusted "public" server', async (address, klass) => {
    // The target port is the other server's: only 127.0.0.1:<server.port> is trusted.
    const target = `http://${nameFor(address)}:${other.port}/inside`;
    server.route('/hop', redirect(target));
    const f = make({ trustedAddresses: [`127.0.0.1:${server.port}`], timeouts: { connectMs: 500 } });
    const error = await refusal(f.fetch(`http://public.test:${server.port}/hop`));
    expect(error.context).toMatchObject({ address, addressClass: klass, url: target });
    expect(server.hits('/hop')).toBe(1);
    expect(other.connections()).toBe(0);
  });

  it.each(['127.0.0.1', '0.0.0.0'])(
    'connects to a name resolving to %s once allowPrivateNetwork lifts the guard (so the refusals above are the guard, not the network)',
    async (address) => {
      const watched = await watchSockets(() => make({ allowPrivateNetwork: true }).fetch(`http://${nameFor(address)}:${server.port}/`));
      expect(watched.error).toBeUndefined();
      expect(watched.value?.body).toBe('home');
      expect(watched.sockets.some((socket) => socket.connected && socket.resolved.includes(address))).toBe(true);
    },
  );
});

describe('allowPrivateNetwork', () => {
  it('lets loopback through, by literal address and by name', async () => {
    const f = make({ allowPrivateNetwork: true, robots: true });
    expect((await f.fetch(`${server.origin}/`)).body).toBe('home');
    expect((await f.fetch(`http://evil.test:${other.port}/`)).body).toBe('internal admin');
  });
});
