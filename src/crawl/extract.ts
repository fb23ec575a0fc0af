/**
 * Extraction: one listing page's HTML in, one clean, hashed `Listing` out. Pure: no I/O, no clock.
 *
 * The source's CSS selectors win where they match; otherwise generic rules find the title, summary,
 * capability bullets, key-value metadata, code repositories and readable main text. The text always
 * contains the title, summary, every capability and every metadata pair, so an assessor's evidence
 * quotes can be checked against it. Malformed or truncated HTML never throws. Parsing is bounded
 * (bounded-parse.ts), so a hostile page costs time linear in its size whatever its shape; a cap
 * that bit is recorded in `Listing.warnings`.
 */
import { Readability } from '@mozilla/readability';
import { load } from 'cheerio';
import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { parseHTML } from 'linkedom';
import type { Listing, ListingWarning, Repo } from '../../schemas/listing.js';
import type { SourceConfig } from '../../schemas/source.js';
import { describeCap, parseBoundedHtml, type MarkupCap } from './bounded-parse.js';
import { readEmbeddedData } from './embedded.js';
import { collapse, flattenDefinitionItems, inlineText, serializeBlocks, stripColon, stripControls } from './extract-text.js';
import { DEFAULT_MAX_TOKENS, canonicalRepoUrl, capTokens, computeContentHash, listingId, normalizeListingUrl, safeDecode } from './listing-identity.js';

// The pure identity helpers live in listing-identity.ts (no HTML parser); re-exported for callers of this module.
export {
  DEFAULT_MAX_TOKENS,
  TRUNCATION_MARKER,
  canonicalRepoUrl,
  capTokens,
  computeContentHash,
  listingId,
  normalizeListingUrl,
  sourceListingPrefix,
  type ContentHashParts,
} from './listing-identity.js';

/** Options for {@link extractListing}. */
export interface ExtractOptions {
  /** The page's URL (after redirects); relative links resolve against it and the id derives from it. */
  url: string;
  sourceId: string;
  /** ISO timestamp of the fetch; stored, never hashed. */
  fetchedAt: string;
  /** The source's CSS selectors; each one falls back to the generic rule when it matches nothing. */
  fields?: SourceConfig['fields'] | undefined;
  /** Token budget for `text` (o200k_base). @default 6000 */
  maxTokens?: number;
  /** Enrichment result for the listing's code repository; its README is hashed, not put into `text`. */
  repo?: Repo | undefined;
  /**
   * The URL the id derives from, when it is not `url` (the demo directory's listings keep their
   * ids whatever port it is served on). @default url
   */
  idUrl?: string | undefined;
  /**
   * Called between extraction steps with the step's name; throwing from it stops extraction (the
   * crawl's per-listing time budget does). Extraction itself stays pure: it reads no clock.
   */
  checkpoint?: ((step: string) => void) | undefined;
}



const CAPABILITY_HEADING =
  /\b(capabilit(y|ies)|features?|tools?|skills?|functions?|functionality|abilities|highlights|integrations?|what (it|this agent|the agent) (can )?do(es)?|what it offers)\b/i;
const CATEGORY_KEYS = /^(category|categories|type|kind|agent type|listing type|tags?)$/i;
// Page chrome left out of the readable text when no main-content element is found.
const CHROME_TAGS = new Set(['nav', 'footer', 'header', 'aside']);
const MAIN_CANDIDATES = 'main, article, [role="main"], #content, #main-content, .main-content, .entry-content, .post-content';
const MAX_TITLE_CHARS = 300;
const MAX_SUMMARY_CHARS = 1000;
const MAX_FIELD_CHARS = 500;
const MAX_CAPABILITIES = 100;
const MAX_METADATA = 60;
// Raw characters read for one field (a label, a cell, an item): fields are clipped far below this,
// and reading stops there however large the element's subtree is.
const FIELD_SCAN_CHARS = 4000;
// Raw characters read for a label that only counts when short (a heading, a bold "Label:").
const LABEL_SCAN_CHARS = 500;
// Elements after a capability heading that are searched for its lists.
const MAX_HEADING_SIBLINGS = 100;
// Readability only helps on long pages full of boilerplate; small pages are their own main content.
const READABILITY_MIN_CHARS = 2500;
// Readability's cost grows with elements times nesting; pages past these sizes are not listings
// with some boilerplate around them, and their body text (cut at the token budget) serves.
const READABILITY_MAX_CHARS = 200_000;
const READABILITY_MAX_ELEMENTS = 10_000;

