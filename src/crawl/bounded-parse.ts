/**
 * HTML parsing with bounded shape (pure, no I/O). A spec-compliant HTML parser checks "is this
 * element in scope" by walking its stack of open elements, so a page of 100,000 nested `<div>`s
 * costs time quadratic in the nesting; a tag with 40,000 attributes is quadratic in the tokenizer's
 * duplicate check; unclosed formatting elements are re-opened for every later run of text. This
 * module runs the same parser (parse5, as cheerio does) but drops, before they reach the tree,
 * the start tags that would exceed a cap on nesting depth, element count or open formatting
 * elements, and the attributes past a per-element cap. The work per token is then bounded by the
 * caps, so parsing is linear in the input whatever its shape. Text is never dropped: content of a
 * dropped element stays in its nearest kept ancestor. Each cap that bit is reported, so the
 * listing can carry a warning.
 */
import type { Document } from 'domhandler';
import { Parser, type ParserOptions, type Token } from 'parse5';
import { adapter as htmlparser2Adapter, type Htmlparser2TreeAdapterMap } from 'parse5-htmlparser2-tree-adapter';

/** The caps on a parsed page's shape. */
export interface MarkupLimits {
  /** Open elements at once (the parser's stack, html and body included). @default 256 */
  maxDepth: number;
  /** Elements created in the whole document. @default 30000 */
  maxElements: number;
  /** Attributes kept per element. @default 100 */
  maxAttributes: number;
  /** Entries in the list of active formatting elements (a, b, i, em, strong…). @default 12 */
  maxFormatting: number;
}

/**
 * Far above what real listing pages use (a few dozen levels, a few thousand elements), low enough
 * that the parser's per-token work stays small.
 */
export const DEFAULT_MARKUP_LIMITS: Readonly<MarkupLimits> = Object.freeze({
  maxDepth: 256,
  maxElements: 30_000,
  maxAttributes: 100,
  maxFormatting: 12,
});

/** One cap that bit while parsing, with how much it left out. */
export interface MarkupCap {
  cap: 'depth' | 'elements' | 'attributes' | 'formatting';
  limit: number;
  /** Start tags (or attributes, for `attributes`) left out. */
  dropped: number;
}

/** A parsed document and the caps that bit (empty when the page was parsed whole). */
export interface BoundedDocument {
  document: Document;
  capped: MarkupCap[];
}

