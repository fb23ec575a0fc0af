import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalCharset, charsetFromContentType, decodeBody, mediaTypeOf, sniffMetaCharset } from '../../src/crawl/decode.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/crawl/${name}`, import.meta.url)));

describe('decodeBody', () => {
  it('decodes windows-1252 named in the Content-Type header', () => {
    const decoded = decodeBody(fixture('windows-1252.html'), 'text/html; charset=windows-1252');
    expect(decoded.charset).toBe('windows-1252');
    expect(decoded.source).toBe('header');
    expect(decoded.text).toContain('<h1>Café “smart” agent – naïve résumé €5</h1>');
  });

  it('treats iso-8859-1 as windows-1252 like browsers do', () => {
    expect(decodeBody(fixture('windows-1252.html'), 'text/html; charset="ISO-8859-1"').text).toContain('“smart” agent – naïve');
  });

  it('decodes Shift_JIS declared by <meta charset>', () => {
    const decoded = decodeBody(fixture('shift-jis-meta.html'), 'text/html');
    expect(decoded).toMatchObject({ charset: 'shift_jis', source: 'meta' });
    expect(decoded.text).toContain('<h1>日本語のエージェント</h1><p>ツールを使います。</p>');
  });

  it('decodes EUC-JP declared by <meta http-equiv content>', () => {
    const decoded = decodeBody(fixture('euc-jp-http-equiv.html'), undefined);
    expect(decoded).toMatchObject({ charset: 'euc-jp', source: 'meta' });
    expect(decoded.text).toContain('自律エージェント');
  });

  it('lets a BOM win over the header and strips it', () => {
    const decoded = decodeBody(fixture('utf8-bom.html'), 'text/html; charset=windows-1252');
    expect(decoded).toEqual({ text: '<p>naïve ✓</p>', charset: 'utf-8', source: 'bom' });
  });

  it('prefers the header over the meta tag', () => {
    const bytes = new TextEncoder().encode('<meta charset="shift_jis"><p>ok</p>');
    expect(decodeBody(bytes, 'text/html; charset=utf-8').source).toBe('header');
  });

  it('falls back to UTF-8 for unknown labels', () => {
    const bytes = new TextEncoder().encode('<meta charset="x-klingon"><p>é</p>');
    expect(decodeBody(bytes, 'text/html; charset=nonsense')).toEqual({ text: '<meta charset="x-klingon"><p>é</p>', charset: 'utf-8', source: 'default' });
  });

  it('reads markup declaring UTF-16 as UTF-8', () => {
    const bytes = new TextEncoder().encode('<meta charset="utf-16"><p>é</p>');
    expect(decodeBody(bytes, 'text/html').charset).toBe('utf-8');
  });

  it('ignores a meta tag beyond the first 1024 bytes', () => {
    const bytes = new TextEncoder().encode(`<!--${'x'.repeat(1100)}--><meta charset="shift_jis">`);
    expect(sniffMetaCharset(bytes)).toBeUndefined();
  });

  it('reads the encoding of an XML declaration', () => {
    expect(sniffMetaCharset(new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-1"?><urlset/>'))).toBe('ISO-8859-1');
  });
});

describe('header helpers', () => {
  it.each([
    ['text/html; charset=UTF-8', 'UTF-8'],
    ['text/html;charset="shift_jis"', 'shift_jis'],
    ['text/html', undefined],
    [undefined, undefined],
  ])('charset of %j is %j', (value, expected) => {
    expect(charsetFromContentType(value)).toBe(expected);
  });

  it('extracts the media type', () => {
    expect([mediaTypeOf('Text/HTML; charset=utf-8'), mediaTypeOf(undefined), mediaTypeOf('application/pdf')]).toEqual(['text/html', '', 'application/pdf']);
  });

  it('canonicalises charset labels', () => {
    expect([canonicalCharset('latin1'), canonicalCharset('SJIS'), canonicalCharset('nope')]).toEqual(['windows-1252', 'shift_jis', undefined]);
  });
});
