/**
 * The dependency drawing of the project's own modules, read from their import statements (static
 * and dynamic, through TypeScript's own scanner): which file imports which, resolved to paths
 * relative to the root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import of one file: its specifier and the file it resolves to (relative, POSIX), or null for a package. */
export interface ImportEdge {
  from: string;
  specifier: string;
  to: string | null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every import of every `.ts` file under `folders` of `root`. */
export function importEdges(root: string, folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    for (const file of sourceFiles(join(root, folder))) {
      const from = relative(root, file).split('\\').join('/');
      for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        const local = specifier.startsWith('.');
        const to = local ? relative(root, resolve(dirname(file), specifier)).split('\\').join('/').replace(/\.js$/, '.ts') : null;
        edges.push({ from, specifier, to });
      }
    }
  }
  return edges;
}

/** The imports from a file outside `layer` into it: what would make a lower layer depend on `layer`. */
export function importsInto(edges: readonly ImportEdge[], layer: string): ImportEdge[] {
  const inside = (path: string): boolean => path === layer || path.startsWith(`${layer}/`);
  return edges.filter((edge) => edge.to !== null && inside(edge.to) && !inside(edge.from));
}
