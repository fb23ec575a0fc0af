import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonlTable } from '../../src/store/jsonl-table.js';

const parse = (value: unknown) => {
  const row = value as { id?: unknown; n?: unknown };
  return typeof row.id === 'string' && typeof row.n === 'number' ? ([row.id, row.n] as const) : null;
};

describe('JsonlTable', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'td-jsonl-'));
    path = join(dir, 't.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file larger than one chunk, the last row of a key winning, skipping torn and foreign lines', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ id: `k${i % 30_000}`, n: i, pad: 'x'.repeat(20) }));
    writeFileSync(path, `${lines.join('\n')}\n{"id":"torn","n":\n{"other":true}\n`);
    const rows = await new JsonlTable(path, parse).load();
    expect(rows.size).toBe(30_000);
    expect(rows.get('k0')).toBe(30_000);
    expect(rows.get('k29999')).toBe(29_999);
    expect(rows.has('torn')).toBe(false);
  });

  it('reads only what was appended since, and a line still being written once it is whole', async () => {
    writeFileSync(path, '{"id":"a","n":1}\n');
    const table = new JsonlTable(path, parse);
    expect(Object.fromEntries(await table.load())).toEqual({ a: 1 });
    appendFileSync(path, '{"id":"b","n":2}\n{"id":"a","n":3');
    expect(Object.fromEntries(await table.load())).toEqual({ a: 1, b: 2 });
    appendFileSync(path, '}\n');
    expect(Object.fromEntries(await table.load())).toEqual({ a: 3, b: 2 });
  });

  it('starts again when the file is replaced (a rebuilt index) and is empty when there is none', async () => {
    const table = new JsonlTable(path, parse);
    expect((await table.load()).size).toBe(0);
    writeFileSync(path, '{"id":"a","n":1}\n{"id":"b","n":2}\n');
    expect((await table.load()).size).toBe(2);
    const replacement = join(dir, 'next');
    writeFileSync(replacement, '{"id":"c","n":3}\n');
    const { renameSync } = await import('node:fs');
    renameSync(replacement, path);
    expect(Object.fromEntries(await table.load())).toEqual({ c: 3 });
  });
});
