import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { main } from '../../src/cli/main.js';
import { PROPERTY_TIME_BOUND_MS, timed } from '../helpers/bounded.js';
import { captureIo } from '../helpers/io.js';

const factors = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 0.5]));
const VECTOR = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

async function score(input: string, args: string[] = ['--json']) {
  const io = captureIo({ stdin: input });
  const code = await main(['score', ...args, '-'], io);
  return { code, out: io.out(), err: io.err() };
}

describe('threatdraft score', () => {
  it('prints the Score as a JSON line with --json', async () => {
    const result = await score(JSON.stringify({ cvss: VECTOR, factors, thm: 'attacked', mf: 'partial' }));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      formula: 'v0.8',
      cvssBase: 9.3,
      cvssVector: VECTOR,
      factorSum: 5,
      aars: 0.35,
      thm: 1,
      mf: 0.83,
      raw: 8.0095,
      score: 8,
      severity: 'High',
      rounding: 'half-up',
    });
  });

  it('prints a readable table on a TTY', async () => {
    const io = captureIo({ stdin: JSON.stringify({ cvss: 9.4, factors }), tty: true });
    expect(await main(['score', '-'], io)).toBe(0);
    // The band in its color on a terminal; the rest plain.
    // eslint-disable-next-line no-control-regex
    expect(io.out()).toMatch(/AIVSS\s+\u001b\[1;35m9\.7 \(Critical\)\u001b\[0m\n/);
    expect(io.out()).toMatch(/AARS\s+0\.291/);
    for (const [args, env] of [[['--no-color'], {}], [[], { NO_COLOR: '1' }], [[], { TERM: 'dumb' }]] as const) {
      const plain = captureIo({ stdin: JSON.stringify({ cvss: 9.4, factors }), tty: true, env });
      expect(await main(['score', '-', ...args], plain)).toBe(0);
      expect(plain.out()).toMatch(/^AIVSS\s+9\.7 \(Critical\)\n/);
      expect(plain.out()).not.toContain('\u001b');
    }
    // An empty NO_COLOR does not count (no-color.org), and piped output never has color.
    const empty = captureIo({ stdin: JSON.stringify({ cvss: 9.4, factors }), tty: true, env: { NO_COLOR: '' } });
    expect(await main(['score', '-'], empty)).toBe(0);
    expect(empty.out()).toContain('\u001b[1;35m');
    expect(io.out()).toMatch(/AARS\s+0\.291/);
  });

  it('scores each item of an array', async () => {
    const result = await score(JSON.stringify([{ cvss: 1, factors }, { cvss: 2, factors, formula: 'v0.5' }]));
    expect(result.code).toBe(0);
    expect(result.out.trim().split('\n').map((line) => (JSON.parse(line) as { formula: string }).formula)).toEqual(['v0.8', 'v0.5']);
  });

  const bad: [string, unknown, RegExp][] = [
    ['vectors out of order', { cvss: 'CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', factors }, /`cvss\.AV`.*out of order/],
    ['a missing metric', { cvss: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', factors }, /`cvss\.SA`: mandatory metric SA is missing/],
    ['a repeated metric', { cvss: `${VECTOR}/SA:N`, factors }, /`cvss\.SA`: metric SA is repeated/],
    ['an unknown value', { cvss: VECTOR.replace('UI:N', 'UI:Q'), factors }, /`cvss\.UI`: expected one of N, P, A, found "Q"/],
    ['a CVSS:3.1 prefix', { cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', factors }, /found "CVSS:3\.1\/"/],
    ['trailing junk', { cvss: `${VECTOR}/xyz`, factors }, /found "xyz"/],
    ['a factor outside [0, 1]', { cvss: 5, factors: { ...factors, opacityAndReflexivity: 1.5 } }, /`factors\.opacityAndReflexivity`: expected a number in \[0, 1\], got 1\.5/],
    ['a NaN factor (null in JSON)', { cvss: 5, factors: { ...factors, opacityAndReflexivity: null } }, /`factors\.opacityAndReflexivity`: expected a number in \[0, 1\], got null/],
    ['a string factor', { cvss: 5, factors: { ...factors, dynamicToolUse: 'high' } }, /`factors\.dynamicToolUse`: expected a number/],
    ['nine keys', { cvss: 5, factors: Object.fromEntries(LISTING_FACTOR_KEYS.slice(0, 9).map((key) => [key, 0])) }, /expected 10 factors, got 9; missing opacityAndReflexivity/],
    ['eleven keys', { cvss: 5, factors: { ...factors, bonus: 0 } }, /`factors\.bonus`: unknown factor key/],
    ['mixed key sets', { cvss: 5, factors: { ...factors, autonomy: 0 } }, /mixed key sets/],
    ['an unknown formula', { cvss: 5, factors, formula: 'v1.0' }, /`formula`: Invalid option: expected one of "v0\.8"\|"v0\.8-floor"\|"v0\.5"/],
    ['thm out of range', { cvss: 5, factors, thm: 1.6 }, /`thm`: expected attacked, poc, unreported or a number in \(0, 1\.5\], got 1\.6/],
    ['mf out of range', { cvss: 5, factors, mf: 0 }, /`mf`: expected none, partial, strong or a number in \(0, 1\], got 0/],
    ['an unknown field', { cvss: 5, factors, extra: true }, /extra/],
    ['no cvss', { factors }, /`cvss`/],
  ];

  it.each(bad)('exits 2 on %s, naming the field', async (_name, input, message) => {
    const result = await score(JSON.stringify(input));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).toContain('"error"');
  });

  it('exits 2 on malformed JSON, naming the source', async () => {
    const result = await score('{"cvss": 5, "factors": {', []);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/Malformed JSON in standard input/);
  });

  it('exits 2 on a missing file', async () => {
    const io = captureIo();
    expect(await main(['score', '/nonexistent/score.json'], io)).toBe(2);
    expect(io.err()).toMatch(/Cannot read \/nonexistent\/score\.json: no such file/);
  });

  it('prints nothing for an array with one bad item', async () => {
    const result = await score(JSON.stringify([{ cvss: 5, factors }, { cvss: 11, factors }]));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/\[1\]/);
    expect(result.out).not.toContain('"score"');
  });

  it('runs from the built binary with a file argument', () => {
    const dir = mkdtempSync(join(tmpdir(), 'td-score-'));
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify({ cvss: VECTOR, factors, formula: 'v0.8-floor', mf: 'strong' }));
    const ok = spawnSync(process.execPath, ['bin/threatdraft.js', 'score', '--json', file], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ formula: 'v0.8-floor', cvssBase: 9.3, score: 9.5, severity: 'Critical' });
    writeFileSync(file, '{ not json');
    const bad = spawnSync(process.execPath, ['bin/threatdraft.js', 'score', file], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Malformed JSON in .*input\.json/);
  });
});

