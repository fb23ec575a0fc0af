/**
 * The SSRF guard: which IP addresses the crawler may connect to, and a DNS lookup for undici's
 * connector that refuses a host when any address it resolves to is blocked. The classifier is
 * pure; `createGuardedLookup` is the adapter (node:dns by default, injectable for tests).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { PermanentError } from '../errors.js';

/** Why an address is refused, or `public` when it may be fetched. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'metadata'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'invalid';

/** Addresses of cloud instance-metadata services (AWS, GCP, Azure, ECS, Alibaba, AWS IPv6). */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

/** Parses a dotted-quad IPv4 address into a 32-bit number; `undefined` otherwise. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses an IPv6 address (with `::`, an embedded IPv4 tail, a zone id or brackets) into eight 16-bit groups. */
export function parseIpv6(text: string): number[] | undefined {
  let input = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = input.indexOf('%');
  if (zone !== -1) input = input.slice(0, zone);
  if (!input.includes(':')) return undefined;
  const lastColon = input.lastIndexOf(':');
  const last = input.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (::ffff:127.0.0.1) becomes two hex groups so one grammar parses the rest.
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    input = `${input.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = input.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
      groups.push(parseInt(group, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 2) {
    if (total > 7) return undefined;
    return [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  }
  return total === 8 ? head : undefined;
}

function inV4(value: number, base: string, bits: number): boolean {
  const start = parseIpv4(base) ?? 0;
  const size = 2 ** (32 - bits);
  return value >= start && value < start + size;
}

/** Classifies an IPv4 address given as a 32-bit number. */
export function classifyIpv4Number(value: number): AddressClass {
  const dotted = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  if (METADATA.has(dotted)) return 'metadata';
  if (value === 0xffffffff) return 'broadcast';
  if (inV4(value, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(value, '127.0.0.0', 8)) return 'loopback';
  if (inV4(value, '10.0.0.0', 8) || inV4(value, '172.16.0.0', 12) || inV4(value, '192.168.0.0', 16)) return 'private';
  if (inV4(value, '100.64.0.0', 10)) return 'cgnat';
  if (inV4(value, '169.254.0.0', 16)) return 'link-local';
  if (inV4(value, '224.0.0.0', 4)) return 'multicast';
  if (inV4(value, '198.18.0.0', 15)) return 'benchmarking';
  if (inV4(value, '192.0.2.0', 24) || inV4(value, '198.51.100.0', 24) || inV4(value, '203.0.113.0', 24)) return 'documentation';
  // IETF protocol assignments, 6to4 relay anycast, and the old class E block.
  if (inV4(value, '192.0.0.0', 24) || inV4(value, '192.88.99.0', 24) || inV4(value, '240.0.0.0', 4)) return 'reserved';
  return 'public';
}

function v4FromGroups(high: number, low: number): number {
  return high * 65536 + low;
}

/** Classifies an IPv6 address given as eight 16-bit groups, looking inside mapped, NAT64, 6to4 and Teredo forms. */
export function classifyIpv6Groups(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const text = g.map((x) => x.toString(16)).join(':');
  if (text === '0:0:0:0:0:0:0:0') return 'unspecified';
  if (text === '0:0:0:0:0:0:0:1') return 'loopback';
  if (text === 'fd00:ec2:0:0:0:0:0:254') return 'metadata';
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (deprecated compatible), ::ffff:0:a.b.c.d (translated): the embedded IPv4 decides.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && ((g4 === 0 && (g5 === 0xffff || g5 === 0)) || (g4 === 0xffff && g5 === 0))) {
    return classifyIpv4Number(v4FromGroups(g6, g7));
  }
  // NAT64 well-known prefix 64:ff9b::/96 embeds IPv4; 64:ff9b:1::/48 is for local use only.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIpv4Number(v4FromGroups(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'reserved';
  // 6to4 2002::/16 embeds the IPv4 address in bits 16..47.
  if (g0 === 0x2002) return classifyIpv4Number(v4FromGroups(g1, g2));
  // Teredo 2001:0::/32 embeds the client IPv4 address, inverted, in the last 32 bits.
  if (g0 === 0x2001 && g1 === 0) return classifyIpv4Number(v4FromGroups(g6 ^ 0xffff, g7 ^ 0xffff));
  if (g0 === 0x2001 && g1 === 0xdb8) return 'documentation';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  // 100::/64 discard-only; ::/8 other than the forms above is reserved.
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved';
  if ((g0 & 0xff00) === 0) return 'reserved';
  return 'public';
}

/** Classifies an IP address literal (IPv4 dotted quad or IPv6, brackets allowed); `invalid` when it is neither. */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return classifyIpv4Number(v4);
  const v6 = parseIpv6(address);
  if (v6 !== undefined) return classifyIpv6Groups(v6);
  return 'invalid';
}

/** True when the crawler must not connect to `address` (anything not `public`, including unparsable text). */
export function isBlockedAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}

/**
 * The IP literal a URL host names, or `undefined` for a DNS name. Takes a WHATWG `hostname`, which
 * has already turned decimal, octal, hex and short IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f.1`,
 * `127.1`) into a dotted quad, and keeps IPv6 in brackets.
 */
export function ipLiteralOfHost(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return parseIpv4(hostname) !== undefined ? hostname : undefined;
}

