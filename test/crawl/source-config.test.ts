import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSourceConfig, locateJsonError, parseSourceConfig } from '../../src/crawl/source-config.js';
import { ConfigError, InputError } from '../../src/errors.js';
import { PROPERTY_TIME_BOUND_MS, timed } from '../helpers/bounded.js';

const valid = {
  id: 'demo-dir',
  name: 'Demo directory',
  start: ['https://dir.example/agents'],
  listingLinks: 'a.agent',
};

function errorOf(run: () => unknown): InputError {
  try {
    run();
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(InputError);
    return thrown as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseSourceConfig', () => {
  it('applies the schema defaults to a minimal config', () => {
    expect(parseSourceConfig(JSON.stringify(valid), 'demo.json')).toEqual({
      ...valid,
      maxPages: 200,
      politeness: { concurrency: 2, intervalMs: 500 },
      allowPrivateNetwork: false,
    });
  });

  it('accepts a leading byte-order mark', () => {
    expect(parseSourceConfig(`\uFEFF${JSON.stringify(valid)}`, 'demo.json').id).toBe('demo-dir');
  });

  it.each([
    ['a trailing comma', '{\n  "id": "x",\n}', 3, 1],
    ['a bare word', '{\n  "id": nope\n}', 2, 9],
    ['an unterminated object', '{\n  "id": "x"', 2, 12],
    ['an empty file', '', 1, 1],
    ['text after the value', '{}\n{}', 2, 1],
  ])('names line and column of malformed JSON: %s', (_, text, line, column) => {
    const error = errorOf(() => parseSourceConfig(text, 'bad.json'));
    expect(error.code).toBe('E_JSON');
    expect(error.message).toContain(`bad.json: malformed JSON at line ${line}, column ${column}`);
    expect(error.context).toMatchObject({ path: 'bad.json', line, column });
  });

  it.each([
    ['a missing field', { ...valid, listingLinks: undefined }, '`listingLinks`'],
    ['a non-http start URL', { ...valid, start: ['ftp://dir.example/'] }, '`start.0`'],
    ['an unknown key', { ...valid, listingLink: 'a' }, '(root)'],
    ['a bad politeness value', { ...valid, politeness: { concurrency: 0, intervalMs: 0 } }, '`politeness.concurrency`'],
    ['an unknown field selector', { ...valid, fields: { price: '.p' } }, '`fields`'],
    ['an invalid CSS selector', { ...valid, listingLinks: 'a[href' }, '`listingLinks`: expected a valid CSS selector'],
    ['an invalid field selector', { ...valid, fields: { title: 'h1::' } }, '`fields.title`: expected a valid CSS selector'],
  ])('names the field for %s', (_, config, field) => {
    const error = errorOf(() => parseSourceConfig(JSON.stringify(config), 'src.json'));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('source config src.json');
    expect(error.message).toContain(field);
  });
});

describe('loadSourceConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-source-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(valid));
    expect((await loadSourceConfig(path)).listingLinks).toBe('a.agent');
  });

  it('refuses a missing file and a directory with the path named', async () => {
    await expect(loadSourceConfig(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'E_SOURCE_FILE', message: expect.stringContaining('nope.json: no such file') });
    await expect(loadSourceConfig(dir)).rejects.toMatchObject({ code: 'E_SOURCE_FILE', message: expect.stringContaining('is a directory') });
  });
});

describe('locateJsonError', () => {
  it('returns the length for valid JSON and the offset of the first error otherwise', () => {
    const good = '{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"],"b":{}}';
    expect(JSON.parse(good)).toBeTruthy();
    expect(locateJsonError(good)).toBe(good.length);
    expect(locateJsonError('[1,,2]')).toBe(3);
    expect(locateJsonError('{"a":01}')).toBe(6);
    expect(locateJsonError('"\\x"')).toBe(2);
    expect(locateJsonError('"\\u12G4"')).toBe(2);
  });

  it('survives absurd nesting', () => {
    expect(locateJsonError('['.repeat(200_000))).toBeGreaterThan(0);
  });
});

describe('loadSourceConfig on any file (property)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-source-prop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.constantFrom('a[', ':::', '', 'https://', 'http://127.0.0.1:0', -1, 1e9, null));
  const field = fc.constantFrom('id', 'name', 'type', 'start', 'sitemap', 'listingLinks', 'nextPage', 'fields', 'maxListings', 'maxPages', 'politeness', 'allowPrivateNetwork', 'render', 'contactUrl', 'unknown');
  const text = fc.oneof(
    fc.tuple(field, anyValue).map(([key, value]) => JSON.stringify({ ...valid, [key]: value })),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 300 }),
  );
  let n = 0;

  it('ends in a source config or a bad-input error naming the file, never another error, within the time bound', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (content) => {
        const path = join(dir, `source-${n++}.json`);
        writeFileSync(path, content);
        const { value: outcome, ms } = await timed(() => loadSourceConfig(path).then((config) => ({ config }), (error: unknown) => ({ error })));
        expect(ms).toBeLessThan(PROPERTY_TIME_BOUND_MS);
        if ('error' in outcome) {
          // Exit 2 classes only, with a message that says where.
          expect(outcome.error instanceof InputError || outcome.error instanceof ConfigError).toBe(true);
          expect((outcome.error as Error).message).toContain(path);
        } else expect(outcome.config.id).toEqual(expect.any(String));
      }),
      { numRuns: 200 },
    );
  });
});