/** Extracts a `Listing` from a page's HTML; never throws on malformed or truncated markup. */
export function extractListing(html: string, options: ExtractOptions): Listing {
  const maxTokens = Math.max(64, Math.floor(options.maxTokens ?? DEFAULT_MAX_TOKENS));
  const checkpoint = options.checkpoint ?? (() => undefined);
  const { $, capped } = safeLoad(html);
  const fields = options.fields ?? {};

  // Each rule is isolated: a pathological page loses that one field, never the whole listing.
  // Every string leaves without control characters (stripControls), so none reaches a terminal.
  checkpoint('parse');
  const pageTitle = clean(guard(() => pickTitle($, fields.title, options.url), ''));
  // Data the page embeds (JSON-LD, OpenGraph, framework payloads) adds fields; the page's own win.
  const embedded = guard(() => readEmbeddedData($, pageTitle), null);
  const title = clip(embedded !== null && embedded.title !== '' && pageTitle === titleFromUrl(options.url) ? clean(embedded.title) : pageTitle, MAX_TITLE_CHARS);
  const pageSummary = clean(guard(() => pickSummary($, fields.description), ''));
  const summary = clip(pageSummary === '' ? clean(embedded?.summary ?? '') : pageSummary, MAX_SUMMARY_CHARS);
  checkpoint('title and summary');
  const capabilities = withEmbedded(guard(() => pickCapabilities($, fields.capabilities), []), embedded?.capabilities).map(clean).filter((item) => item !== '');
  const metadata = cleanRecord(mergeMetadata(guard(() => pickMetadata($), {}), embedded?.metadata));
  const repositories = withEmbedded(guard(() => pickRepositories($, fields.repository, options.url), []), embedded?.repositories).map(stripControls);
  const category = pickCategory(metadata);
  checkpoint('fields');

  const main = stripControls(guard(() => mainText($), ''));
  checkpoint('main text');
  const assembled = assembleText({ title, summary, main, capabilities, metadata });
  const { text, truncated } = capTokens(assembled, maxTokens);

  const listingFields: Listing['fields'] = { capabilities, metadata, repositories, category };
  const contentHash = computeContentHash({ title, summary, text, fields: listingFields, repo: options.repo });
  const normalizedUrl = normalizeListingUrl(options.idUrl ?? options.url);
  const listing: Listing = {
    id: listingId(options.sourceId, normalizedUrl),
    sourceId: options.sourceId,
    url: options.url,
    fetchedAt: options.fetchedAt,
    contentHash,
    title,
    summary,
    text,
    truncated,
    fields: listingFields,
  };
  if (options.repo !== undefined) listing.repo = options.repo;
  if (capped.length > 0) listing.warnings = capped.map(capWarning);
  return listing;
}

/** A field without control characters, whitespace collapsed again where a control stood between words. */
function clean(value: string): string {
  return collapse(stripControls(value));
}

function cleanRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const cleanKey = clean(key);
    if (cleanKey !== '' && !Object.hasOwn(out, cleanKey)) out[cleanKey] = clean(value);
  }
  return out;
}

function capWarning(cap: MarkupCap): ListingWarning {
  return { code: 'markup-capped', message: describeCap(cap) };
}

/**
 * The readable main text of a page as the extractor finds it (main/article, the body without
 * chrome, or Readability), before anything is added for grounding or cut by the token budget.
 * `Listing.text` is this plus whatever of title, summary, capabilities and metadata it lacks.
 */
export function readableText(html: string): string {
  return guard(() => mainText(safeLoad(html).$), '');
}







// ---------------------------------------------------------------------------------------------
// Fields