/** Resolves a host name to every address it has (the injectable part of the guard). */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: 4 | 6 }[]>;

/** Options of the SSRF guard. */
export interface SsrfGuardOptions {
  /** Lift the guard entirely (a source that crawls an intranet). @default false */
  allowPrivateNetwork?: boolean | undefined;
  /** Resolver used instead of the system one; tests map names such as `public.test` to loopback. */
  resolve?: Resolver | undefined;
  /**
   * Test-only escape hatch: exact `ip:port` pairs (`127.0.0.1:43123`, `[::1]:43123`) treated as
   * public, so ONE loopback test server can stand in for an internet host while every other
   * blocked address and port stays refused. Never set it from user configuration.
   */
  trustedAddresses?: readonly string[] | undefined;
}

/** The system resolver: every A and AAAA record, in resolver order. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The refusal thrown by the guard: a PermanentError with code `E_SSRF`. */
export function ssrfError(host: string, address: string, klass: AddressClass, url?: string): PermanentError {
  return new PermanentError(
    'E_SSRF',
    `Refused to connect to ${host} (${address} is ${klass}); set allowPrivateNetwork on the source to crawl private networks`,
    { host, address, addressClass: klass, ...(url === undefined ? {} : { url }) },
  );
}

/** Hosts whose URL verdict the guard keeps (cleared when full). */
const MAX_VERDICTS = 1024;

/** The SSRF policy: checks literal addresses and builds connect-time lookups. */
export class SsrfGuard {
  readonly #allowPrivate: boolean;
  readonly #resolve: Resolver;
  readonly #trusted: ReadonlySet<string>;
  /** By port and host name of a URL: null when it may be connected to, else its literal address and class. */
  readonly #verdicts = new Map<string, { literal: string; klass: AddressClass } | null>();

  constructor(options: SsrfGuardOptions = {}) {
    this.#allowPrivate = options.allowPrivateNetwork ?? false;
    this.#resolve = options.resolve ?? systemResolver;
    this.#trusted = new Set((options.trustedAddresses ?? []).map((entry) => entry.toLowerCase()));
  }

  /** Whether the guard is lifted. */
  get allowPrivateNetwork(): boolean {
    return this.#allowPrivate;
  }

  /** The class that makes `address:port` refused, or `undefined` when it may be connected to. */
  refusal(address: string, port: number): AddressClass | undefined {
    if (this.#allowPrivate) return undefined;
    const klass = classifyAddress(address);
    if (klass === 'public') return undefined;
    if (this.#trusted.has(endpointKey(address, port).toLowerCase())) return undefined;
    return klass;
  }

  /**
   * Checks a URL before any connection: an IP-literal host is refused here, with no socket opened.
   * @throws PermanentError `E_SSRF`.
   */
  assertUrlAllowed(url: URL): void {
    if (this.#allowPrivate) return;
    // The verdict of a host and port, worked out once: a crawl asks for the same few hosts thousands of times.
    const port = portOf(url);
    const key = `${port} ${url.hostname}`;
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      const literal = ipLiteralOfHost(url.hostname);
      const klass = literal === undefined ? undefined : this.refusal(literal, port);
      verdict = literal === undefined || klass === undefined ? null : { literal, klass };
      if (this.#verdicts.size >= MAX_VERDICTS) this.#verdicts.clear();
      this.#verdicts.set(key, verdict);
    }
    if (verdict !== null) throw ssrfError(url.hostname, verdict.literal, verdict.klass, url.href);
  }

  /**
   * A `lookup` for `net.connect` / undici's `connect` options, bound to the port being connected:
   * resolves the name once, refuses it if ANY returned address is blocked (so a rebinding answer
   * cannot slip a private address in), and hands the checked addresses to the socket, which then
   * connects to exactly what was checked.
   */
  lookupFor(port: number): GuardedLookup {
    return (hostname, options, callback) => {
      const literal = ipLiteralOfHost(hostname) ?? (parseIpv6(hostname) ? hostname : undefined);
      const resolved: Promise<readonly { address: string; family: 4 | 6 }[]> =
        literal !== undefined ? Promise.resolve([{ address: literal, family: literal.includes(':') ? 6 : 4 }]) : this.#resolve(hostname);
      resolved.then(
        (addresses) => {
          const family = typeof options === 'number' ? options : options.family;
          const wanted = family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : addresses;
          if (wanted.length === 0) {
            callback(Object.assign(new Error(`No address found for ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 4);
            return;
          }
          for (const entry of addresses) {
            const klass = this.refusal(entry.address, port);
            if (klass !== undefined) {
              callback(ssrfError(hostname, entry.address, klass) as unknown as NodeJS.ErrnoException, '', 4);
              return;
            }
          }
          if (typeof options === 'object' && options.all === true) {
            callback(null, wanted.map((entry) => ({ address: entry.address, family: entry.family })));
          } else {
            const first = wanted[0] ?? { address: '', family: 4 };
            callback(null, first.address, first.family);
          }
        },
        (error: unknown) => {
          const err = error instanceof Error ? error : new Error(String(error));
          callback(err as NodeJS.ErrnoException, '', 4);
        },
      );
    };
  }
}

/** The shape of `net.connect`'s `lookup` option (both the single-address and the `all` form). */
export type GuardedLookup = (
  hostname: string,
  options: LookupOptions | number,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** The port a URL connects to, defaults included. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}
