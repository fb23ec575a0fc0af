/**
 * URL normalisation for the crawler (pure): one spelling per resource, so dedupe, caching and
 * redirect-loop detection compare like with like.
 */
import { PermanentError } from '../errors.js';

/** Protocols the crawler fetches. */
export type CrawlProtocol = 'http:' | 'https:';

/** True when `value` parses as an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
}

/**
 * Parses an absolute http(s) URL (optionally relative to `base`).
 * @throws PermanentError `E_URL` when it does not parse or is not http(s).
 */
export function parseHttpUrl(value: string, base?: string | URL): URL {
  const url = URL.parse(value, base);
  if (url === null) throw new PermanentError('E_URL', `Expected an absolute http(s) URL, got ${JSON.stringify(value.slice(0, 200))}`, { url: value.slice(0, 500) });
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PermanentError('E_URL', `Expected an http: or https: URL, got ${url.protocol}`, { url: value.slice(0, 500) });
  }
  return url;
}

const PERCENT_ESCAPE = /%[0-9a-f]{2}/gi;

/**
 * Normalises a URL: lowercases scheme and host (the WHATWG parser does, and also canonicalises
 * numeric IPv4 hosts and resolves dot segments), drops the fragment, the default port, userinfo
 * and an empty query, keeps the root path `/` but strips a trailing slash elsewhere, uppercases
 * percent-escapes, and sorts query parameters by name (stable, values and encoding untouched).
 * @throws PermanentError `E_URL` when the URL is not absolute http(s).
 */
export function normalizeUrl(value: string | URL, base?: string | URL): string {
  const url = typeof value === 'string' ? parseHttpUrl(value, base) : parseHttpUrl(value.href);
  url.hash = '';
  // Credentials never belong in a crawl key (and must not leak into logs).
  url.username = '';
  url.password = '';
  let path = url.pathname.replace(PERCENT_ESCAPE, (escape) => escape.toUpperCase());
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '') || '/';
  url.pathname = path;
  url.search = sortQuery(url.search);
  return url.href;
}

/**
 * Resolves `href` against `base` and normalises it; `undefined` for unparsable or non-http(s)
 * links (mailto:, javascript:, data:), so extractors can filter with one call.
 */
export function resolveHttpUrl(href: string, base: string | URL): string | undefined {
  const url = URL.parse(href.trim(), base);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  return normalizeUrl(url);
}

/** The origin (`scheme://host[:port]`) of an http(s) URL, the key for robots and politeness. */
export function originOf(value: string | URL): string {
  return (typeof value === 'string' ? parseHttpUrl(value) : value).origin;
}

/** The robots.txt URL for the origin of `value`. */
export function robotsUrlFor(value: string | URL): string {
  return `${originOf(value)}/robots.txt`;
}

/** True when both URLs have the same origin. */
export function sameOrigin(a: string | URL, b: string | URL): boolean {
  return originOf(a) === originOf(b);
}

/**
 * `url` moved from origin `from` to origin `to` (path, query and fragment kept); any other URL
 * as it is. Used for ids that must not depend on a port chosen at run time.
 */
export function rebaseOrigin(url: string, from: string, to: string): string {
  const parsed = URL.parse(url);
  const source = URL.parse(from);
  const target = URL.parse(to);
  if (parsed === null || source === null || target === null || parsed.origin !== source.origin) return url;
  return `${target.origin}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

function sortQuery(search: string): string {
  if (search === '' || search === '?') return '';
  const pairs = search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => pair.replace(PERCENT_ESCAPE, (escape) => escape.toUpperCase()));
  if (pairs.length === 0) return '';
  const keyed = pairs.map((pair, index) => ({ pair, key: pair.split('=', 1)[0] ?? '', index }));
  // Sort by name only, keeping the original order of repeated names: `a=2&a=1` differs from `a=1&a=2`.
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.index - y.index));
  return `?${keyed.map((entry) => entry.pair).join('&')}`;
}