function safeLoad(html: string): { $: CheerioAPI; capped: MarkupCap[] } {
  try {
    const { document, capped } = parseBoundedHtml(html);
    return { $: load(document), capped };
  } catch {
    // parse5 recovers from nearly anything; this guards against pathological input (e.g. lone surrogates).
    return { $: load(''), capped: [] };
  }
}

function firstText($: CheerioAPI, selector: string | undefined): string {
  if (selector === undefined) return '';
  try {
    for (const el of $(selector).toArray()) {
      const text = el.type === 'tag' && el.name === 'meta' ? collapse($(el).attr('content') ?? '') : inlineText(el, undefined, FIELD_SCAN_CHARS);
      if (text !== '') return text;
    }
  } catch {
    // An invalid selector in a source config falls back to the generic rule.
  }
  return '';
}

function metaContent($: CheerioAPI, ...keys: string[]): string {
  for (const key of keys) {
    const value = $(`meta[property="${key}"], meta[name="${key}"]`).first().attr('content');
    if (value !== undefined && collapse(value) !== '') return collapse(value);
  }
  return '';
}

function pickTitle($: CheerioAPI, selector: string | undefined, url: string): string {
  const fromSelector = firstText($, selector);
  if (fromSelector !== '') return fromSelector;
  const h1 = firstText($, 'h1');
  if (h1 !== '') return h1;
  const og = metaContent($, 'og:title', 'twitter:title');
  if (og !== '') return og;
  const named = firstText($, '[itemprop="name"], h2.title, h2.name, .listing-title, .agent-name, .title');
  if (named !== '') return named;
  const documentTitle = collapse($('title').first().text());
  if (documentTitle !== '') {
    // "Agent — Directory" -> "Agent": drop the last site-name segment only.
    const parts = documentTitle.split(/\s+[—–|·]\s+|\s+-\s+/);
    return parts.length > 1 ? parts.slice(0, -1).join(' - ') : documentTitle;
  }
  return titleFromUrl(url);
}

function titleFromUrl(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter((part) => part !== '').at(-1);
    if (last === undefined) return '';
    return collapse(safeDecode(last).replace(/\.(html?|php)$/i, '').replace(/[-_]+/g, ' '));
  } catch {
    return '';
  }
}

function pickSummary($: CheerioAPI, selector: string | undefined): string {
  const fromSelector = firstText($, selector);
  if (fromSelector !== '') return fromSelector;
  const meta = metaContent($, 'description', 'og:description', 'twitter:description');
  if (meta !== '') return meta;
  let fallback = '';
  for (const p of $('body p').toArray()) {
    if (isInChrome(p)) continue;
    const text = inlineText(p);
    if (text.length >= 60) return text;
    if (fallback === '' && text.length >= 20) fallback = text;
  }
  return fallback;
}

function pickCapabilities($: CheerioAPI, selector: string | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (text: string): void => {
    const clean = clip(text.replace(/^[-*•·]\s+/, ''), MAX_FIELD_CHARS);
    const key = clean.toLowerCase();
    if (clean === '' || seen.has(key) || out.length >= MAX_CAPABILITIES) return;
    seen.add(key);
    out.push(clean);
  };
  if (selector !== undefined) {
    try {
      for (const el of $(selector).toArray()) {
        if (el.type !== 'tag') continue;
        if (el.name === 'ul' || el.name === 'ol') listItems(el).forEach((li) => add(itemText(li)));
        else if ($(el).find('li').length > 0) $(el).find('li').toArray().forEach((li) => add(itemText(li)));
        else add(inlineText(el, undefined, FIELD_SCAN_CHARS));
      }
    } catch {
      // Invalid selector: generic rule below.
    }
    if (out.length > 0) return out;
  }
  for (const heading of $('h1, h2, h3, h4, h5, h6, dt, strong, b').toArray()) {
    const label = inlineText(heading, undefined, LABEL_SCAN_CHARS);
    if (label.length > 60 || !CAPABILITY_HEADING.test(label)) continue;
    for (const list of listsAfterHeading(heading)) listItems(list).forEach((li) => add(itemText(li)));
  }
  return out;
}

