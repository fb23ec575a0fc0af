/**
 * What identifies a listing and its content, without parsing any HTML: ids, the content hash,
 * canonical repository URLs and the token cap. Kept apart from `extract.ts` (cheerio, linkedom,
 * Readability) so a crawl that finds every page unchanged (304s) never loads an HTML parser.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as GptTokenizer from 'gpt-tokenizer';
import type { Listing, ListingDocument, Repo } from '../../schemas/listing.js';
import { collapse } from './extract-text.js';
import { normalizeUrl } from './url.js';

/** Default token budget of `Listing.text`. */
export const DEFAULT_MAX_TOKENS = 6000;

/** The marker appended where the text was cut by the token budget. */
export const TRUNCATION_MARKER = '[… truncated]';

const CODE_HOSTS = ['github.com', 'gitlab.com', 'bitbucket.org', 'codeberg.org', 'huggingface.co'];

const GITHUB_RESERVED = new Set([
  'about',
  'apps',
  'blog',
  'collections',
  'contact',
  'enterprise',
  'explore',
  'features',
  'login',
  'marketplace',
  'orgs',
  'pricing',
  'security',
  'settings',
  'signup',
  'site',
  'sponsors',
  'topics',
  'trending',
]);

// Token counting is skipped when the UTF-8 length already proves the text is within budget.
const MARKER_RESERVE_TOKENS = 16;

const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };

// Characters of text encoded per token of budget at first (tokens average about four characters).
const PREFIX_CHARS_PER_TOKEN = 8;

// Tokens a prefix must hold beyond the budget, so the cut is far from where the prefix ends.
const PREFIX_MARGIN_TOKENS = 256;

/** What {@link computeContentHash} hashes: everything that would change an assessment. */
export interface ContentHashParts {
  title: string;
  summary: string;
  text: string;
  fields: Listing['fields'];
  repo?: Pick<Repo, 'url' | 'readme' | 'manifests'> | undefined;
  /** The structured document the listing came from: hashed whole, unknown fields included. */
  document?: Omit<ListingDocument, 'meta'> | undefined;
}

/**
 * sha256 (hex) over the normalised title, summary, text, fields and repository README.
 * Whitespace-only differences and the fetch time or URL never change it.
 */
export function computeContentHash(parts: ContentHashParts): string {
  const metadata = Object.keys(parts.fields.metadata)
    .sort()
    .map((key) => [collapse(key), collapse(parts.fields.metadata[key] ?? '')]);
  const canonical = JSON.stringify({
    v: 1,
    title: collapse(parts.title),
    summary: collapse(parts.summary),
    text: collapse(parts.text),
    capabilities: parts.fields.capabilities.map(collapse),
    metadata,
    repositories: [...parts.fields.repositories].sort(),
    category: parts.fields.category === null ? null : collapse(parts.fields.category),
    repo:
      parts.repo === undefined
        ? null
        : {
            url: parts.repo.url,
            readme: parts.repo.readme === null ? null : collapse(parts.repo.readme),
            // Only listings with manifests hash them, so earlier hashes stay as they were.
            ...(parts.repo.manifests === undefined || parts.repo.manifests.length === 0 ? {} : { manifests: parts.repo.manifests }),
          },
    ...(parts.document === undefined ? {} : { document: stableJson(parts.document) }),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** A value with object keys sorted at every level, so equal documents hash equally whatever their key order. */
function stableJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stableJson);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, stableJson(record[key])]),
  );
}

/** What every listing id of a source starts with (`<source slug>.`). */
export function sourceListingPrefix(sourceId: string): string {
  return `${slugify(sourceId, 48) || 'source'}.`;
}

/**
 * A stable, filesystem- and URL-safe id (`[a-z0-9._-]`, at most 128 chars): the source, a slug of
 * the URL's last path segment (or of `name`, when the caller knows the listing's own name), and a
 * short hash of source and URL so distinct URLs never collide.
 */
