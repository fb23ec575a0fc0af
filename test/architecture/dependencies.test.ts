import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importEdges, importsInto } from './dependencies.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** The product's code: every folder but the tests (which drive the CLI as users do). */
const PRODUCT = ['src', 'schemas', 'queues', 'evals', 'bench'];

describe('the dependency drawing', () => {
  it('has no import from a feature folder into the CLI: src/cli sits on top and reads argv alone', () => {
    const edges = importEdges(ROOT, PRODUCT);
    expect(edges.length).toBeGreaterThan(500);
    expect(importsInto(edges, 'src/cli').map((edge) => `${edge.from} -> ${edge.specifier}`)).toEqual([]);
  });

  it('keeps schemas/ free of the rest of the project (they import only zod and each other)', () => {
    const edges = importEdges(ROOT, ['schemas']);
    expect(edges.filter((edge) => (edge.to === null ? edge.specifier !== 'zod' : !edge.to.startsWith('schemas/'))).map((edge) => `${edge.from} -> ${edge.specifier}`)).toEqual([]);
  });

  it('finds an import into the CLI where one is written, static or dynamic', () => {
    const root = mkdtempSync(join(tmpdir(), 'td-deps-'));
    for (const folder of ['src/cli', 'src/review', 'evals/runner']) mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, 'src/cli/io.ts'), 'export const x = 1;\n');
    writeFileSync(join(root, 'src/cli/main.ts'), "import { x } from './io.js';\nimport { y } from '../review/y.js';\n");
    writeFileSync(join(root, 'src/review/y.ts'), "import type { Io } from '../cli/io.js';\nexport const y = 2;\n");
    writeFileSync(join(root, 'evals/runner/z.ts'), "export async function z() { return import('../../src/cli/main.js'); }\n");
    const edges = importEdges(root, ['src', 'evals']);
    expect(importsInto(edges, 'src/cli').map((edge) => `${edge.from} -> ${edge.specifier}`).sort()).toEqual([
      'evals/runner/z.ts -> ../../src/cli/main.js',
      'src/review/y.ts -> ../cli/io.js',
    ]);
  });
});
