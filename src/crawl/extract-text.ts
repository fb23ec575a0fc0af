/**
 * Block-aware text serialisation of a parsed HTML tree (pure, no I/O).
 *
 * Paragraph-like blocks are separated by a blank line; list items, table rows and definition pairs
 * by a single newline, so lists stay readable and evidence quotes can be matched line by line.
 * Two-cell table rows and dt/dd pairs render as `key: value`, the same shape as `fields.metadata`.
 */
import type { AnyNode, Element } from 'domhandler';

/** Elements whose content is never visible text. */
export const SKIP_TAGS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'canvas',
  'head',
  'title',
  'meta',
  'link',
  'select',
  'textarea',
  'input',
  'button',
]);

const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'center',
  'details',
  'dialog',
  'div',
  'dl',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'html',
  'legend',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'ul',
]);

// Elements that are not paragraph blocks but still separate words.
const CELL_TAGS: ReadonlySet<string> = new Set(['li', 'dt', 'dd', 'tr', 'td', 'th', 'caption']);

/**
 * Deeper nesting than this is left out: real pages stay far below it, hostile ones would overflow
 * the stack. Parsing already caps nesting (bounded-parse.ts); this guards trees built elsewhere.
 */
export const MAX_DEPTH = 400;

interface Block {
  text: string;
  /** Tight blocks (list items, rows, pairs) join their tight neighbours with one newline. */
  tight: boolean;
}

/**
 * The control characters no listing string keeps and no terminal sees: C0 but tab and newline,
 * DEL, and C1. Global: reset `lastIndex` or use it with `replace`.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * `value` without control characters: no escape sequence from a listing (an OSC 52 clipboard
 * write, a CSI screen clear, a C1 byte) survives extraction. Tab and newline are kept; CR LF and
 * a lone CR become a newline.
 */
export function stripControls(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(CONTROL_CHARACTERS, '');
}

/** Collapses every run of whitespace (including non-breaking spaces) to one space and trims. */
export function collapse(value: string): string {
  return value.replace(/[\s\u00a0\u200b\ufeff]+/g, ' ').trim();
}

/**
 * Inline text of a node: visible text with whitespace collapsed, skipping invisible elements.
 * With `maxChars`, collection stops once that much raw text is read, so reading a short field
 * (a label, a table cell) out of a huge nested subtree costs no more than the field.
 */
export function inlineText(node: AnyNode, skip?: (el: Element) => boolean, maxChars = Number.POSITIVE_INFINITY): string {
  const collector: Collector = { out: [], length: 0, maxChars, skip };
  collectInline(node, collector, 0);
  return collapse(collector.out.join(''));
}

interface Collector {
  out: string[];
  /** Raw characters collected so far. */
  length: number;
  maxChars: number;
  skip: ((el: Element) => boolean) | undefined;
}

function push(collector: Collector, text: string): void {
  const room = collector.maxChars - collector.length;
  const kept = text.length > room ? text.slice(0, room) : text;
  collector.out.push(kept);
  collector.length += kept.length;
}

function collectInline(node: AnyNode, collector: Collector, depth: number): void {
  if (depth > MAX_DEPTH || collector.length >= collector.maxChars) return;
  if (node.type === 'text') {
    push(collector, (node as unknown as { data: string }).data);
    return;
  }
  if (node.type !== 'tag' && node.type !== 'root') return;
  const el = node as Element;
  if (node.type === 'tag') {
    if (SKIP_TAGS.has(el.name)) return;
    if (collector.skip?.(el) === true) return;
    if (el.name === 'br') {
      push(collector, ' ');
      return;
    }
  }
  const children = (node as unknown as { children?: AnyNode[] }).children;
  if (children === undefined) return;
  for (const child of children) {
    if (collector.length >= collector.maxChars) return;
    collectInline(child, collector, depth + 1);
    // Block children inside inline context still need a word break between them.
    if (child.type === 'tag' && (BLOCK_TAGS.has((child as Element).name) || CELL_TAGS.has((child as Element).name))) {
      push(collector, ' ');
    }
  }
}

/** Options for {@link serializeBlocks}. */
export interface SerializeOptions {
  /** Elements to leave out entirely (page chrome, for instance). */
  skip?: ((el: Element) => boolean) | undefined;
}

/** Serialises the visible text of `root` into paragraphs and lines. */
export function serializeBlocks(root: AnyNode, options: SerializeOptions = {}): string {
  const blocks: Block[] = [];
  const state: Walker = { blocks, inline: [], skip: options.skip };
  walk(root, state, 0);
  flush(state, false);
  let out = '';
  let previousTight = false;
  for (const block of blocks) {
    // An empty block marks the end of a list, table or dl: the next block starts a new paragraph.
    if (block.text === '') {
      previousTight = false;
      continue;
    }
    if (out !== '') out += block.tight && previousTight ? '\n' : '\n\n';
    out += block.text;
    previousTight = block.tight;
  }
  return out;
}

interface Walker {
  blocks: Block[];
  inline: string[];
  skip: ((el: Element) => boolean) | undefined;
}

function flush(state: Walker, tight: boolean, prefix = ''): void {
  const text = collapse(state.inline.join(''));
  state.inline = [];
  if (text !== '') state.blocks.push({ text: prefix + text, tight });
}

