/**
 * Structured data embedded in an HTML page (pure): JSON-LD (schema.org SoftwareApplication,
 * WebApplication, MobileApplication, Product, SoftwareSourceCode, Organization), OpenGraph, and the
 * data blobs front-end frameworks ship with a page (Next.js `__NEXT_DATA__`, Nuxt `__NUXT_DATA__`
 * and `window.__NUXT__`). What they say becomes fields named as the data names them
 * (`permissions: Reads your calendar`, `featureList: …`), so evidence quotes the field. Every
 * parse is bounded (bytes per blob, nodes walked, pairs kept) and never throws.
 */
import type { CheerioAPI } from 'cheerio';
import { isRecord, line } from './documents/common.js';
import { canonicalRepoUrl } from './listing-identity.js';

/** What the embedded data of a page adds to its listing. */
export interface EmbeddedData {
  /** A name the data gives the listing (used when the page has no better title). */
  title: string;
  /** A description the data gives (used when the page has none). */
  summary: string;
  metadata: Record<string, string>;
  capabilities: string[];
  repositories: string[];
}

const MAX_BLOB_CHARS = 1_000_000;
const MAX_BLOBS = 12;
const MAX_NODES = 20_000;
const MAX_DEPTH = 12;
const MAX_PAIRS = 30;

const APP_TYPES = new Set(['softwareapplication', 'webapplication', 'mobileapplication', 'product', 'softwaresourcecode', 'service']);
/** schema.org properties worth a field, as they are named there. */
const LD_PROPERTIES = [
  'applicationCategory',
  'applicationSubCategory',
  'operatingSystem',
  'softwareVersion',
  'softwareRequirements',
  'permissions',
  'featureList',
  'license',
  'category',
  'keywords',
  'programmingLanguage',
  'runtimePlatform',
  'codeRepository',
  'countriesSupported',
  'availableOnDevice',
] as const;
const PARTY_PROPERTIES = ['provider', 'author', 'creator', 'publisher', 'brand', 'manufacturer'] as const;
/** Keys of a framework payload that are bookkeeping, not facts about the listing. */
const SKIP_KEY = /^(?:_|\$)|^(?:id|uuid|slug|key|__typename|createdAt|updatedAt|created_at|updated_at|image|images|icon|logo|avatar|thumbnail|screenshots?|href|locale|locales|buildId|page|query|seo|meta)$/i;

/** Reads every kind of embedded data a page carries; empty when it has none. */
export function readEmbeddedData($: CheerioAPI, pageTitle = ''): EmbeddedData {
  const out: EmbeddedData = { title: '', summary: '', metadata: {}, capabilities: [], repositories: [] };
  const put = (key: string, value: string): void => {
    const clean = line(value);
    if (clean === '' || Object.keys(out.metadata).length >= MAX_PAIRS || Object.hasOwn(out.metadata, key)) return;
    out.metadata[key] = clean;
    const repo = canonicalRepoUrl(clean);
    if (repo !== undefined && !out.repositories.includes(repo)) out.repositories.push(repo);
  };
  isolated(() => readJsonLd($, out, put));
  isolated(() => readOpenGraph($, put));
  isolated(() => readFrameworkData($, out, put, pageTitle));
  return out;
}

function isolated(rule: () => void): void {
  try {
    rule();
  } catch {
    // One malformed blob costs only what it would have added.
  }
}

function scripts($: CheerioAPI, selector: string): string[] {
  return $(selector)
    .toArray()
    .slice(0, MAX_BLOBS)
    .map((element) => $(element).text())
    .filter((text) => text.length > 0 && text.length <= MAX_BLOB_CHARS);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text.trim().replace(/^<!--|-->$/g, '')) as unknown;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON-LD

