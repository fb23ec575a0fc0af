import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { isHttpUrl, normalizeUrl, originOf, rebaseOrigin, resolveHttpUrl, robotsUrlFor, sameOrigin } from '../../src/crawl/url.js';

describe('normalizeUrl', () => {
  it.each([
    ['lowercases scheme and host', 'HTTP://Example.COM/Path', 'http://example.com/Path'],
    ['drops the fragment', 'https://example.com/a#section', 'https://example.com/a'],
    ['drops the default http port', 'http://example.com:80/a', 'http://example.com/a'],
    ['drops the default https port', 'https://example.com:443/a', 'https://example.com/a'],
    ['keeps a non-default port', 'https://example.com:8443/a', 'https://example.com:8443/a'],
    ['keeps the root slash', 'https://example.com', 'https://example.com/'],
    ['keeps the root slash when given', 'https://example.com/', 'https://example.com/'],
    ['strips a trailing slash elsewhere', 'https://example.com/agents/', 'https://example.com/agents'],
    ['strips repeated trailing slashes', 'https://example.com/agents//', 'https://example.com/agents'],
    ['sorts query parameters by name', 'https://example.com/?b=2&a=1&c=3', 'https://example.com/?a=1&b=2&c=3'],
    ['keeps the order of repeated names', 'https://example.com/?z=1&a=2&a=1', 'https://example.com/?a=2&a=1&z=1'],
    ['drops an empty query', 'https://example.com/a?', 'https://example.com/a'],
    ['drops empty query pieces', 'https://example.com/a?&b=1&&a=2', 'https://example.com/a?a=2&b=1'],
    ['uppercases percent escapes', 'https://example.com/a%2fb?q=%c3%a9', 'https://example.com/a%2Fb?q=%C3%A9'],
    ['resolves dot segments', 'https://example.com/a/./b/../c', 'https://example.com/a/c'],
    ['drops credentials', 'https://user:secret@example.com/a', 'https://example.com/a'],
    ['canonicalises a decimal IPv4 host', 'http://2130706433/', 'http://127.0.0.1/'],
    ['lowercases an IPv6 host', 'http://[::FFFF:7F00:1]/', 'http://[::ffff:7f00:1]/'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeUrl(input)).toBe(expected);
  });

  it('is idempotent', () => {
    const once = normalizeUrl('HTTPS://Example.com:443/a/b/?z=1&a=2#x');
    expect(normalizeUrl(once)).toBe(once);
  });

  it('resolves relative input against a base', () => {
    expect(normalizeUrl('../c/?b=1&a=2', 'https://example.com/a/b/')).toBe('https://example.com/a/c?a=2&b=1');
  });

  it.each(['mailto:a@example.com', 'ftp://example.com/', 'not a url', 'javascript:alert(1)'])('refuses %s with E_URL', (input) => {
    expect(() => normalizeUrl(input)).toThrow(PermanentError);
    try {
      normalizeUrl(input);
    } catch (error) {
      expect((error as PermanentError).code).toBe('E_URL');
    }
  });
});

describe('url helpers', () => {
  it('resolveHttpUrl skips links that are not http(s)', () => {
    expect(resolveHttpUrl('mailto:x@example.com', 'https://example.com/')).toBeUndefined();
    expect(resolveHttpUrl('javascript:void(0)', 'https://example.com/')).toBeUndefined();
    expect(resolveHttpUrl('  /agents/7/#top ', 'https://example.com/list')).toBe('https://example.com/agents/7');
  });

  it('isHttpUrl accepts only absolute http(s)', () => {
    expect([isHttpUrl('https://a.example/'), isHttpUrl('/relative'), isHttpUrl('file:///etc/passwd')]).toEqual([true, false, false]);
  });

  it('gives the origin and robots.txt location', () => {
    expect(originOf('https://Example.com:443/a?b')).toBe('https://example.com');
    expect(robotsUrlFor('http://example.com:8080/x/y')).toBe('http://example.com:8080/robots.txt');
    expect(sameOrigin('https://example.com/a', 'https://example.com:443/b')).toBe(true);
    expect(sameOrigin('https://example.com/a', 'http://example.com/a')).toBe(false);
  });
});

describe('rebaseOrigin', () => {
  it('moves URLs on one origin to another, keeping path, query and fragment, and leaves other URLs alone', () => {
    expect(rebaseOrigin('http://127.0.0.1:51234/agents/a.html?x=1#top', 'http://127.0.0.1:51234', 'http://127.0.0.1:47613')).toBe(
      'http://127.0.0.1:47613/agents/a.html?x=1#top',
    );
    expect(rebaseOrigin('http://127.0.0.1:9999/agents/a.html', 'http://127.0.0.1:51234', 'http://127.0.0.1:47613')).toBe('http://127.0.0.1:9999/agents/a.html');
    expect(rebaseOrigin('not a url', 'http://127.0.0.1:51234', 'http://127.0.0.1:47613')).toBe('not a url');
  });
});