function childrenOf(node: AnyNode): AnyNode[] {
  return (node as unknown as { children?: AnyNode[] }).children ?? [];
}

function walk(node: AnyNode, state: Walker, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (node.type === 'text') {
    state.inline.push((node as unknown as { data: string }).data);
    return;
  }
  if (node.type === 'root') {
    for (const child of childrenOf(node)) walk(child, state, depth + 1);
    return;
  }
  if (node.type !== 'tag') return;
  const el = node as Element;
  const name = el.name;
  if (SKIP_TAGS.has(name) || state.skip?.(el) === true) return;
  if (name === 'br') {
    state.inline.push(' ');
    return;
  }
  if (name === 'li') {
    flush(state, false);
    walkListItem(el, state, depth);
    return;
  }
  if (name === 'tr') {
    flush(state, false);
    const cells = childrenOf(el).filter(
      (child): child is Element => child.type === 'tag' && ((child as Element).name === 'td' || (child as Element).name === 'th'),
    );
    const texts = cells.map((cell) => inlineText(cell, state.skip)).filter((text) => text !== '');
    if (texts.length === 2) state.blocks.push({ text: `${stripColon(texts[0] ?? '')}: ${texts[1] ?? ''}`, tight: true });
    else if (texts.length > 0) state.blocks.push({ text: texts.join(' | '), tight: true });
    return;
  }
  if (name === 'dl') {
    flush(state, false);
    walkDefinitionList(el, state);
    state.blocks.push({ text: '', tight: false });
    return;
  }
  if (name === 'pre') {
    flush(state, false);
    const text = rawText(el, depth)
      .split('\n')
      .map((line) => collapse(line))
      .filter((line) => line !== '')
      .join('\n');
    if (text !== '') state.blocks.push({ text, tight: false });
    return;
  }
  const block = BLOCK_TAGS.has(name) || name === 'td' || name === 'th' || name === 'caption';
  if (block) flush(state, false);
  for (const child of childrenOf(el)) walk(child, state, depth + 1);
  if (block) flush(state, false);
  if (name === 'ul' || name === 'ol' || name === 'table') state.blocks.push({ text: '', tight: false });
  else if (name === 'td' || name === 'th') state.inline.push(' ');
}

function walkListItem(li: Element, state: Walker, depth: number): void {
  if (depth > MAX_DEPTH) return;
  // The item's own text, then any nested lists as their own items.
  const own: Collector = { out: [], length: 0, maxChars: Number.POSITIVE_INFINITY, skip: state.skip };
  const nested: Element[] = [];
  for (const child of childrenOf(li)) {
    if (child.type === 'tag' && ((child as Element).name === 'ul' || (child as Element).name === 'ol')) {
      nested.push(child as Element);
    } else {
      collectInline(child, own, depth + 1);
      if (child.type === 'tag' && BLOCK_TAGS.has((child as Element).name)) push(own, ' ');
    }
  }
  const text = collapse(own.out.join(''));
  if (text !== '') state.blocks.push({ text: `- ${text}`, tight: true });
  for (const list of nested) {
    for (const item of childrenOf(list)) {
      if (item.type === 'tag' && (item as Element).name === 'li') walkListItem(item as Element, state, depth + 2);
    }
  }
}

function walkDefinitionList(dl: Element, state: Walker): void {
  let term: string | undefined;
  const items = flattenDefinitionItems(dl);
  for (const item of items) {
    const text = inlineText(item, state.skip);
    if (item.name === 'dt') {
      if (term !== undefined) state.blocks.push({ text: term, tight: true });
      term = text === '' ? undefined : stripColon(text);
    } else if (text !== '') {
      state.blocks.push({ text: term === undefined ? text : `${term}: ${text}`, tight: true });
      term = undefined;
    }
  }
  if (term !== undefined) state.blocks.push({ text: term, tight: true });
}

/** dt/dd children of a dl, looking through the div wrappers HTML allows between them. */
export function flattenDefinitionItems(dl: Element): Element[] {
  const out: Element[] = [];
  for (const child of childrenOf(dl)) {
    if (child.type !== 'tag') continue;
    const el = child as Element;
    if (el.name === 'dt' || el.name === 'dd') out.push(el);
    else if (el.name === 'div') {
      for (const inner of childrenOf(el)) {
        if (inner.type === 'tag' && ((inner as Element).name === 'dt' || (inner as Element).name === 'dd')) {
          out.push(inner as Element);
        }
      }
    }
  }
  return out;
}

function rawText(node: AnyNode, depth: number): string {
  if (depth > MAX_DEPTH) return '';
  if (node.type === 'text') return (node as unknown as { data: string }).data;
  if (node.type !== 'tag' && node.type !== 'root') return '';
  if (node.type === 'tag' && (node as Element).name === 'br') return '\n';
  return childrenOf(node)
    .map((child) => rawText(child, depth + 1))
    .join('');
}

/** Removes a trailing colon from a label ("Category:" -> "Category"). */
export function stripColon(value: string): string {
  return value.replace(/\s*[:：]\s*$/, '').trim();
}
