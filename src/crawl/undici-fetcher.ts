/**
 * `UndiciFetcher`: the production `Fetcher`. One polite, guarded GET: SSRF guard at connect time
 * (redirect hops included), robots.txt, per-origin politeness queues, timeouts, a streamed body
 * cap, manual redirects, content-type allow-list, conditional GET, and retries with backoff.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { isIP } from 'node:net';
import type { Dispatcher, buildConnector } from 'undici';
import { z } from 'zod';
import { ConfigError, PermanentError, ThreatdraftError, TransientError, formatIssues } from '../errors.js';
import { VERSION } from '../version.js';
import { decodeBody, mediaTypeOf } from './decode.js';
import type { FetchOptions, FetchResult, Fetcher } from './fetcher.js';
import { backoffDelayMs, parseRetryAfterMs } from './retry.js';
import { ROBOTS_USER_AGENT, RobotsCache } from './robots.js';
import type { RobotsResponse, RobotsTxt } from './robots.js';
import { SsrfGuard, ipLiteralOfHost, ssrfError } from './ssrf.js';
import type { Resolver } from './ssrf.js';
import { parseHttpUrl } from './url.js';
import { borrowSignal } from '../abort.js';
import { Agent, makeConnector, request } from './undici-parts.js';
import { HostGate } from './host-gate.js';

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s]+$/i.test(value) && URL.canParse(value), { message: 'expected an absolute http(s) URL' });

/** The user-configurable fetcher settings, validated with zod (defaults shown by `@default`). */
export const fetcherSettingsSchema = z
  .object({
    /** Full User-Agent override. @default `threatdraft/<VERSION> (+<contactUrl>)` */
    userAgent: z.string().min(1).max(300).optional(),
    /** Where site owners can reach the operator; named in the User-Agent. */
    contactUrl: httpUrl.optional(),
    /** Lift the SSRF guard (intranet sources). @default false */
    allowPrivateNetwork: z.boolean().default(false),
    /** Per-origin politeness: requests in flight and minimum gap between request starts. @default { concurrency: 2, intervalMs: 500 } */
    politeness: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(2),
        intervalMs: z.number().int().min(0).max(600_000).default(500),
      })
      .strict()
      .prefault({}),
    /** @default { connectMs: 10000, headersMs: 15000, bodyMs: 30000 } */
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(10_000),
        headersMs: z.number().int().positive().default(15_000),
        /** Whole-body deadline from the response headers to the last byte. */
        bodyMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
    /** @default 5 MiB */
    maxBodyBytes: z.number().int().positive().default(5 * 1024 * 1024),
    /** @default 5 */
    maxRedirects: z.number().int().min(0).max(20).default(5),
    /** Attempts per request, the first included. @default 3 */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Obey robots.txt. @default true */
    robots: z.boolean().default(true),
    /** Cap on a robots Crawl-delay (a huge value would stall the crawl). @default 60000 */
    maxCrawlDelayMs: z.number().int().min(0).default(60_000),
    /** @default { baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 120000 } */
    retry: z
      .object({
        baseDelayMs: z.number().int().min(0).default(500),
        maxDelayMs: z.number().int().min(0).default(30_000),
        /** A server's Retry-After is honoured up to this long. */
        maxRetryAfterMs: z.number().int().min(0).default(120_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Parsed settings. */
export type FetcherSettings = z.infer<typeof fetcherSettingsSchema>;

/** Injectable, non-serialisable parts (tests and embedding code; never from user files). */
export interface FetcherHooks {
  /** DNS resolver used by the SSRF guard. @default node:dns lookup, all addresses */
  resolve?: Resolver | undefined;
  /** Test-only: exact `ip:port` pairs treated as public (see `SsrfGuardOptions`). */
  trustedAddresses?: readonly string[] | undefined;
  /** Waits between attempts. @default timers/promises setTimeout */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Clock in epoch ms (fetchedAt, Retry-After dates, robots TTL). @default Date.now */
  now?: (() => number) | undefined;
  /** Jitter source in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
}

/** Everything `new UndiciFetcher()` accepts. */
export type UndiciFetcherOptions = z.input<typeof fetcherSettingsSchema> & FetcherHooks;

/** Fetcher settings for a source config (its politeness, private-network switch and contact URL). */
export function fetcherSettingsForSource(source: {
  politeness?: { concurrency: number; intervalMs: number } | undefined;
  allowPrivateNetwork?: boolean | undefined;
  contactUrl?: string | undefined;
}): z.input<typeof fetcherSettingsSchema> {
  return {
    ...(source.politeness === undefined ? {} : { politeness: source.politeness }),
    ...(source.allowPrivateNetwork === undefined ? {} : { allowPrivateNetwork: source.allowPrivateNetwork }),
    ...(source.contactUrl === undefined ? {} : { contactUrl: source.contactUrl }),
  };
}

type AcceptMode = NonNullable<FetchOptions['accept']>;

const PAGE_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'text/x-markdown'];
const JSON_TYPES = ['application/json', 'text/json', 'text/plain'];
const ACCEPTED_TYPES: Record<AcceptMode, ReadonlySet<string>> = {
  page: new Set(PAGE_TYPES),
  xml: new Set(['application/xml', 'text/xml']),
  text: new Set(['text/plain', 'text/markdown', 'text/x-markdown']),
  json: new Set(JSON_TYPES),
  asset: new Set([
    ...PAGE_TYPES,
    ...JSON_TYPES,
    'text/javascript',
    'application/javascript',
    'application/x-javascript',
    'application/ecmascript',
    'text/ecmascript',
    'text/css',
    'application/xml',
    'text/xml',
  ]),
};

/** Whether a media type is one `accept` takes (`json` and `asset` also take any `+json` type). */
function accepted(accept: AcceptMode, mediaType: string): boolean {
  return ACCEPTED_TYPES[accept].has(mediaType) || ((accept === 'json' || accept === 'asset') && mediaType.endsWith('+json'));
}

const ACCEPT_HEADER: Record<AcceptMode, string> = {
  page: 'text/html,application/xhtml+xml;q=0.9,text/markdown;q=0.8,text/plain;q=0.7',
  xml: 'application/xml,text/xml;q=0.9',
  text: 'text/plain,text/markdown;q=0.9',
  json: 'application/json,application/*+json;q=0.9,text/plain;q=0.5',
  asset: '*/*',
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** RFC 9309: parse at least 500 KiB of robots.txt; the rest is ignored. */
const ROBOTS_MAX_BYTES = 500 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

type Hop =
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'done'; result: FetchResult };

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Adds the URL to an error raised where it was not known (the connect-time SSRF lookup). */
function withUrl(error: ThreatdraftError, url: URL): ThreatdraftError {
  const context = { ...error.context, url: url.href };
  if (error instanceof TransientError) return new TransientError(error.code, error.message, context, { cause: error, retryAfterMs: error.retryAfterMs });
  if (error instanceof PermanentError) return new PermanentError(error.code, error.message, context, { cause: error });
  return error;
}

/** Drops a URL's fragment in place (it is never sent) and returns it. */
function withoutFragment(url: URL): URL {
  url.hash = '';
  return url;
}

/**
 * Runs one request under the caller's signal itself when no other request of ours holds it, else
 * under a child of it (each request puts its own listener on the signal it gets).
 */
async function borrowing<T>(parent: AbortSignal | undefined, request: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const borrowed = borrowSignal(parent);
  try {
    return await request(borrowed.signal);
  } finally {
    borrowed.dispose();
  }
}

/** Closes a response body we will not read; the abort it causes is expected, so it must not surface as unhandled. */
function discard(response: Dispatcher.ResponseData): void {
  response.body.on('error', () => undefined);
  response.body.destroy();
}

/** The production Fetcher over undici; owns one connection pool, closed by `close()`. */
export class UndiciFetcher implements Fetcher {
  readonly #settings: FetcherSettings;
  readonly #guard: SsrfGuard;
  readonly #agent: InstanceType<typeof Agent>;
  readonly #robots: RobotsCache;
  readonly #gates = new Map<string, HostGate>();
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #userAgent: string;

  /** @throws ConfigError `E_CONFIG` naming each invalid setting. */
  constructor(options: UndiciFetcherOptions = {}) {
    const { resolve, trustedAddresses, sleep, now, random, ...rest } = options;
    const parsed = fetcherSettingsSchema.safeParse(rest);
    if (!parsed.success) throw new ConfigError('E_CONFIG', `Invalid fetcher options: ${formatIssues(parsed.error.issues)}`);
    this.#settings = parsed.data;
    this.#guard = new SsrfGuard({ allowPrivateNetwork: parsed.data.allowPrivateNetwork, resolve, trustedAddresses });
    this.#sleep = sleep ?? ((ms, signal) => sleepTimer(ms, undefined, signal === undefined ? {} : { signal }));
    this.#now = now ?? Date.now;
    this.#random = random ?? Math.random;
    this.#userAgent =
      parsed.data.userAgent ??
      `${ROBOTS_USER_AGENT}/${VERSION}${parsed.data.contactUrl === undefined ? '' : ` (+${parsed.data.contactUrl})`}`;
    const guard = this.#guard;
    const connectMs = parsed.data.timeouts.connectMs;
    const connect: buildConnector.connector = (connectOptions, callback) => {
      const port = Number(connectOptions.port) || (connectOptions.protocol === 'https:' ? 443 : 80);
      // net.connect skips `lookup` for IP literals, so those are checked here.
      const literal = isIP(connectOptions.hostname) !== 0 ? connectOptions.hostname : ipLiteralOfHost(connectOptions.hostname);
      if (literal !== undefined) {
        const klass = guard.refusal(literal, port);
        if (klass !== undefined) {
          callback(ssrfError(connectOptions.hostname, literal, klass), null);
          return;
        }
      }
      // A connector per connection binds the port into the lookup (trusted pairs are ip:port).
      makeConnector({ timeout: connectMs, lookup: guard.lookupFor(port) })(connectOptions, callback);
    };
    this.#agent = new Agent({
      connect,
      headersTimeout: parsed.data.timeouts.headersMs,
      bodyTimeout: parsed.data.timeouts.bodyMs,
      keepAliveTimeout: 4_000,
      connections: Math.max(2, parsed.data.politeness.concurrency),
    });
    this.#robots = new RobotsCache((robotsUrl, signal) => this.#fetchRobots(robotsUrl, signal), {
      now: this.#now,
      rethrow: (error) => error instanceof ThreatdraftError && error.code === 'E_SSRF',
    });
  }

  /** The User-Agent header sent with every request. */
  get userAgent(): string {
    return this.#userAgent;
  }

  /** The robots rules for `url`'s origin (cached), e.g. for sitemap discovery. */
  robotsFor(url: string, signal?: AbortSignal): Promise<RobotsTxt> {
    return this.#robots.find(parseHttpUrl(url).href, signal);
  }

  /** {@inheritDoc Fetcher.fetch} */
  async fetch(url: string, options: FetchOptions = {}): Promise<FetchResult> {
    const accept = options.accept ?? 'page';
    const signal = options.signal;
    let current = withoutFragment(parseHttpUrl(url));
    // Exact URLs, not normalised ones: `/x` → `/x/` is a common redirect, not a loop.
    const seen = new Set<string>([current.href]);
    for (let hop = 0; ; hop += 1) {
      signal?.throwIfAborted();
      this.#guard.assertUrlAllowed(current);
      let interval = this.#settings.politeness.intervalMs;
      if (this.#settings.robots) {
        const rules = await this.#robots.find(current, signal);
        if (!rules.isAllowed(current.href)) {
          if (rules.unavailable?.unreachable === true) {
            // The host did not answer at all: say so, rather than blame robots.txt.
            throw new TransientError('E_UNREACHABLE', `Cannot reach ${rules.origin} (${rules.unavailable.reason})`, {
              url: current.href,
              reason: rules.unavailable.reason,
            });
          }
          throw new PermanentError(
            'E_ROBOTS',
            rules.status === 'disallow-all'
              ? `robots.txt of ${rules.origin} could not be fetched (${rules.unavailable?.reason ?? 'unavailable'}): host treated as disallowed`
              : `robots.txt of ${rules.origin} disallows ${current.href} for ${ROBOTS_USER_AGENT}`,
            { url: current.href, robots: rules.status },
          );
        }
        const delay = rules.crawlDelayMs();
        if (delay !== undefined) interval = Math.max(interval, Math.min(delay, this.#settings.maxCrawlDelayMs));
      }
      const target = current;
      const outcome = await this.#withRetries(target, signal, () =>
        this.#gateFor(target, interval).run(() => this.#requestOnce(target, accept, options), signal),
      );
      if (outcome.kind === 'done') return outcome.result;
      if (hop >= this.#settings.maxRedirects) {
        throw new PermanentError('E_REDIRECTS', `More than ${this.#settings.maxRedirects} redirects from ${url}`, {
          url,
          lastUrl: current.href,
        });
      }
      const next = URL.parse(outcome.location, current);
      if (next === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        throw new PermanentError('E_REDIRECTS', `Redirect from ${current.href} to a non-http(s) location`, { url: current.href });
      }
      withoutFragment(next);
      if (seen.has(next.href)) {
        throw new PermanentError('E_REDIRECT_LOOP', `Redirect loop: ${current.href} leads back to ${next.href}`, { url, lastUrl: current.href });
      }
      seen.add(next.href);
      current = next;
    }
  }

  /** Closes the connection pool and drops queued work. */
  async close(): Promise<void> {
    const closed = new PermanentError('E_CLOSED', 'The fetcher was closed before this request could start', {});
    for (const gate of this.#gates.values()) gate.clear(closed);
    this.#gates.clear();
    await this.#agent.close();
  }

  #gateFor(url: URL, intervalMs: number): HostGate {
    const origin = url.origin;
    const existing = this.#gates.get(origin);
    if (existing !== undefined) return existing;
    const gate = new HostGate({ concurrency: this.#settings.politeness.concurrency, intervalMs, now: this.#now });
    this.#gates.set(origin, gate);
    return gate;
  }

  async #withRetries<T>(url: URL, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let count = 1; ; count += 1) {
      try {
        return await attempt();
      } catch (thrown) {
        const error = this.#classify(thrown, url, signal);
        if (!(error instanceof TransientError)) throw error;
        if (count >= this.#settings.maxAttempts) {
          throw new TransientError(error.code, `${error.message} (gave up after ${count} attempts)`, { ...error.context, attempts: count }, {
            cause: error,
            retryAfterMs: error.retryAfterMs,
          });
        }
        const { baseDelayMs, maxDelayMs, maxRetryAfterMs } = this.#settings.retry;
        const wait =
          error.retryAfterMs !== undefined
            ? Math.min(error.retryAfterMs, maxRetryAfterMs)
            : backoffDelayMs(count, { baseDelayMs, maxDelayMs }, this.#random);
        await this.#sleep(wait, signal);
      }
    }
  }

  /** Normalises whatever a request threw into our error classes, once. */
  #classify(thrown: unknown, url: URL, signal: AbortSignal | undefined): Error {
    if (signal?.aborted === true) return thrown instanceof Error ? thrown : new Error(String(thrown));
    if (thrown instanceof ThreatdraftError) return thrown.context['url'] === undefined ? withUrl(thrown, url) : thrown;
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const code = (error as { code?: unknown }).code;
    const context = { url: url.href };
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return new TransientError('E_TIMEOUT', `Timed out fetching ${url.href} (${code})`, context, { cause: error });
    }
    if (code === 'ENOTFOUND') return new PermanentError('E_DNS', `No DNS record for ${url.hostname}`, context, { cause: error });
    return new TransientError('E_NETWORK', `Network error fetching ${url.href}: ${typeof code === 'string' ? code : error.message}`, context, {
      cause: error,
    });
  }

  async #requestOnce(url: URL, accept: AcceptMode, options: FetchOptions): Promise<Hop> {
    return borrowing(options.signal, (signal) => this.#exchange(url, accept, options, signal));
  }

  async #exchange(url: URL, accept: AcceptMode, options: FetchOptions, signal: AbortSignal | undefined): Promise<Hop> {
    const headers: Record<string, string> = {
      'user-agent': this.#userAgent,
      accept: ACCEPT_HEADER[accept],
      'accept-encoding': 'identity',
    };
    if (options.conditional?.etag !== undefined) headers['if-none-match'] = options.conditional.etag;
    if (options.conditional?.lastModified !== undefined) headers['if-modified-since'] = options.conditional.lastModified;
    const response = await request(url, { method: 'GET', headers, dispatcher: this.#agent, signal });
    const context = { url: url.href, status: response.statusCode };
    const status = response.statusCode;
    if (REDIRECT_STATUSES.has(status)) {
      await response.body.dump();
      const location = header(response.headers, 'location');
      if (location === undefined) throw new PermanentError('E_REDIRECTS', `Redirect ${status} without Location from ${url.href}`, context);
      return { kind: 'redirect', status, location };
    }
    if (status === 304) {
      await response.body.dump();
      return { kind: 'done', result: this.#result(url, response, '', 0, true) };
    }
    if (status === 429 || status >= 500) {
      await response.body.dump();
      const retryAfterMs = parseRetryAfterMs(header(response.headers, 'retry-after'), this.#now());
      const code = status === 429 ? 'E_HTTP_429' : 'E_HTTP_5XX';
      throw new TransientError(code, `HTTP ${status} from ${url.href}`, context, { retryAfterMs });
    }
    if (status < 200 || status >= 300) {
      await response.body.dump();
      throw new PermanentError(status >= 400 ? 'E_HTTP_4XX' : 'E_HTTP_STATUS', `HTTP ${status} from ${url.href}`, context);
    }
    const contentType = header(response.headers, 'content-type') ?? '';
    const mediaType = mediaTypeOf(contentType);
    if (!accepted(accept, mediaType)) {
      discard(response);
      throw new PermanentError('E_CONTENT_TYPE', `Refused content type ${JSON.stringify(mediaType || '(none)')} from ${url.href}`, {
        ...context,
        contentType: mediaType,
      });
    }
    const cap = Math.min(options.maxBytes ?? this.#settings.maxBodyBytes, this.#settings.maxBodyBytes);
    const bytes = await this.#readBody(url, response, cap, 'error');
    const decoded = decodeBody(bytes, contentType);
    return { kind: 'done', result: this.#result(url, response, decoded.text, bytes.byteLength, false) };
  }

  #result(url: URL, response: Dispatcher.ResponseData, body: string, bytes: number, notModified: boolean): FetchResult {
    return {
      status: response.statusCode,
      finalUrl: url.href,
      body,
      contentType: header(response.headers, 'content-type') ?? '',
      etag: header(response.headers, 'etag'),
      lastModified: header(response.headers, 'last-modified'),
      notModified,
      fetchedAt: new Date(this.#now()).toISOString(),
      bytes,
    };
  }

  /**
   * Streams the body into memory up to `maxBytes`: past the cap it aborts the transfer (`error`) or
   * keeps what it has (`truncate`, for robots.txt). A whole-body deadline guards against slow drips.
   */
  async #readBody(
    url: URL,
    response: Dispatcher.ResponseData,
    maxBytes: number,
    overflow: 'error' | 'truncate',
  ): Promise<Uint8Array> {
    const context = { url: url.href };
    const declared = Number(header(response.headers, 'content-length'));
    if (overflow === 'error' && Number.isFinite(declared) && declared > maxBytes) {
      discard(response);
      throw new PermanentError('E_TOO_LARGE', `Body of ${url.href} declares ${declared} bytes, over the ${maxBytes}-byte cap`, context);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Ends the read below with an error and closes the transfer.
      response.body.destroy(new Error('body deadline passed'));
    }, this.#settings.timeouts.bodyMs);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (total + chunk.byteLength > maxBytes) {
          if (overflow === 'truncate') {
            chunks.push(chunk.subarray(0, maxBytes - total));
            total = maxBytes;
            break;
          }
          throw new PermanentError('E_TOO_LARGE', `Body of ${url.href} exceeds the ${maxBytes}-byte cap`, context);
        }
        chunks.push(chunk);
        total += chunk.byteLength;
      }
    } catch (error) {
      if (timedOut) {
        throw new TransientError('E_TIMEOUT', `Body of ${url.href} took longer than ${this.#settings.timeouts.bodyMs} ms`, context, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      // Leaving the loop early (cap, truncate) must close the transfer, not drain it.
      if (!response.body.readableEnded) discard(response);
    }
    return Buffer.concat(chunks, total);
  }

  /** robots.txt over the same guarded agent: up to 5 redirects, 500 KiB, retries on 5xx and network errors. */
  async #fetchRobots(robotsUrl: string, signal: AbortSignal | undefined): Promise<RobotsResponse> {
    let current = parseHttpUrl(robotsUrl);
    for (let hop = 0; hop <= 5; hop += 1) {
      this.#guard.assertUrlAllowed(current);
      const target = current;
      const outcome = await this.#withRetries(target, signal, () => borrowing(signal, async (own) => {
        const response = await request(target, {
          method: 'GET',
          headers: { 'user-agent': this.#userAgent, accept: 'text/plain', 'accept-encoding': 'identity' },
          dispatcher: this.#agent,
          signal: own,
        });
        const status = response.statusCode;
        if (status === 429 || status >= 500) {
          await response.body.dump();
          throw new TransientError(status === 429 ? 'E_HTTP_429' : 'E_HTTP_5XX', `HTTP ${status} from ${target.href}`, {
            url: target.href,
            status,
          }, { retryAfterMs: parseRetryAfterMs(header(response.headers, 'retry-after'), this.#now()) });
        }
        if (REDIRECT_STATUSES.has(status)) {
          await response.body.dump();
          return { status, body: '', location: header(response.headers, 'location') };
        }
        if (status < 200 || status >= 300) {
          await response.body.dump();
          return { status, body: '', location: undefined };
        }
        const bytes = await this.#readBody(target, response, ROBOTS_MAX_BYTES, 'truncate');
        return { status, body: new TextDecoder('utf-8').decode(bytes), location: undefined };
      })).catch((error: unknown) => {
        // Only the robots host itself being refused is an SSRF answer; a redirect elsewhere that is refused means "unreachable".
        if (hop > 0 && error instanceof ThreatdraftError && error.code === 'E_SSRF') return { status: 503, body: '', location: undefined };
        throw error;
      });
      if (outcome.location === undefined) return { status: outcome.status, body: outcome.body };
      const next = URL.parse(outcome.location, current);
      if (next === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) return { status: 404, body: '' };
      current = next;
    }
    // An unfinished redirect chain: RFC 9309 lets us treat robots.txt as unavailable.
    return { status: 310, body: '' };
  }
}

