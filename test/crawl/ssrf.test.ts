import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { SsrfGuard, classifyAddress, ipLiteralOfHost, isBlockedAddress, parseIpv6 } from '../../src/crawl/ssrf.js';
import type { AddressClass } from '../../src/crawl/ssrf.js';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::1', 'reserved'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['2001:db8::1', 'documentation'],
    ['[::1]', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '172.15.255.255',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.0.1',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
    expect(isBlockedAddress(address)).toBe(false);
  });

  it.each(['', 'example.com', '256.0.0.1', '1.2.3', '1::2::3', '12345::', '::ffff:1.2.3.4.5'])('%j is invalid, hence blocked', (text) => {
    expect(classifyAddress(text)).toBe('invalid');
    expect(isBlockedAddress(text)).toBe(true);
  });

  it('parses IPv6 forms into the same groups', () => {
    expect(parseIpv6('::ffff:127.0.0.1')).toEqual(parseIpv6('0:0:0:0:0:ffff:7f00:0001'));
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });
});

describe('numeric host tricks in URLs', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://169.254.43518/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '::ffff:7f00:1'],
  ])('%s ends up as the blocked literal %s', (url, literal) => {
    const hostname = new URL(url).hostname;
    expect(ipLiteralOfHost(hostname)).toBe(literal);
    expect(() => new SsrfGuard().assertUrlAllowed(new URL(url))).toThrow(PermanentError);
  });

  it('leaves DNS names to the connect-time lookup', () => {
    expect(ipLiteralOfHost('example.com')).toBeUndefined();
    expect(() => new SsrfGuard().assertUrlAllowed(new URL('http://example.com/'))).not.toThrow();
  });
});

describe('SsrfGuard', () => {
  const lookupAll = (guard: SsrfGuard, host: string, port: number) =>
    new Promise<{ error: Error | null; addresses: unknown }>((resolve) => {
      guard.lookupFor(port)(host, { all: true }, (error, addresses) => resolve({ error, addresses }));
    });

  it('refuses a name when any resolved address is blocked (rebinding answer with a public and a private address)', async () => {
    const guard = new SsrfGuard({
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ],
    });
    const { error } = await lookupAll(guard, 'mixed.test', 80);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('E_SSRF');
    expect((error as PermanentError).context).toMatchObject({ host: 'mixed.test', address: '10.0.0.5', addressClass: 'private' });
  });

  it('passes the checked public addresses to the socket', async () => {
    const guard = new SsrfGuard({ resolve: async () => [{ address: '93.184.215.14', family: 4 }] });
    expect(await lookupAll(guard, 'public.test', 443)).toEqual({ error: null, addresses: [{ address: '93.184.215.14', family: 4 }] });
    const single = await new Promise((resolve) => {
      guard.lookupFor(443)('public.test', { family: 4 }, (error, address, family) => resolve([error, address, family]));
    });
    expect(single).toEqual([null, '93.184.215.14', 4]);
  });

  it('trusts an exact ip:port pair only', async () => {
    const guard = new SsrfGuard({ trustedAddresses: ['127.0.0.1:4000'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(guard.refusal('127.0.0.1', 4000)).toBeUndefined();
    expect(guard.refusal('127.0.0.1', 4001)).toBe('loopback');
    expect(guard.refusal('127.0.0.2', 4000)).toBe('loopback');
    expect((await lookupAll(guard, 'local.test', 4000)).error).toBeNull();
    expect((await lookupAll(guard, 'local.test', 4001)).error).toBeInstanceOf(PermanentError);
  });

  it('answers a URL check the same way every time it is asked, per port: a trusted pair stays allowed and the same address on another port stays refused', () => {
    const guard = new SsrfGuard({ trustedAddresses: ['127.0.0.1:4000'] });
    for (let round = 0; round < 3; round += 1) {
      expect(() => guard.assertUrlAllowed(new URL('http://127.0.0.1:4000/a'))).not.toThrow();
      expect(() => guard.assertUrlAllowed(new URL('http://127.0.0.1:4001/a'))).toThrow(PermanentError);
      expect(() => guard.assertUrlAllowed(new URL('http://127.0.0.1/b'))).toThrow(PermanentError);
      expect(() => guard.assertUrlAllowed(new URL('https://127.0.0.1/b'))).toThrow(PermanentError);
      expect(() => guard.assertUrlAllowed(new URL('http://example.com/c'))).not.toThrow();
    }
    // The refusal names the URL asked for, not the one that first earned it.
    expect(() => guard.assertUrlAllowed(new URL('http://127.0.0.1:4001/other'))).toThrow(expect.objectContaining({ context: expect.objectContaining({ url: 'http://127.0.0.1:4001/other' }) }));
  });

  it('allows everything with allowPrivateNetwork', async () => {
    const guard = new SsrfGuard({ allowPrivateNetwork: true, resolve: async () => [{ address: '169.254.169.254', family: 4 }] });
    expect(guard.refusal('169.254.169.254', 80)).toBeUndefined();
    expect(() => guard.assertUrlAllowed(new URL('http://127.0.0.1/'))).not.toThrow();
    expect((await lookupAll(guard, 'metadata.test', 80)).error).toBeNull();
  });

  it('passes resolver failures through', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    const guard = new SsrfGuard({ resolve: async () => Promise.reject(failure) });
    expect((await lookupAll(guard, 'nowhere.test', 80)).error).toBe(failure);
  });
});