// The elements parse5 never pushes onto its stack.
const VOID = new Set([
  'area',
  'base',
  'basefont',
  'bgsound',
  'br',
  'col',
  'embed',
  'frame',
  'hr',
  'image',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
// The HTML "formatting elements": the parser keeps them in a list and re-opens them after implicit closes.
const FORMATTING = new Set(['a', 'b', 'big', 'code', 'em', 'font', 'i', 'nobr', 's', 'small', 'strike', 'strong', 'tt', 'u']);
// Start tags the parser merges into the existing element rather than creating one.
const NEVER_DROPPED = new Set(['html', 'head', 'body']);

type Counts = Record<MarkupCap['cap'], number>;

/** What the parser and its tree adapter count while parsing. */
interface Tally {
  dropped: Counts;
  /** Elements created so far, implied and re-opened ones included. */
  elements: number;
}

/** parse5's tree builder with the caps applied at the token boundary. */
class BoundedParser extends Parser<Htmlparser2TreeAdapterMap> {
  readonly #limits: MarkupLimits;
  readonly #tally: Tally;
  /** End tags to drop, per tag name: those of start tags that were dropped. */
  readonly #pendingEnds = new Map<string, number>();

  constructor(options: ParserOptions<Htmlparser2TreeAdapterMap>, limits: MarkupLimits, tally: Tally) {
    super(options);
    this.#limits = limits;
    this.#tally = tally;
  }

  override onStartTag(token: Token.TagToken): void {
    const name = token.tagName;
    const reason = NEVER_DROPPED.has(name) ? null : this.#dropReason(name);
    if (reason === null) {
      super.onStartTag(token);
      return;
    }
    this.#tally.dropped[reason] += 1;
    // A dropped element's own end tag must not close an outer element of the same name.
    if (!VOID.has(name) && !token.selfClosing) this.#pendingEnds.set(name, (this.#pendingEnds.get(name) ?? 0) + 1);
  }

  override onEndTag(token: Token.TagToken): void {
    const pending = this.#pendingEnds.get(token.tagName) ?? 0;
    if (pending > 0) {
      this.#pendingEnds.set(token.tagName, pending - 1);
      return;
    }
    super.onEndTag(token);
  }

  /** Re-opening formatting elements creates elements too: none once the element cap is reached. */
  override _reconstructActiveFormattingElements(): void {
    if (this.#tally.elements >= this.#limits.maxElements) return;
    super._reconstructActiveFormattingElements();
  }

  #dropReason(name: string): MarkupCap['cap'] | null {
    if (this.#tally.elements >= this.#limits.maxElements) return 'elements';
    if (VOID.has(name)) return null;
    // stackTop is the index of the current node: +1 for the open elements, +1 for this one.
    if (this.openElements.stackTop + 2 > this.#limits.maxDepth) return 'depth';
    if (FORMATTING.has(name) && this.activeFormattingElements.entries.length >= this.#limits.maxFormatting) return 'formatting';
    return null;
  }
}

/** The tokenizer's attribute step, whose duplicate check scans the attributes kept so far. */
interface AttributeStep {
  currentToken: { attrs: unknown[] } | null;
  _leaveAttrName(): void;
}

/**
 * Parses an HTML document as cheerio would (parse5, scripting on, htmlparser2 nodes), within
 * `limits`. Never throws on malformed markup.
 */
export function parseBoundedHtml(html: string, limits: Partial<MarkupLimits> = {}): BoundedDocument {
  const caps: MarkupLimits = { ...DEFAULT_MARKUP_LIMITS, ...limits };
  const tally: Tally = { dropped: { depth: 0, elements: 0, attributes: 0, formatting: 0 }, elements: 0 };
  const treeAdapter: typeof htmlparser2Adapter = {
    ...htmlparser2Adapter,
    createElement(tagName, namespaceURI, attrs) {
      tally.elements += 1;
      return htmlparser2Adapter.createElement(tagName, namespaceURI, attrs);
    },
  };
  const parser = new BoundedParser({ treeAdapter, scriptingEnabled: true }, caps, tally);
  const tokenizer = parser.tokenizer as unknown as AttributeStep;
  const leaveAttrName = tokenizer._leaveAttrName.bind(tokenizer);
  tokenizer._leaveAttrName = () => {
    // Past the cap the attribute is not kept, and the duplicate check (a scan of the kept ones) is skipped.
    if ((tokenizer.currentToken?.attrs.length ?? 0) >= caps.maxAttributes) tally.dropped.attributes += 1;
    else leaveAttrName();
  };
  parser.tokenizer.write(html, true);
  const capped: MarkupCap[] = [];
  for (const cap of ['depth', 'elements', 'attributes', 'formatting'] as const) {
    if (tally.dropped[cap] > 0) capped.push({ cap, limit: limitOf(caps, cap), dropped: tally.dropped[cap] });
  }
  return { document: parser.document, capped };
}

function limitOf(limits: MarkupLimits, cap: MarkupCap['cap']): number {
  switch (cap) {
    case 'depth':
      return limits.maxDepth;
    case 'elements':
      return limits.maxElements;
    case 'attributes':
      return limits.maxAttributes;
    case 'formatting':
      return limits.maxFormatting;
  }
}

/** A sentence for a reviewer: what the cap was and what was left out. */
export function describeCap(cap: MarkupCap): string {
  const dropped = cap.dropped.toLocaleString('en-US');
  switch (cap.cap) {
    case 'depth':
      return `The page nests elements deeper than ${cap.limit} levels: ${dropped} start tags beyond that were left out (their text was kept)`;
    case 'elements':
      return `The page has more than ${cap.limit.toLocaleString('en-US')} elements: ${dropped} start tags after that were left out (their text was kept)`;
    case 'attributes':
      return `An element carries more than ${cap.limit} attributes: ${dropped} attributes past that were left out`;
    case 'formatting':
      return `The page leaves more than ${cap.limit} formatting elements (b, i, a…) open at once: ${dropped} more were left out (their text was kept)`;
  }
}
