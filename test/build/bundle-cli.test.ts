import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_PATH, BUNDLED_PACKAGES, BUNDLED_PATH_PREFIXES, bundleCli, bundles, packageOf } from '../../build/bundle-cli.js';
import { loadBundle } from '../../src/cli/bundle-loader.js';
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

describe('BUNDLED_PATH_PREFIXES', () => {
  it.each([...BUNDLED_PATH_PREFIXES])('%s names a folder that is installed', (prefix) => {
    expect(existsSync(join(ROOT, 'node_modules', prefix))).toBe(true);
  });

  it('takes in the undici files the fetcher loads, not undici\'s index', () => {
    expect(bundles('undici/lib/dispatcher/agent.js')).toBe(true);
    expect(bundles('undici')).toBe(false);
    expect(bundles('zod/v4/core')).toBe(true);
    expect(bundles('ioredis')).toBe(false);
  });
});

describe('bundleCli on a package of its own', () => {
  let root: string;
  let bundle: Record<string, unknown>;
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
        'export const main = () => ({',
        '  places: { main: import.meta.url, here, beside },',
        '  parsed: z.object({ a: z.number() }).parse({ a: 1 }),',
        "  later: async () => [typeof (await import('pino')).default, typeof (await import('node:os')).platform],",
        '});',
      ].join('\n'),
    );
    writeFileSync(join(cli, 'io.js'), 'export const exitQuietlyOnBrokenPipe = () => import.meta.url;\n');
    await bundleCli(root);
    bundle = loadBundle(join(root, BUNDLE_PATH), { cache: false }).exports;
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes one CommonJS file exporting main and exitQuietlyOnBrokenPipe', () => {
    expect(readdirSync(join(root, 'dist', 'cli'))).toEqual(['threatdraft.cjs']);
    expect(typeof bundle['main']).toBe('function');
    expect(typeof bundle['exitQuietlyOnBrokenPipe']).toBe('function');
  });

  it('gives every bundled module its own file as import.meta.url, so URLs built from it point where they did', () => {
    const { places, parsed } = (bundle['main'] as () => { places: Record<string, string>; parsed: unknown })();
    expect(places).toEqual({
      main: pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href,
      here: pathToFileURL(join(root, 'dist', 'src', 'pipeline', 'where.js')).href,
      beside: pathToFileURL(join(root, 'dist', 'src', 'pipeline', 'beside.js')).href,
    });
    expect(parsed).toEqual({ a: 1 });
    expect((bundle['exitQuietlyOnBrokenPipe'] as () => string)()).toBe(pathToFileURL(join(root, 'dist', 'src', 'cli', 'io.js')).href);
  });

  it('takes in the listed packages, and loads every other one (and a built-in) with require, dynamic imports included', async () => {
    const text = readFileSync(join(root, BUNDLE_PATH), 'utf8');
    expect(text).not.toMatch(/require\(["']zod["']\)/);
    expect(text).toMatch(/require\(["']pino["']\)/);
    // An import() would throw inside the vm.Script the binary runs the bundle in.
    expect(text).not.toMatch(/\bimport\(["']/);
    const { later } = (bundle['main'] as () => { later: () => Promise<string[]> })();
    expect(await later()).toEqual(['function', 'function']);
  });
});

describe('the CLI bundle npm run build makes', () => {
  beforeAll(() => ensureBuilt(ROOT), 180_000);

  it('points every import.meta.url it rewrote at a compiled module that exists, the assessment thread\'s worker among them', () => {
    const dir = join(ROOT, 'dist', 'cli');
    const paths = new Set<string>();
    for (const match of readFileSync(join(ROOT, BUNDLE_PATH), 'utf8').matchAll(/join\(__dirname, "([^"]+)"\)\)\.href/g)) paths.add(match[1] as string);
    expect(paths.size).toBeGreaterThan(0);
    for (const path of paths) expect(existsSync(join(dir, path)), path).toBe(true);
    const threads = [...paths].find((path) => path.endsWith('/pipeline/assess-threads.js'));
    expect(threads).toBeDefined();
    expect(existsSync(join(dir, threads as string, '..', 'assess-thread-worker.js'))).toBe(true);
  });

  it('keeps the name of every class the compiled modules declare (errors report new.target.name)', () => {
    const bundle = readFileSync(join(ROOT, BUNDLE_PATH), 'utf8');
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (entry.name.endsWith('.js')) for (const match of readFileSync(join(dir, entry.name), 'utf8').matchAll(/^(?:export )?class (\w+)/gm)) names.add(match[1] as string);
      }
    };
    for (const dir of ['src/errors.js', 'src/crawl', 'src/store', 'src/pipeline', 'src/assess', 'src/cli', 'queues']) {
      const path = join(ROOT, 'dist', dir);
      if (dir.endsWith('.js')) for (const match of readFileSync(path, 'utf8').matchAll(/^(?:export )?class (\w+)/gm)) names.add(match[1] as string);
      else walk(path);
    }
    expect(names.size).toBeGreaterThan(10);
    // esbuild renames a colliding top-level name with a number at its end.
    const renamed = [...names].filter((name) => new RegExp(`class ${name}\\d+\\b|\\b${name}\\d+ = class\\b`).test(bundle));
    expect(renamed).toEqual([]);
    // A class is declared as itself, or assigned to its own name (which names it) in a module initialised lazily.
    for (const name of ['ThreatdraftError', 'InputError', 'ConfigError', 'UndiciFetcher']) expect(bundle).toMatch(new RegExp(`class ${name}[ {]|\\b${name} = class\\b`));
  });

  it('holds no import() of a module, which the vm.Script it runs in could not load', () => {
    expect(readFileSync(join(ROOT, BUNDLE_PATH), 'utf8')).not.toMatch(/\bimport\("/);
  });

  it('runs from a folder whose path has a space in it (the bundle is found by file path, not URL path)', () => {
    const home = mkdtempSync(join(tmpdir(), 'td bundle space-'));
    try {
      mkdirSync(join(home, 'bin'));
      writeFileSync(join(home, 'bin', 'threatdraft.js'), readFileSync(join(ROOT, 'bin', 'threatdraft.js')));
      for (const entry of ['dist', 'node_modules', 'package.json']) symlinkSync(join(ROOT, entry), join(home, entry));
      const out = execFileSync(process.execPath, [join(home, 'bin', 'threatdraft.js'), '--version'], { encoding: 'utf8', env: { ...process.env, THREATDRAFT_CODE_CACHE: '0' } });
      expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('runs: the binary answers --version from the bundle', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'threatdraft.js'), '--version'], { encoding: 'utf8', env: { ...process.env, THREATDRAFT_CODE_CACHE: '0' } });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