/** Lists that follow a heading, up to the next heading; looks one level up when the heading is wrapped. */
function listsAfterHeading(heading: Element): Element[] {
  let anchor: Element | null = heading;
  for (let depth = 0; depth < 2 && anchor !== null; depth++) {
    const lists: Element[] = [];
    let sibling = anchor.nextSibling;
    // Bounded, so a page of thousands of sibling "Tools" labels is not quadratic.
    let seen = 0;
    while (sibling !== null && seen < MAX_HEADING_SIBLINGS) {
      if (sibling.type === 'tag') {
        seen += 1;
        const el = sibling as Element;
        if (/^h[1-6]$/.test(el.name) || (el.name === 'dt' && heading.name === 'dt')) break;
        if (el.name === 'ul' || el.name === 'ol') lists.push(el);
        else if (el.name === 'dd' || el.name === 'div' || el.name === 'section' || el.name === 'p') {
          const inner = descendantLists(el);
          if (inner.length > 0) lists.push(...inner);
          if (containsHeading(el)) break;
        }
      }
      sibling = sibling.nextSibling;
    }
    if (lists.length > 0) return lists;
    // A heading inside a wrapper (`<header><h2>Tools</h2></header><ul>`): look after the wrapper.
    const parent: Element | null = anchor.parent?.type === 'tag' ? (anchor.parent as Element) : null;
    if (parent === null || countTagChildren(parent) > 2) return [];
    anchor = parent;
  }
  return [];
}

function countTagChildren(el: Element): number {
  return el.children.filter((child) => child.type === 'tag').length;
}

function descendantLists(el: Element, depth = 0): Element[] {
  const out: Element[] = [];
  if (depth > 50) return out;
  for (const child of el.children) {
    if (child.type !== 'tag') continue;
    const c = child as Element;
    if (c.name === 'ul' || c.name === 'ol') out.push(c);
    else if (!/^h[1-6]$/.test(c.name)) out.push(...descendantLists(c, depth + 1));
  }
  return out;
}

function containsHeading(el: Element, depth = 0): boolean {
  if (depth > 50) return false;
  return el.children.some(
    (child) =>
      child.type === 'tag' && (/^h[1-6]$/.test((child as Element).name) || containsHeading(child as Element, depth + 1)),
  );
}

function listItems(list: Element): Element[] {
  return list.children.filter((child): child is Element => child.type === 'tag' && (child as Element).name === 'li');
}

/** A list item's own text, without nested lists (those are separate items). */
function itemText(li: Element): string {
  return inlineText(li, (el) => el !== li && (el.name === 'ul' || el.name === 'ol'), FIELD_SCAN_CHARS);
}

function pickMetadata($: CheerioAPI): Record<string, string> {
  const metadata: Record<string, string> = {};
  let count = 0;
  const add = (rawKey: string, rawValue: string): void => {
    const key = clip(stripColon(collapse(rawKey)), 80);
    const value = clip(collapse(rawValue), MAX_FIELD_CHARS);
    if (key === '' || value === '' || count >= MAX_METADATA || Object.hasOwn(metadata, key)) return;
    metadata[key] = value;
    count++;
  };
  for (const row of $('tr').toArray()) {
    const cells = row.children.filter(
      (child): child is Element => child.type === 'tag' && ((child as Element).name === 'td' || (child as Element).name === 'th'),
    );
    if (cells.length !== 2) continue;
    const [keyCell, valueCell] = cells as [Element, Element];
    // A row of two th cells is a column header, not a pair.
    if (keyCell.name === 'th' && valueCell.name === 'th') continue;
    add(inlineText(keyCell, undefined, FIELD_SCAN_CHARS), inlineText(valueCell, undefined, FIELD_SCAN_CHARS));
  }
  for (const dl of $('dl').toArray()) {
    let term: string | undefined;
    for (const item of flattenDefinitionItems(dl)) {
      if (item.name === 'dt') term = inlineText(item, undefined, FIELD_SCAN_CHARS);
      else if (term !== undefined) {
        add(term, inlineText(item, undefined, FIELD_SCAN_CHARS));
        term = undefined;
      }
    }
  }
  // "<li><strong>License:</strong> MIT</li>": a label in bold ending with a colon.
  for (const label of $('li > strong:first-child, li > b:first-child, p > strong:first-child, p > b:first-child').toArray()) {
    const labelText = inlineText(label, undefined, LABEL_SCAN_CHARS);
    if (!/[:：]$/.test(labelText) || labelText.length > 60) continue;
    const parent = label.parent as Element;
    const whole = inlineText(parent, undefined, FIELD_SCAN_CHARS);
    if (!whole.startsWith(labelText)) continue;
    add(labelText, whole.slice(labelText.length));
  }
  return metadata;
}

