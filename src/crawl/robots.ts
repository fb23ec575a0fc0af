/**
 * robots.txt (RFC 9309): a pure constructor from text (`RobotsTxt.from`) and a per-origin cache
 * that fetches through an injected function (`RobotsCache.find`), so the HTTP side stays in the
 * fetcher, behind the SSRF guard.
 */
import robotsParserImport from 'robots-parser';
import { originOf, robotsUrlFor } from './url.js';

/** The product token matched against `User-agent:` lines. */
export const ROBOTS_USER_AGENT = 'threatdraft';

interface RobotRules {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}

// robots-parser is CommonJS with a default export in its typings; under NodeNext the default import is the module object type.
const robotsParser = robotsParserImport as unknown as (url: string, text: string) => RobotRules;

/** How a robots.txt answer was obtained; drives the policy. */
export type RobotsStatus = 'parsed' | 'allow-all' | 'disallow-all';

/** The rules for one origin. */
export class RobotsTxt {
  readonly origin: string;
  readonly status: RobotsStatus;
  /**
   * Why robots.txt was unavailable when `status` is disallow-all: `HTTP 503`, or the network error
   * (`ECONNREFUSED`, `E_TIMEOUT`, …) when the host could not be reached at all. Null otherwise.
   */
  readonly unavailable: { reason: string; unreachable: boolean } | null;
  readonly #rules: RobotRules | undefined;
  readonly #crawlDelays = new Map<string, number | undefined>();

  private constructor(
    origin: string,
    status: RobotsStatus,
    rules: RobotRules | undefined,
    unavailable: { reason: string; unreachable: boolean } | null = null,
  ) {
    this.origin = origin;
    this.status = status;
    this.#rules = rules;
    this.unavailable = unavailable;
  }

  /** Builds the rules from robots.txt text served for `url`'s origin (pure). */
  static from(url: string, text: string): RobotsTxt {
    return new RobotsTxt(originOf(url), 'parsed', robotsParser(robotsUrlFor(url), text));
  }

  /** Rules that allow everything (robots.txt missing: any 4xx). */
  static allowAll(url: string): RobotsTxt {
    return new RobotsTxt(originOf(url), 'allow-all', undefined);
  }

  /** Rules that refuse everything (robots.txt unreachable: 5xx or network failure), saying why. */
  static disallowAll(url: string, unavailable: { reason: string; unreachable: boolean } = { reason: 'unavailable', unreachable: false }): RobotsTxt {
    return new RobotsTxt(originOf(url), 'disallow-all', undefined, unavailable);
  }

  /** Whether our user agent may fetch `url` (a URL of another origin is not ours to judge: true). */
  isAllowed(url: string, userAgent: string = ROBOTS_USER_AGENT): boolean {
    if (this.status === 'allow-all') return true;
    if (this.status === 'disallow-all') return originOf(url) !== this.origin;
    // robots-parser answers undefined for URLs outside the file's origin.
    return this.#rules?.isAllowed(url, userAgent) ?? true;
  }

  /** The Crawl-delay for our user agent in milliseconds, if the file sets one. */
  crawlDelayMs(userAgent: string = ROBOTS_USER_AGENT): number | undefined {
    // Asked before every request: the file does not change, so neither does the answer.
    if (this.#crawlDelays.has(userAgent)) return this.#crawlDelays.get(userAgent);
    const seconds = this.#rules?.getCrawlDelay(userAgent);
    const ms = seconds === undefined || !Number.isFinite(seconds) || seconds < 0 ? undefined : Math.round(seconds * 1000);
    this.#crawlDelays.set(userAgent, ms);
    return ms;
  }

  /** Sitemap URLs listed in the file. */
  sitemaps(): string[] {
    return this.#rules?.getSitemaps() ?? [];
  }
}

/** What the cache's fetch function returns: the final status and text, or a thrown error when unreachable. */
export interface RobotsResponse {
  status: number;
  body: string;
}

/** Fetches a robots.txt URL (following redirects); throws when the host is unreachable. */
export type RobotsFetch = (robotsUrl: string, signal?: AbortSignal) => Promise<RobotsResponse>;

/** Options of the robots cache. */
export interface RobotsCacheOptions {
  /** How long fetched rules are reused. @default 86_400_000 (24 h, the RFC 9309 upper bound) */
  ttlMs?: number;
  /** How long a "disallow all" from an unreachable robots.txt is kept before asking again. @default 600_000 */
  errorTtlMs?: number;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Errors that must propagate rather than count as "unreachable" (e.g. an SSRF refusal of the
   * host itself, which must surface as such and not as a robots refusal).
   */
  rethrow?: (error: unknown) => boolean;
}

/**
 * Rules per origin, fetched once (concurrent callers share the request) and cached.
 * Policy (RFC 9309 §2.3.1): 2xx parses the file; 4xx (and an unfinished redirect chain) means no
 * robots.txt, so everything is allowed; 5xx, 429 or no answer means everything is disallowed for that host until `errorTtlMs` passes.
 */
export class RobotsCache {
  readonly #fetch: RobotsFetch;
  readonly #ttlMs: number;
  readonly #errorTtlMs: number;
  readonly #now: () => number;
  readonly #rethrow: (error: unknown) => boolean;
  readonly #entries = new Map<string, { expires: number; value: Promise<RobotsTxt> }>();