export function listingId(sourceId: string, normalizedUrl: string, name?: string): string {
  const source = sourceListingPrefix(sourceId).slice(0, -1);
  const hash = createHash('sha256').update(`${sourceId}\n${normalizedUrl}`).digest('hex').slice(0, 12);
  const named = name === undefined ? '' : slugify(name, 60);
  if (named !== '') return `${source}.${named}-${hash}`;
  let segment: string;
  try {
    const parsed = new URL(normalizedUrl);
    const segments = parsed.pathname.split('/').filter((part) => part !== '');
    const last = segments.at(-1) ?? '';
    segment = slugify(safeDecode(last).replace(/\.(html?|php|aspx?|jsp)$/i, ''), 60);
    if (segment === '' || /^index$/.test(segment)) segment = slugify(parsed.hostname, 60);
  } catch {
    segment = slugify(normalizedUrl, 60);
  }
  return segment === '' ? `${source}.${hash}` : `${source}.${segment}-${hash}`;
}

/** The URL form ids are derived from: the crawler's dedupe key (`normalizeUrl`), or the trimmed input when it is not an http(s) URL. */
export function normalizeListingUrl(url: string): string {
  try {
    return normalizeUrl(url);
  } catch {
    return url.trim();
  }
}

/** `https://host/owner/name` for a link into a code host's repository, else undefined. */
export function canonicalRepoUrl(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  if (!CODE_HOSTS.includes(host)) return undefined;
  const segments = url.pathname
    .split('/')
    .filter((part) => part !== '')
    .map(safeDecode);
  if (host === 'huggingface.co') {
    // Models live at /owner/name; datasets and spaces carry a prefix.
    const prefixed = segments[0] === 'datasets' || segments[0] === 'spaces';
    const take = prefixed ? segments.slice(0, 3) : segments.slice(0, 2);
    if (take.length < (prefixed ? 3 : 2)) return undefined;
    return `https://huggingface.co/${take.join('/')}`;
  }
  const [owner, rawName] = segments;
  if (owner === undefined || rawName === undefined) return undefined;
  if (host === 'github.com' && GITHUB_RESERVED.has(owner.toLowerCase())) return undefined;
  const name = rawName.replace(/\.git$/i, '');
  if (!/^[\w.-]+$/.test(owner) || !/^[\w.-]+$/.test(name)) return undefined;
  return `https://${host}/${owner}/${name}`;
}

type Tokenizer = Pick<typeof GptTokenizer, 'encode' | 'decode'>;

let tokenizer: Tokenizer | undefined;

/**
 * The tokenizer, loaded on first use: its encoding tables cost about 70 MB, and most listings are
 * short enough that the byte-length shortcut below never needs them.
 */
function loadTokenizer(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer') as Tokenizer;
  return tokenizer;
}

/** Cuts text to a token budget at a word boundary and marks the cut. */
export function capTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  // Every token covers at least one UTF-8 byte, so a short text cannot exceed the budget.
  if (Buffer.byteLength(text, 'utf8') <= maxTokens) return { text, truncated: false };
  const { encode, decode } = loadTokenizer();
  // Encoding a whole megabyte page to keep a few thousand tokens would be most of its extraction
  // time: encode a prefix that holds the budget with a margin, doubling it only when it does not.
  // Tokens far from a prefix's end are the same as the whole text's.
  let window = maxTokens * PREFIX_CHARS_PER_TOKEN;
  let tokens: number[];
  for (;;) {
    const whole = window >= text.length;
    tokens = encode(whole ? text : text.slice(0, window), ENCODE_OPTIONS);
    if (whole) {
      if (tokens.length <= maxTokens) return { text, truncated: false };
      break;
    }
    if (tokens.length >= maxTokens + PREFIX_MARGIN_TOKENS) break;
    window *= 2;
  }
  let kept = decode(tokens.slice(0, Math.max(1, maxTokens - MARKER_RESERVE_TOKENS)));
  // A decoded prefix can end inside a multi-byte character or a word.
  kept = kept.replace(/\uFFFD+$/, '');
  const lastSpace = kept.search(/\s\S*$/);
  if (lastSpace > kept.length * 0.8) kept = kept.slice(0, lastSpace);
  return { text: `${kept.trimEnd()}\n\n${TRUNCATION_MARKER}`, truncated: true };
}

export function slugify(value: string, maxChars: number): string {
  return value
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxChars)
    .replace(/-+$/g, '');
}

export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
