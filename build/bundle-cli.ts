/**
 * Bundles the compiled CLI (dist/src/cli/main.js and io.js, as tsc wrote them) into one CommonJS
 * file, dist/cli/threatdraft.cjs, which `bin/threatdraft.js` runs through src/cli/bundle-loader.ts
 * with a V8 code cache. Node 20 loads ES modules one file at a time (resolve, read, compile, link)
 * and keeps no compiled code between runs: a command's start-up paid for about 270 modules, zod's
 * 95 alone, and compiled every function it ran. One file, compiled from a cache, starts a command
 * about 140 ms sooner, which is most of what is left of an unchanged rerun besides its requests.
 * `npm run build` runs this after tsc.
 *
 * What stays as it was:
 * - Packages outside {@link BUNDLED_PACKAGES} are loaded from node_modules at run time, as before:
 *   those that find files of their own (pino's transports, bull-board's UI, playwright-core), talk to
 *   servers (ioredis, bullmq, openai) or are loaded only by commands that are not start-up bound.
 *   A dynamic `import()` of one becomes a `require()` (Node 20.19 requires ES modules too): the
 *   bundle runs as a `vm.Script`, where `import()` needs an experimental flag.
 * - Every module keeps its own `import.meta.url` (rewritten to its file in dist/ or node_modules/,
 *   relative to the bundle), so the assessment threads, `createRequire` and the package root
 *   found from there see the same files as the unbundled modules.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** The bundle `bin/threatdraft.js` runs, relative to the package root. */
export const BUNDLE_PATH = 'dist/cli/threatdraft.cjs';

/** The packages bundled: what a command loads before its work starts, and nothing that looks for files of its own. */
export const BUNDLED_PACKAGES: ReadonlySet<string> = new Set([
  'ae-cvss-calculator',
  'boolbase',
  'cheerio-select',
  'commander',
  'css-select',
  'css-what',
  'dom-serializer',
  'domelementtype',
  'domhandler',
  'domutils',
  'entities',
  'eventemitter3',
  'nth-check',
  'p-queue',
  'p-timeout',
  'robots-parser',
  'zod',
]);

/**
 * Files bundled from packages that stay outside the bundle otherwise: the undici files the crawler's
 * fetcher loads one by one (src/crawl/undici-parts.ts). undici's index (the model path) stays a
 * require, as it loads most of the package.
 */
export const BUNDLED_PATH_PREFIXES: readonly string[] = ['undici/lib/'];

/** Whether the bundle takes in what `specifier` (a bare import) names. */
export function bundles(specifier: string): boolean {
  return BUNDLED_PACKAGES.has(packageOf(specifier)) || BUNDLED_PATH_PREFIXES.some((prefix) => specifier.startsWith(prefix));
}

/** The package a bare import names (`zod/v4/core` → `zod`, `@scope/name/x` → `@scope/name`). */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Keeps every bare import the bundle does not take in ({@link bundles}: other packages, Node's
 * built-ins) a `require` at run time, a dynamic `import()` of one included (through a module of
 * one line that requires it).
 */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, (args) => {
      if (bundles(args.path)) return undefined;
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: 'required-package' };
      return { path: args.path, external: true };
    });
    bundle.onLoad({ filter: /.*/, namespace: 'required-package' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/** Rewrites `import.meta.url` in each bundled ES module to that module's own file, relative to the bundle's folder. */
function ownImportMetaUrl(bundleDir: string): Plugin {
  return {
    name: 'own-import-meta-url',
    setup(bundle) {
      bundle.onLoad({ filter: /\.m?js$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return undefined;
        const path = relative(bundleDir, args.path).split(sep).join('/');
        const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(path)})).href`;
        return { contents: contents.replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Bundles `<root>/dist/src/cli/{main,io}.js` into `<root>/dist/cli/threatdraft.cjs`, replacing what dist/cli held (old caches included). */
export async function bundleCli(root: string): Promise<void> {
  const outfile = join(root, BUNDLE_PATH);
  await rm(dirname(outfile), { recursive: true, force: true });
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    stdin: {
      contents: "export { main } from './main.js';\nexport { exitQuietlyOnBrokenPipe } from './io.js';\n",
      resolveDir: join(root, 'dist', 'src', 'cli'),
      sourcefile: 'threatdraft-cli.js',
    },
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // No keepNames: it wraps every named closure in a call that sets its name, each time the closure
    // is made (about 4% of an unchanged rerun). Our classes keep their names anyway, as long as no two
    // bundled modules declare the same top-level name (test/build/bundle-cli.test.ts checks it):
    // errors take theirs from `new.target.name`.
    plugins: [externalPackages, ownImportMetaUrl(dirname(outfile))],
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // dist/build/bundle-cli.js → the package root.
  await bundleCli(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
}