function typesOf(node: Record<string, unknown>): string[] {
  const type = node['@type'];
  const list = Array.isArray(type) ? type : [type];
  return list.filter((entry): entry is string => typeof entry === 'string').map((entry) => entry.replace(/^.*[/#:]/, '').toLowerCase());
}

/** Every object node of a JSON-LD document (top level, arrays, `@graph`), bounded. */
function ldNodes(value: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const queue: unknown[] = [value];
  let seen = 0;
  while (queue.length > 0 && seen < MAX_NODES) {
    const next = queue.shift();
    seen += 1;
    if (Array.isArray(next)) queue.push(...next.slice(0, 200));
    else if (isRecord(next)) {
      out.push(next);
      if (Array.isArray(next['@graph'])) queue.push(...next['@graph'].slice(0, 200));
      if (isRecord(next['mainEntity'])) queue.push(next['mainEntity']);
    }
  }
  return out;
}

/** A schema.org value as text: strings, numbers, names of things, lists joined. */
function ldText(value: unknown, depth = 0): string {
  if (depth > 3) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.slice(0, 30).map((entry) => ldText(entry, depth + 1)).filter((entry) => entry !== '').join(', ');
  if (isRecord(value)) {
    const name = value['name'] ?? value['@id'] ?? value['url'];
    return typeof name === 'string' ? name : '';
  }
  return '';
}

function readJsonLd($: CheerioAPI, out: EmbeddedData, put: (key: string, value: string) => void): void {
  const nodes = scripts($, 'script[type="application/ld+json"]').flatMap((text) => ldNodes(parse(text)));
  const app = nodes.find((node) => typesOf(node).some((type) => APP_TYPES.has(type)));
  if (app !== undefined) {
    if (typeof app['name'] === 'string') out.title = line(app['name'], 300);
    if (typeof app['description'] === 'string') out.summary = line(app['description'], 1000);
    for (const key of LD_PROPERTIES) {
      const value = app[key];
      if (value === undefined) continue;
      if (key === 'featureList') {
        const items = (Array.isArray(value) ? value.map((entry) => ldText(entry)) : ldText(value).split(/\s*(?:\n|;|,(?=\s*[A-Z]))\s*/))
          .map((item) => line(item, 300))
          .filter((item) => item !== '');
        for (const item of items.slice(0, 50)) if (!out.capabilities.includes(item)) out.capabilities.push(item);
        put(key, items.join('; '));
        continue;
      }
      put(key, ldText(value));
    }
    for (const key of PARTY_PROPERTIES) {
      const value = app[key];
      if (value !== undefined) put(key, ldText(value));
    }
    const offers = app['offers'];
    const offer = Array.isArray(offers) ? offers[0] : offers;
    if (isRecord(offer) && offer['price'] !== undefined) {
      const price = ldText(offer['price']);
      put('offers', price === '0' || price === '0.00' ? 'free' : `${price}${typeof offer['priceCurrency'] === 'string' ? ` ${offer['priceCurrency']}` : ''}`);
    }
    for (const same of [app['sameAs'], app['url']].flatMap((value) => (Array.isArray(value) ? value : [value]))) {
      const repo = typeof same === 'string' ? canonicalRepoUrl(same) : undefined;
      if (repo !== undefined && !out.repositories.includes(repo)) out.repositories.push(repo);
    }
  }
  const organization = nodes.find((node) => node !== app && typesOf(node).includes('organization'));
  if (organization !== undefined && typeof organization['name'] === 'string') {
    put('organization', `${organization['name']}${typeof organization['url'] === 'string' ? ` (${organization['url']})` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// OpenGraph (title and description are already read by extraction)

function readOpenGraph($: CheerioAPI, put: (key: string, value: string) => void): void {
  for (const key of ['og:type', 'og:site_name']) {
    const value = $(`meta[property="${key}"]`).first().attr('content');
    if (value !== undefined) put(key, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Framework payloads

function readFrameworkData($: CheerioAPI, out: EmbeddedData, put: (key: string, value: string) => void, pageTitle: string): void {
  const roots: unknown[] = [];
  for (const text of scripts($, 'script#__NEXT_DATA__')) {
    const data = parse(text);
    roots.push(isRecord(data) && isRecord(data['props']) ? (data['props']['pageProps'] ?? data['props']) : data);
  }
  for (const text of scripts($, 'script#__NUXT_DATA__')) {
    const data = parse(text);
    if (Array.isArray(data)) roots.push(unflatten(data));
  }
  for (const text of scripts($, 'script:not([src])')) {
    const match = /window\.__NUXT__\s*=\s*(\{[\s\S]*\})\s*;?\s*$/.exec(text.trim());
    if (match?.[1] !== undefined) roots.push(parse(match[1]));
  }
  const best = bestEntity(roots, pageTitle);
  if (best === undefined) return;
  const name = best['name'] ?? best['title'];
  const description = best['description'] ?? best['summary'] ?? best['tagline'];
  if (out.title === '' && typeof name === 'string') out.title = line(name, 300);
  if (out.summary === '' && typeof description === 'string') out.summary = line(description, 1000);
  for (const [key, value] of Object.entries(best)) {
    if (SKIP_KEY.test(key) || ['name', 'title', 'description', 'summary', 'tagline'].includes(key)) continue;
    const text = payloadText(value);
    if (text !== '') put(key, text);
  }
}

/** A payload value as a field value: scalars, booleans as yes/no, lists of scalars or of named things. */
function payloadText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) {
    const items = value.slice(0, 40).map((entry) => (isRecord(entry) ? (entry['name'] ?? entry['title'] ?? entry['label']) : entry));
    return items.every((item) => typeof item === 'string' || typeof item === 'number') ? items.join(', ') : '';
  }
  if (isRecord(value) && typeof (value['name'] ?? value['title']) === 'string') return String(value['name'] ?? value['title']);
  return '';
}

/**
 * The object in the payloads that describes the listing: it has a name or title and a description,
 * and it names the page's own title when one does; among several, the one with most facts.
 */
function bestEntity(roots: readonly unknown[], pageTitle: string): Record<string, unknown> | undefined {
  const wanted = pageTitle.trim().toLowerCase();
  let best: { node: Record<string, unknown>; score: number } | undefined;
  let seen = 0;
  const visit = (value: unknown, depth: number): void => {
    if (seen >= MAX_NODES || depth > MAX_DEPTH) return;
    seen += 1;
    if (Array.isArray(value)) {
      for (const entry of value.slice(0, 500)) visit(entry, depth + 1);
      return;
    }
    if (!isRecord(value)) return;
    const name = value['name'] ?? value['title'];
    const description = value['description'] ?? value['summary'] ?? value['tagline'];
    if (typeof name === 'string' && name.length <= 200 && typeof description === 'string' && description.length >= 20) {
      const facts = Object.values(value).filter((entry) => payloadText(entry) !== '').length;
      const score = facts + (wanted !== '' && name.trim().toLowerCase() === wanted ? 100 : 0) - depth / 10;
      if (best === undefined || score > best.score) best = { node: value, score };
    }
    for (const entry of Object.values(value)) visit(entry, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return best?.node;
}

const DEVALUE_WRAPPERS = new Set(['Reactive', 'ShallowReactive', 'Ref', 'ShallowRef']);

/**
 * Nuxt 3 ships its state in devalue's flat form: an array whose first entry is the root and whose
 * objects and arrays hold indices into it. Rebuilds plain JSON (wrappers unwrapped, dates as
 * strings, sets as arrays, maps as objects), bounded and cycle-safe.
 */
export function unflatten(flat: readonly unknown[]): unknown {
  let budget = MAX_NODES;
  const hydrate = (index: unknown, depth: number): unknown => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= flat.length || depth > MAX_DEPTH || budget <= 0) return undefined;
    budget -= 1;
    const value = flat[index];
    if (Array.isArray(value)) {
      const [head, ...rest] = value as unknown[];
      if (typeof head === 'string') {
        if (DEVALUE_WRAPPERS.has(head)) return hydrate(rest[0], depth + 1);
        if (head === 'Date') return typeof rest[0] === 'string' ? rest[0] : undefined;
        if (head === 'Set') return rest.map((entry) => hydrate(entry, depth + 1));
        if (head === 'Map') {
          const map: Record<string, unknown> = {};
          for (let at = 0; at + 1 < rest.length; at += 2) map[String(hydrate(rest[at], depth + 1))] = hydrate(rest[at + 1], depth + 1);
          return map;
        }
        return undefined;
      }
      return value.map((entry) => hydrate(entry, depth + 1));
    }
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, hydrate(entry, depth + 1)]));
    return value;
  };
  return hydrate(0, 0);
}