describe('threatdraft score on any input (property)', () => {
  // Valid inputs with one field replaced by anything, and arbitrary JSON or text.
  const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.double(), fc.constantFrom(NaN, -1, Number.POSITIVE_INFINITY, 10.05, 1.5, 0, null));
  const field = fc.constantFrom('formula', 'cvss', 'factors', 'thm', 'mf', 'rounding', 'extra');
  const mutated = fc.tuple(field, anyValue).map(([key, value]) => JSON.stringify({ cvss: VECTOR, factors, [key]: value }));
  const factorMutated = fc.tuple(fc.constantFrom(...LISTING_FACTOR_KEYS, 'autonomy', 'bogus'), anyValue).map(([key, value]) => JSON.stringify({ cvss: 9.4, factors: { ...factors, [key]: value } }));
  const input = fc.oneof(mutated, factorMutated, fc.jsonValue().map((value) => JSON.stringify(value)), fc.string({ maxLength: 200 }));

  it('ends in a score (exit 0) or a clear error naming what is wrong (exit 2), never a crash, within the time bound', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (text) => {
        const { value: result, ms } = await timed(() => score(text));
        expect(ms).toBeLessThan(PROPERTY_TIME_BOUND_MS);
        expect([0, 2]).toContain(result.code);
        if (result.code === 0) {
          const parsed = JSON.parse(result.out) as { score: number; severity: string };
          expect(parsed.score).toBeGreaterThanOrEqual(0);
          expect(parsed.score).toBeLessThanOrEqual(10);
        } else {
          expect(result.err).toMatch(/^threatdraft: .+\[E_[A-Z_]+\]\n$/s);
          expect(result.err).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 200 },
    );
  });
});
