import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import type { AnyNode } from 'domhandler';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MARKUP_LIMITS, describeCap, parseBoundedHtml, type MarkupLimits } from '../../src/crawl/bounded-parse.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Elements on the deepest path (a template's content fragment is not an element) and the number
 * of elements, walked without recursion.
 */
function shape(document: AnyNode): { depth: number; elements: number } {
  let depth = 0;
  let elements = 0;
  const stack: Array<[AnyNode, number]> = [[document, 0]];
  while (stack.length > 0) {
    const [node, above] = stack.pop() as [AnyNode, number];
    const isElement = node.type === 'tag' || node.type === 'script' || node.type === 'style';
    const level = isElement ? above + 1 : above;
    if (isElement) elements += 1;
    depth = Math.max(depth, level);
    for (const child of (node as { children?: AnyNode[] }).children ?? []) stack.push([child, level]);
  }
  return { depth, elements };
}

function textOf(document: AnyNode): string {
  return load(document)('body').text();
}

/**
 * What the parser can add beyond the caps: the document root's html and body levels, implied
 * table parts (tbody, tr) and formatting elements it re-opens after an implicit close.
 */
const slack = (limits: MarkupLimits): { depth: number; elements: number } => ({ depth: limits.maxFormatting + 4, elements: limits.maxFormatting + 4 });

const SMALL: MarkupLimits = { maxDepth: 24, maxElements: 400, maxAttributes: 8, maxFormatting: 4 };

