import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_PACKAGES, bundleCli, packageOf } from '../../build/bundle-cli.js';
import { ensureBuilt } from '../helpers/built.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

describe('packageOf', () => {
  it.each([
    ['zod', 'zod'],
    ['zod/v4/core', 'zod'],
    ['@hono/node-server', '@hono/node-server'],
    ['@bull-board/api/dist/x.js', '@bull-board/api'],
  ])('names the package of %s: %s', (specifier, name) => {
    expect(packageOf(specifier)).toBe(name);
  });
});

describe('BUNDLED_PACKAGES', () => {
  it.each([...BUNDLED_PACKAGES])('%s is installed, so the bundle takes what the unbundled modules would load', (name) => {
    expect(existsSync(join(ROOT, 'node_modules', name, 'package.json'))).toBe(true);
  });
});

describe('bundleCli on a package of its own', () => {
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'td-bundle-'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    const cli = join(root, 'dist', 'src', 'cli');
    mkdirSync(cli, { recursive: true });
    mkdirSync(join(root, 'dist', 'src', 'pipeline'), { recursive: true });
    writeFileSync(join(root, 'dist', 'src', 'pipeline', 'where.js'), 'export const here = import.meta.url;\nexport const beside = new URL("./beside.js", import.meta.url).href;\n');
    writeFileSync(
      join(cli, 'main.js'),
      [
        "import { z } from 'zod';",
        "import { here, beside } from '../pipeline/where.js';",
        'export const places = { main: import.meta.url, here, beside };',
        "export const parsed = z.object({ a: z.number() }).parse({ a: 1 });",
        "export const later = () => import('pino');",
      ].join('\n'),
    );
    writeFileSync(join(cli, 'io.js'), 'export const io = import.meta.url;\n');
    await bundleCli(root);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the two entry modules to dist/cli', () => {
    expect(existsSync(join(root, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'cli', 'io.js'))).toBe(true);
  });

  it('gives every bundled module its own file as import.meta.url, so URLs built from it point where they did', async () => {
    const bundled = (await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href)) as { places: Record<string, string>; parsed: unknown };
    expect(bundled.places).toEqual({
      main: pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href,
      here: pathToFileURL(join(root, 'dist', 'src', 'pipeline', 'where.js')).href,
      beside: pathToFileURL(join(root, 'dist', 'src', 'pipeline', 'beside.js')).href,
    });
    expect(bundled.parsed).toEqual({ a: 1 });
  });

  it('takes in the listed packages and leaves every other one an import from node_modules', () => {
    const text = readdirSync(join(root, 'dist', 'cli'))
      .map((file) => readFileSync(join(root, 'dist', 'cli', file), 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/from ["']zod["']/);
    expect(text).toMatch(/import\(["']pino["']\)/);
  });
});

describe('the CLI bundle npm run build makes', () => {
  beforeAll(() => ensureBuilt(ROOT), 180_000);

  it('points every import.meta.url it rewrote at a compiled module that exists, the assessment thread\'s worker among them', () => {
    const dir = join(ROOT, 'dist', 'cli');
    const bases = new Set<string>();
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.js'))) {
      for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) bases.add(match[1] as string);
    }
    expect(bases.size).toBeGreaterThan(0);
    for (const base of bases) expect(existsSync(join(dir, base)), base).toBe(true);
    const threads = [...bases].find((base) => base.endsWith('/pipeline/assess-threads.js'));
    expect(threads).toBeDefined();
    expect(existsSync(join(dir, threads as string, '..', 'assess-thread-worker.js'))).toBe(true);
  });

  it('runs: the binary answers --version from the bundle', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'threatdraft.js'), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
