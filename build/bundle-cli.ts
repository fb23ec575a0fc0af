/**
 * Bundles the compiled CLI (dist/src/cli/main.js and io.js, as tsc wrote them) into dist/cli/, the
 * modules `bin/threatdraft.js` runs. Node 20 loads ES modules one file at a time (resolve, read,
 * compile, link), and a command's start-up paid for about 270 of them, zod's 95 alone, before its
 * first request: a few chunks instead take about 75 ms off every command, which is most of what
 * is left of an unchanged rerun besides its requests. `npm run build` runs this after tsc.
 *
 * What stays as it was:
 * - Packages outside {@link BUNDLED_PACKAGES} are imported from node_modules at run time, as before:
 *   those that find files of their own (pino's transports, bull-board's UI, playwright-core), talk to
 *   servers (ioredis, bullmq, openai) or are loaded only by commands that are not start-up bound.
 * - Every module keeps its own `import.meta.url` (rewritten to its file in dist/ or node_modules/,
 *   relative to the chunk it lands in), so the assessment threads, `createRequire` and the package
 *   root it finds from there see the same files as the unbundled modules.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

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

/** The package a bare import names (`zod/v4/core` → `zod`, `@scope/name/x` → `@scope/name`). */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Keeps every package outside {@link BUNDLED_PACKAGES} an import from node_modules. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || BUNDLED_PACKAGES.has(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Rewrites `import.meta.url` in each bundled ES module to that module's own file, relative to `outdir`. */
function ownImportMetaUrl(outdir: string): Plugin {
  return {
    name: 'own-import-meta-url',
    setup(bundle) {
      bundle.onLoad({ filter: /\.m?js$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return undefined;
        const path = relative(outdir, args.path).split(sep).join('/');
        return { contents: contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(path)}, import.meta.url).href`), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Bundles `<root>/dist/src/cli/{main,io}.js` into `<root>/dist/cli/`. */
export async function bundleCli(root: string): Promise<void> {
  const outdir = join(root, 'dist', 'cli');
  await build({
    entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js'), join(root, 'dist', 'src', 'cli', 'io.js')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Class and function names stay what the code says (errors and logs print them).
    keepNames: true,
    // Bundled CommonJS packages require Node's built-ins.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    plugins: [externalPackages, ownImportMetaUrl(outdir)],
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // dist/build/bundle-cli.js → the package root.
  await bundleCli(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
}