  constructor(fetch: RobotsFetch, options: RobotsCacheOptions = {}) {
    this.#fetch = fetch;
    this.#ttlMs = options.ttlMs ?? 86_400_000;
    this.#errorTtlMs = options.errorTtlMs ?? 600_000;
    this.#now = options.now ?? Date.now;
    this.#rethrow = options.rethrow ?? (() => false);
  }

  /** The rules for `url`'s origin, fetching robots.txt when not cached (a parsed URL saves parsing it again). */
  async find(url: string | URL, signal?: AbortSignal): Promise<RobotsTxt> {
    const origin = originOf(url);
    const cached = this.#entries.get(origin);
    if (cached !== undefined && cached.expires > this.#now()) return cached.value;
    const entry = { expires: Number.POSITIVE_INFINITY, value: this.#load(typeof url === 'string' ? url : url.href, signal) };
    this.#entries.set(origin, entry);
    try {
      const rules = await entry.value;
      entry.expires = this.#now() + (rules.status === 'disallow-all' ? this.#errorTtlMs : this.#ttlMs);
      return rules;
    } catch (error) {
      this.#entries.delete(origin);
      throw error;
    }
  }

  /** Forgets every cached origin. */
  clear(): void {
    this.#entries.clear();
  }

  async #load(url: string, signal: AbortSignal | undefined): Promise<RobotsTxt> {
    let response: RobotsResponse;
    try {
      response = await this.#fetch(robotsUrlFor(url), signal);
    } catch (error) {
      if (signal?.aborted === true || this.#rethrow(error)) throw error;
      // A status that stayed 5xx or 429 through the retries: the host answers, robots.txt does not.
      const status = (error as { context?: { status?: unknown } } | null)?.context?.status;
      if (typeof status === 'number') return RobotsTxt.disallowAll(url, { reason: `HTTP ${status}`, unreachable: false });
      return RobotsTxt.disallowAll(url, { reason: networkReason(error), unreachable: true });
    }
    if (response.status >= 200 && response.status < 300) return RobotsTxt.from(url, response.body);
    // 429 is an overloaded server, not a missing file: treat it like 5xx.
    if (response.status === 429) return RobotsTxt.disallowAll(url, { reason: 'HTTP 429', unreachable: false });
    // A redirect chain that did not end (3xx) and any 4xx mean "unavailable": no restrictions.
    if (response.status >= 300 && response.status < 500) return RobotsTxt.allowAll(url);
    return RobotsTxt.disallowAll(url, { reason: `HTTP ${response.status}`, unreachable: false });
  }
}

/**
 * A short, secret-free name for a network failure: the system's code (ECONNREFUSED, ENOTFOUND, …)
 * found along the `cause` chain, else our own code (E_TIMEOUT, …), else its first words.
 */
function networkReason(error: unknown): string {
  let own: string | null = null;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && current !== undefined; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') {
      if (!code.startsWith('E_')) return code;
      own ??= code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return own ?? (error instanceof Error ? error.message : String(error)).slice(0, 80);
}
