/**
 * Sitemap XML, read in one streaming pass (pure, no I/O): no document tree is built, so the cost
 * is linear in the input whatever its nesting. Element names are matched on their local part
 * (`<sm:urlset>` parses as well), entities and CDATA in `<loc>` are decoded.
 */
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/** The `<loc>` texts of a sitemap by the element two levels above them, and its top-level element names. */
export interface SitemapScan {
  /** Local names of the top-level elements. */
  roots: string[];
  /** `<loc>` texts whose grandparent is a `<urlset>`, in document order. */
  urlsetLocs: string[];
  /** `<loc>` texts whose grandparent is a `<sitemapindex>`, in document order. */
  sitemapindexLocs: string[];
}

/** Nesting beyond this is not tracked (no sitemap comes near it); its text is still read. */
const MAX_DEPTH = 64;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
}

/** Scans sitemap XML for `<loc>` texts under `<urlset>` and `<sitemapindex>`. Never throws on malformed XML. */
export function scanSitemap(xml: string): SitemapScan {
  const scan: SitemapScan = { roots: [], urlsetLocs: [], sitemapindexLocs: [] };
  const stack: string[] = [];
  // Elements opened beyond MAX_DEPTH, so their end tags pop nothing that is tracked.
  let untracked = 0;
  let pendingName = '';
  // The `<loc>` being read: its depth in `stack` and the text so far.
  let loc: { depth: number; grandparent: string | undefined; text: string } | null = null;

  const open = (name: string): void => {
    if (stack.length >= MAX_DEPTH) {
      untracked += 1;
      return;
    }
    if (stack.length === 0) scan.roots.push(name);
    stack.push(name);
    if (name === 'loc' && loc === null) loc = { depth: stack.length, grandparent: stack[stack.length - 3], text: '' };
  };
  const close = (name: string): void => {
    if (untracked > 0) {
      untracked -= 1;
      return;
    }
    const at = stack.lastIndexOf(name);
    if (at === -1) return;
    stack.length = at;
    if (loc !== null && stack.length < loc.depth) {
      const text = loc.text.trim();
      if (loc.grandparent === 'urlset') scan.urlsetLocs.push(text);
      else if (loc.grandparent === 'sitemapindex') scan.sitemapindexLocs.push(text);
      loc = null;
    }
  };
  const text = (value: string): void => {
    if (loc !== null) loc.text += value;
  };

  const callbacks: TokenizerCallbacks = {
    onopentagname: (start, end) => {
      pendingName = localName(xml.slice(start, end));
    },
    onopentagend: () => open(pendingName),
    onselfclosingtag: () => {
      open(pendingName);
      close(pendingName);
    },
    onclosetag: (start, end) => close(localName(xml.slice(start, end))),
    ontext: (start, end) => text(xml.slice(start, end)),
    ontextentity: (codepoint) => text(String.fromCodePoint(codepoint)),
    oncdata: (start, end, offset) => text(xml.slice(start, end - offset)),
    onattribdata: () => undefined,
    onattribentity: () => undefined,
    onattribend: () => undefined,
    onattribname: () => undefined,
    oncomment: () => undefined,
    ondeclaration: () => undefined,
    onprocessinginstruction: () => undefined,
    onend: () => undefined,
  };
  const tokenizer = new Tokenizer({ xmlMode: true, decodeEntities: true }, callbacks);
  tokenizer.write(xml);
  tokenizer.end();
  // A `<loc>` still open at the end of a truncated document counts with the text it has.
  if (loc !== null) close('loc');
  return scan;
}
