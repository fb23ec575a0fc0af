import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachePathFor, loadBundle } from '../../src/cli/bundle-loader.js';

let dir: string;
let file: string;
const BUNDLE = [
  "const { helper } = require('./helper.cjs');",
  'let calls = 0;',
  'exports.answer = (n) => { calls += 1; return helper(n) * 2 + calls * 0; };',
  'exports.where = __filename;',
  'exports.folder = __dirname;',
].join('\n');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'td-bundle-loader-'));
  file = join(dir, 'bundle.cjs');
  writeFileSync(join(dir, 'helper.cjs'), 'exports.helper = (n) => n + 1;\n');
  writeFileSync(file, BUNDLE);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadBundle', () => {
  it('evaluates the bundle as a CommonJS module of its folder: its exports, its require, its __filename', () => {
    const bundle = loadBundle(file, { cache: false });
    expect((bundle.exports['answer'] as (n: number) => number)(2)).toBe(6);
    expect(bundle.exports['where']).toBe(file);
    expect(bundle.exports['folder']).toBe(dir);
  });

  it('writes the command\'s cache once its work is done, headed by the bundle\'s SHA-1, and the next load runs from it', () => {
    const first = loadBundle(file, { command: 'run' });
    expect(first.cached).toBe(false);
    (first.exports['answer'] as (n: number) => number)(1);
    first.saveCache();
    const path = cachePathFor(file, 'run');
    const written = readFileSync(path);
    expect(written.subarray(0, 20).equals(createHash('sha1').update(readFileSync(file)).digest())).toBe(true);
    expect(written.length).toBeGreaterThan(20);
    const second = loadBundle(file, { command: 'run' });
    expect(second.cached).toBe(true);
    expect((second.exports['answer'] as (n: number) => number)(2)).toBe(6);
    // Nothing to write when the cache was used.
    second.saveCache();
    expect(readFileSync(path).equals(written)).toBe(true);
  });

  it('keeps one cache per command, and one shared cache for anything that is not a command word', () => {
    loadBundle(file, { command: 'run' }).saveCache();
    expect(loadBundle(file, { command: 'status' }).cached).toBe(false);
    expect(loadBundle(file, { command: 'run' }).cached).toBe(true);
    expect(cachePathFor(file, 'run')).toBe(`${file}.run.v8cache`);
    expect(cachePathFor(file, '--help')).toBe(`${file}.default.v8cache`);
    expect(cachePathFor(file, '../../x')).toBe(`${file}.default.v8cache`);
    expect(cachePathFor(file, undefined)).toBe(`${file}.default.v8cache`);
  });

  it('does not use a cache made from other bytes of the same length, and replaces it', () => {
    loadBundle(file, { command: 'run' }).saveCache();
    const before = readFileSync(cachePathFor(file, 'run'));
    // Same length, other code: V8's own check (the source length) would let the old cache through.
    writeFileSync(file, BUNDLE.replace('* 2', '* 3'));
    const changed = loadBundle(file, { command: 'run' });
    expect(changed.cached).toBe(false);
    expect((changed.exports['answer'] as (n: number) => number)(2)).toBe(9);
    changed.saveCache();
    expect(readFileSync(cachePathFor(file, 'run')).equals(before)).toBe(false);
    expect(loadBundle(file, { command: 'run' }).cached).toBe(true);
  });

  it('runs from source when the cache holds garbage under the right digest, and writes a good one', () => {
    const digest = createHash('sha1').update(readFileSync(file)).digest();
    writeFileSync(cachePathFor(file, 'run'), Buffer.concat([digest, Buffer.from('not V8 code cache data at all, not at all')]));
    const bundle = loadBundle(file, { command: 'run' });
    expect(bundle.cached).toBe(false);
    expect((bundle.exports['answer'] as (n: number) => number)(2)).toBe(6);
    bundle.saveCache();
    expect(loadBundle(file, { command: 'run' }).cached).toBe(true);
  });

  it('writes nothing with caching off', () => {
    loadBundle(file, { cache: false, command: 'run' }).saveCache();
    expect(existsSync(cachePathFor(file, 'run'))).toBe(false);
  });

  it('goes on without a cache where it cannot write one, leaving no temporary file behind', () => {
    // The temporary file's name is taken by a folder: the write fails as on a read-only install.
    mkdirSync(`${cachePathFor(file, 'run')}.${process.pid}.tmp`);
    const bundle = loadBundle(file, { command: 'run' });
    expect(() => bundle.saveCache()).not.toThrow();
    expect(existsSync(cachePathFor(file, 'run'))).toBe(false);
  });
});