/** The page's values, then the embedded ones it lacks (case-insensitive), within the usual caps. */
function withEmbedded(page: string[], embedded: readonly string[] | undefined): string[] {
  if (embedded === undefined || embedded.length === 0) return page;
  const seen = new Set(page.map((value) => value.toLowerCase()));
  const out = [...page];
  for (const value of embedded) {
    if (out.length >= MAX_CAPABILITIES) break;
    if (!seen.has(value.toLowerCase())) {
      seen.add(value.toLowerCase());
      out.push(value);
    }
  }
  return out;
}

/** The page's metadata pairs, then the embedded pairs whose keys it lacks, within the cap. */
function mergeMetadata(page: Record<string, string>, embedded: Record<string, string> | undefined): Record<string, string> {
  if (embedded === undefined) return page;
  const merged = { ...page };
  let count = Object.keys(merged).length;
  for (const [key, value] of Object.entries(embedded)) {
    if (count >= MAX_METADATA || Object.hasOwn(merged, key)) continue;
    merged[key] = clip(value, MAX_FIELD_CHARS);
    count += 1;
  }
  return merged;
}

function pickCategory(metadata: Record<string, string>): string | null {
  for (const [key, value] of Object.entries(metadata)) {
    if (CATEGORY_KEYS.test(key)) return value;
  }
  return null;
}

