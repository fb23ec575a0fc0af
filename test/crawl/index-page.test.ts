import { describe, expect, it } from 'vitest';
import { parseIndexPage, parseListingLinks, parseNextPage, parseSitemap } from '../../src/crawl/index-page.js';

const PAGE = 'https://dir.example/agents/?page=1';

describe('parseListingLinks', () => {
  it('resolves matched anchors against the page URL, normalised, in document order', () => {
    const html = `<ul>
      <li><a class="agent" href="/agents/beta/">Beta</a></li>
      <li><a class="agent" href="alpha#reviews">Alpha</a></li>
      <li><a class="agent" href="HTTPS://DIR.EXAMPLE:443/agents/gamma?b=2&a=1">Gamma</a></li>
      <li><a class="other" href="/about">About</a></li>
    </ul>`;
    expect(parseListingLinks(html, PAGE, 'a.agent')).toEqual([
      'https://dir.example/agents/beta',
      'https://dir.example/agents/alpha',
      'https://dir.example/agents/gamma?a=1&b=2',
    ]);
  });

  it('de-duplicates links that normalise to the same URL', () => {
    const html = `<a class="a" href="/x">1</a><a class="a" href="/x/">2</a><a class="a" href="/x#top">3</a><a class="a" href="https://dir.example/x">4</a>`;
    expect(parseListingLinks(html, PAGE, '.a')).toEqual(['https://dir.example/x']);
  });

  it('drops non-http links and links back to the page itself', () => {
    const html = `<div class="c"><a href="mailto:a@b.c">m</a></div>
      <a class="c" href="javascript:void(0)">j</a><a class="c" href="data:text/html,x">d</a>
      <a class="c" href="">empty</a><a class="c" href="#top">frag</a><a class="c" href="ftp://dir.example/f">ftp</a>
      <a class="c" href="http://[bad">bad</a><a class="c" href="/ok">ok</a>`;
    expect(parseListingLinks(html, PAGE, '.c')).toEqual(['https://dir.example/ok']);
  });

  it('takes the first anchor inside a matched card that is not itself a link', () => {
    const html = `<div class="card"><h2>Alpha</h2><a href="/a">more</a><a href="/a-2">also</a></div>
      <div class="card"><a href="/b">Beta</a></div><div class="card">no link</div>`;
    expect(parseListingLinks(html, PAGE, '.card')).toEqual(['https://dir.example/a', 'https://dir.example/b']);
  });

  it('honours <base href> for relative links', () => {
    const html = `<html><head><base href="https://cdn.dir.example/listings/"></head><body><a class="a" href="one">1</a></body></html>`;
    expect(parseListingLinks(html, PAGE, '.a')).toEqual(['https://cdn.dir.example/listings/one']);
  });

  it('returns nothing when the selector matches nothing', () => {
    expect(parseListingLinks('<p>empty directory</p>', PAGE, 'a.agent')).toEqual([]);
  });
});

describe('parseNextPage', () => {
  it('returns the first usable next link, resolved and normalised', () => {
    const html = `<nav><a rel="next" href="#">skip</a><a rel="next" href="?page=2#list">Next</a></nav>`;
    expect(parseNextPage(html, PAGE, 'a[rel=next]')).toBe('https://dir.example/agents?page=2');
  });

  it('returns null on the last page', () => {
    expect(parseNextPage('<nav><span class="next">Next</span></nav>', PAGE, 'a.next')).toBeNull();
  });

  it('parses listings and next page from one document', () => {
    const html = `<a class="l" href="/a/1">1</a><a class="n" href="/p/2">next</a>`;
    expect(parseIndexPage(html, PAGE, { listingLinks: '.l', nextPage: '.n' })).toEqual({
      listings: ['https://dir.example/a/1'],
      next: 'https://dir.example/p/2',
    });
  });

  it('hardening #1 (hostile nesting): finds the links of an index page nested 100,000 deep, in bounded time', () => {
    const depth = 100_000;
    const html = `<a class="l" href="/a/1">1</a>${'<div>'.repeat(depth)}<a class="l" href="/a/2">2</a>${'</div>'.repeat(depth)}<a class="n" href="/p/2">next</a>`;
    expect(parseIndexPage(html, PAGE, { listingLinks: '.l', nextPage: '.n' })).toEqual({
      listings: ['https://dir.example/a/1'],
      next: 'https://dir.example/p/2',
    });
  });
});

describe('parseSitemap', () => {
  it('hardening #1 (hostile nesting): reads a sitemap wrapped in 100,000 nested elements in one streaming pass', () => {
    const depth = 100_000;
    const xml = `<urlset><url><loc>https://dir.example/a</loc></url>${'<x>'.repeat(depth)}<url><loc>https://dir.example/deep</loc></url>${'</x>'.repeat(depth)}<url><loc>https://dir.example/b</loc></url></urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/a', 'https://dir.example/b'] });
  });

  it('decodes entities and CDATA in loc, and keeps a loc cut off by the end of the document', () => {
    const xml = `<urlset><url><loc><![CDATA[https://dir.example/c?a=1&b=2]]></loc></url><url><loc>https://dir.example/&#100;&amp;x</loc></url><url><loc>https://dir.example/cut`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({
      kind: 'urlset',
      urls: ['https://dir.example/c?a=1&b=2', 'https://dir.example/d&x', 'https://dir.example/cut'],
    });
  });

  it('reads page URLs from a urlset, resolved, normalised and de-duplicated', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc> https://dir.example/agents/a/ </loc><lastmod>2024-01-01</lastmod></url>
        <url><loc>https://dir.example/agents/a</loc></url>
        <url><loc>https://dir.example/agents/b?z=1&amp;y=2</loc></url>
        <url><loc>mailto:nobody@dir.example</loc></url>
      </urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/sitemap.xml')).toEqual({
      kind: 'urlset',
      urls: ['https://dir.example/agents/a', 'https://dir.example/agents/b?y=2&z=1'],
    });
  });

  it('reads child sitemaps from a sitemap index', () => {
    const xml = `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>https://dir.example/sitemap-1.xml</loc></sitemap>
        <sitemap><loc>/sitemap-2.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
      </sitemapindex>`;
    expect(parseSitemap(xml, 'https://dir.example/sitemap.xml')).toEqual({
      kind: 'index',
      sitemaps: ['https://dir.example/sitemap-1.xml', 'https://dir.example/sitemap-2.xml'],
    });
  });

  it('accepts namespace-prefixed elements', () => {
    const xml = `<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:url><sm:loc>https://dir.example/x</sm:loc></sm:url></sm:urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/x'] });
  });

  it('ignores loc elements outside url or sitemap entries (image and alternate extensions)', () => {
    const xml = `<urlset><url><loc>https://dir.example/a</loc><image:image><image:loc>https://dir.example/a.png</image:loc></image:image></url></urlset>`;
    expect(parseSitemap(xml, 'https://dir.example/s.xml')).toEqual({ kind: 'urlset', urls: ['https://dir.example/a'] });
  });

  it('says unknown for documents that are not sitemaps', () => {
    expect(parseSitemap('<html><body>Not found</body></html>', 'https://dir.example/s.xml')).toEqual({ kind: 'unknown' });
  });
});