describe('parseBoundedHtml', () => {
  it('parses every page the project ships exactly as cheerio does, reporting no cap', () => {
    const pages: string[] = [];
    for (const name of readdirSync(join(ROOT, 'evals', 'cases'))) {
      try {
        pages.push(readFileSync(join(ROOT, 'evals', 'cases', name, 'listing.html'), 'utf8'));
      } catch {
        // A case without a listing page.
      }
    }
    const agents = join(ROOT, 'examples', 'demo-directory', 'agents');
    for (const name of readdirSync(agents)) pages.push(readFileSync(join(agents, name), 'utf8'));
    expect(pages.length).toBeGreaterThan(100);
    for (const html of pages) {
      const bounded = parseBoundedHtml(html);
      expect(bounded.capped).toEqual([]);
      expect(load(bounded.document).html()).toBe(load(html).html());
    }
  });

  it('hardening #1 (hostile nesting): 100,000 nested divs stay within the depth cap, keep their text and report the cap', () => {
    const html = `<html><body>${'<div>'.repeat(100_000)}deep text${'</div>'.repeat(100_000)}<p>after</p></body></html>`;
    const { document, capped } = parseBoundedHtml(html);
    expect(shape(document).depth).toBeLessThanOrEqual(DEFAULT_MARKUP_LIMITS.maxDepth);
    expect(textOf(document)).toBe('deep textafter');
    expect(capped).toEqual([{ cap: 'depth', limit: 256, dropped: 100_000 - 254 }]);
    expect(describeCap(capped[0]!)).toBe(
      'The page nests elements deeper than 256 levels: 99,746 start tags beyond that were left out (their text was kept)',
    );
  });

  // Shapes that make a spec parser's work grow faster than the input, each at five times a small cap.
  const shapes: Array<[string, string]> = [
    ['nested divs', `${'<div>'.repeat(200)}x${'</div>'.repeat(200)}`],
    ['unclosed nested spans', `${'<span>'.repeat(200)}x`],
    ['nested tables', `${'<table><tr><td>'.repeat(100)}x`],
    ['flat elements past the element cap', '<p>x</p>'.repeat(2000)],
    ['formatting re-opened after every block', `<p>${Array.from({ length: 40 }, (_, i) => `<b class=c${i}>`).join('')}${'<div>x</div>'.repeat(300)}`],
    ['formatting left open by ignored end tags', Array.from({ length: 300 }, (_, i) => `<b id=b${i}><object></b></object>`).join('')],
    ['formatting popped by an outer end tag', `${Array.from({ length: 300 }, (_, i) => `<div><i id=i${i}></div>`).join('')}x`],
    ['foster-parented children of a table', `<table>${'<i></i>'.repeat(2000)}`],
    ['an element with thousands of attributes', `<div ${Array.from({ length: 4000 }, (_, i) => `a${i}=1`).join(' ')}>x</div>`],
    ['paragraphs with unclosed inline children', '<p><span>word '.repeat(2000)],
    ['nested definition lists', `<dl>${'<dt>k<dd><dl>'.repeat(100)}x`],
    ['nested foreign content', `${'<svg><g>'.repeat(100)}x`],
    ['nested templates', `${'<template>'.repeat(100)}x`],
  ];

  it.each(shapes)('bounds %s by the caps and never throws', (_name, html) => {
    const { document, capped } = parseBoundedHtml(html, SMALL);
    const { depth, elements } = shape(document);
    expect(depth).toBeLessThanOrEqual(SMALL.maxDepth + slack(SMALL).depth);
    expect(elements).toBeLessThanOrEqual(SMALL.maxElements + slack(SMALL).elements);
    expect(capped.length).toBeGreaterThan(0);
    for (const cap of capped) expect(cap.dropped).toBeGreaterThan(0);
  });

  it('keeps the attributes up to the cap and reports the rest', () => {
    const { document, capped } = parseBoundedHtml(`<div ${Array.from({ length: 12 }, (_, i) => `a${i}="${i}"`).join(' ')}>x</div>`, SMALL);
    const div = load(document)('div').get(0);
    expect(Object.keys(div?.attribs ?? {})).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(capped).toEqual([{ cap: 'attributes', limit: 8, dropped: 4 }]);
  });

  it('drops the end tag of a dropped element, not the outer element of the same name', () => {
    const limits = { ...SMALL, maxDepth: 4 };
    // html, body, div, div: the third div is one level too deep.
    const { document } = parseBoundedHtml('<div id=a><div id=b><div id=c>inner</div>after-c</div>after-b</div>after-a', limits);
    const $ = load(document);
    expect($('div').map((_, el) => $(el).attr('id')).get()).toEqual(['a', 'b']);
    expect($('#b').text()).toBe('innerafter-c');
    expect($('#a').text()).toBe('innerafter-cafter-b');
    expect($('body').text()).toBe('innerafter-cafter-bafter-a');
  });

  // Tag soup from the tokens that steer a spec parser into its expensive paths: implied ends,
  // formatting elements, tables, foreign content, templates, ignored and stray end tags.
  const TOKENS = [
    '<div>', '</div>', '<p>', '</p>', '<span>', '</span>', '<b>', '</b>', '<i class=x>', '</i>', '<a href=#>', '</a>',
    '<nobr>', '<table>', '</table>', '<tr>', '<td>', '</td>', '<object>', '</object>', '<li>', '<ul>', '</ul>', '<dd>', '<dt>',
    '<svg>', '</svg>', '<math>', '<title>', '</title>', '<template>', '</template>', '<select>', '<option>', '<form>', '</form>',
    '<button>', '<h1>', '</h1>', '<br>', '</br>', '<img>', '<div/>', '<!-- c -->', '<!--', '-->', '--!>', '<![CDATA[', ']]>', '<script>',
    '</script>', '<textarea>', '<plaintext>', '<frameset>', '<body>', '<html>', 'text', ' ', '&amp;', '<',
  ];
  const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 600 }).map((tokens) => tokens.join(''));
  const tinyLimits: MarkupLimits = { maxDepth: 12, maxElements: 120, maxAttributes: 4, maxFormatting: 3 };

  it('keeps any tag soup within the caps (property)', () => {
    fc.assert(
      fc.property(soup, (html) => {
        const { document, capped } = parseBoundedHtml(html, tinyLimits);
        const { depth, elements } = shape(document);
        expect(depth).toBeLessThanOrEqual(tinyLimits.maxDepth + slack(tinyLimits).depth);
        expect(elements).toBeLessThanOrEqual(tinyLimits.maxElements + slack(tinyLimits).elements);
        for (const cap of capped) expect(cap.dropped).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