function pickRepositories($: CheerioAPI, selector: string | undefined, baseUrl: string): string[] {
  const out = new Set<string>();
  if (selector !== undefined) {
    try {
      for (const el of $(selector).toArray()) {
        if (el.type !== 'tag') continue;
        const hrefs = el.name === 'a' ? [$(el).attr('href')] : $(el).find('a[href]').toArray().map((a) => $(a).attr('href'));
        if (hrefs.length === 0) hrefs.push(inlineText(el, undefined, FIELD_SCAN_CHARS));
        for (const href of hrefs) {
          const absolute = href === undefined ? undefined : resolveHttp(href, baseUrl);
          if (absolute !== undefined) out.add(canonicalRepoUrl(absolute) ?? absolute);
        }
      }
    } catch {
      // Invalid selector: generic rule below.
    }
    if (out.size > 0) return [...out];
  }
  for (const a of $('a[href]').toArray()) {
    const absolute = resolveHttp($(a).attr('href') ?? '', baseUrl);
    const repo = absolute === undefined ? undefined : canonicalRepoUrl(absolute);
    if (repo !== undefined) out.add(repo);
  }
  // Bare repository URLs written as text are common in plain listings.
  const body = $('body').get(0);
  const bodyText = body === undefined ? '' : inlineText(body);
  for (const match of bodyText.matchAll(/https?:\/\/(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co)\/[^\s"'<>)\]]+/gi)) {
    const repo = canonicalRepoUrl(match[0].replace(/[.,;:]+$/, ''));
    if (repo !== undefined) out.add(repo);
  }
  return [...out].slice(0, 20);
}

function resolveHttp(href: string, baseUrl: string): string | undefined {
  try {
    const url = new URL(href.trim(), baseUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}


// ---------------------------------------------------------------------------------------------
// Readable text

function isChrome(el: Element): boolean {
  return CHROME_TAGS.has(el.name) || el.attribs['role'] === 'navigation' || el.attribs['aria-hidden'] === 'true';
}

/** Inside page chrome that is not itself inside the main content. */
function isInChrome(el: Element): boolean {
  let node: Element | null = el;
  while (node !== null) {
    if (node.name === 'main' || node.name === 'article') return false;
    if (isChrome(node)) return true;
    node = node.parent?.type === 'tag' ? (node.parent as Element) : null;
  }
  return false;
}

function mainText($: CheerioAPI): string {
  const body = $('body').get(0) ?? $.root().get(0);
  if (body === undefined) return '';
  const bodyText = serializeBlocks(body, { skip: isChrome });

  // The largest main/article element is the main content when it holds most of the page's text.
  let best = '';
  try {
    for (const el of outermost($(MAIN_CANDIDATES).toArray())) {
      const text = serializeBlocks(el, { skip: (node) => node !== el && (node.name === 'nav' || node.name === 'aside') });
      if (text.length > best.length) best = text;
    }
  } catch {
    best = '';
  }
  if (best.length >= 80 && best.length >= bodyText.length * 0.6) return best;
  if (bodyText.length < READABILITY_MIN_CHARS) return bodyText.length >= best.length ? bodyText : best;
  if (bodyText.length > READABILITY_MAX_CHARS || $('*').length > READABILITY_MAX_ELEMENTS) return bodyText;

  const readable = readabilityText($);
  if (readable.length >= 200 && readable.length >= bodyText.length * 0.25) return readable;
  return bodyText;
}

/**
 * The candidates not inside another candidate. An inner one's text is part of its outer one's (both
 * leave out nav and aside), so it can never be the largest; skipping it keeps nested candidates
 * from costing their nesting depth times their text. An inner nav or aside is kept: the outer
 * candidate's text leaves it out.
 */
function outermost(candidates: Element[]): Element[] {
  const set = new Set<AnyNode>(candidates);
  return candidates.filter((el) => {
    if (el.name === 'nav' || el.name === 'aside') return true;
    for (let node = el.parent; node !== null; node = node.parent) if (set.has(node)) return false;
    return true;
  });
}

/**
 * Readability on linkedom, fed the bounded document re-serialized: linkedom's own parser
 * (htmlparser2) would otherwise see the raw page with its full nesting.
 */
function readabilityText($: CheerioAPI): string {
  try {
    const { document } = parseHTML($.html());
    const article = new Readability(document as unknown as Document, { charThreshold: 200 }).parse();
    const content = article?.content;
    if (typeof content !== 'string' || content === '') return '';
    const $article = load(parseBoundedHtml(content).document);
    const root: AnyNode | undefined = $article('body').get(0) ?? $article.root().get(0);
    return root === undefined ? '' : serializeBlocks(root);
  } catch {
    return '';
  }
}

interface TextParts {
  title: string;
  summary: string;
  main: string;
  capabilities: string[];
  metadata: Record<string, string>;
}

/** The readable text plus whatever of title, summary, capabilities and metadata it lacks. */
function assembleText(parts: TextParts): string {
  const head: string[] = [];
  let haystack = normalizeForMatch(parts.main);
  const has = (value: string): boolean => haystack.includes(normalizeForMatch(value));
  if (parts.title !== '' && !has(parts.title)) head.push(parts.title);
  if (parts.summary !== '' && !has(parts.summary)) head.push(parts.summary);
  const body = [...head, parts.main].filter((part) => part !== '').join('\n\n');
  haystack = normalizeForMatch(body);

  const missingCapabilities = parts.capabilities.filter((capability) => !has(capability));
  const missingMetadata = Object.entries(parts.metadata)
    .map(([key, value]) => `${key}: ${value}`)
    .filter((pair) => !has(pair));
  const tail: string[] = [];
  if (missingCapabilities.length > 0) tail.push(['Capabilities:', ...missingCapabilities.map((c) => `- ${c}`)].join('\n'));
  if (missingMetadata.length > 0) tail.push(missingMetadata.join('\n'));
  return [body, ...tail].filter((part) => part !== '').join('\n\n');
}

/** The comparison form used for containment checks: lowercase, whitespace collapsed. */
export function normalizeForMatch(value: string): string {
  return collapse(value).toLowerCase();
}




// ---------------------------------------------------------------------------------------------
// Helpers

function guard<T>(rule: () => T, fallback: T): T {
  try {
    return rule();
  } catch {
    return fallback;
  }
}

function clip(value: string, maxChars: number): string {
  if (value.length <= maxChars) return value;
  const cut = value.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > maxChars * 0.7 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}


