import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_FS, type WriteFs } from '../../src/store/fs-atomic.js';
import { GroupCommit, parentsOfCreated } from '../../src/store/group-commit.js';

describe('GroupCommit', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'td-group-commit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits writes queued in the same turn as one batch, files and appends together', async () => {
    const commit = new GroupCommit();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        commit.write([{ kind: 'create', path: join(dir, 'd', `r${i}.json`), data: `{"n":${i}}\n`, rows: [{ path: join(dir, 'index.jsonl'), lines: `{"n":${i}}\n` }] }], [
          { path: join(dir, 'audit.jsonl'), lines: `{"a":${i}}\n` },
        ]),
      ),
    );
    expect(outcomes.flat()).toEqual(Array.from({ length: 20 }, () => 'written'));
    expect(commit.counters).toEqual({ batches: 1, writes: 20 });
    expect(readdirSync(join(dir, 'd')).sort()).toHaveLength(20);
    expect(readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20);
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20);
  });

  it('reports a create over an existing file as exists, leaves the file and skips its rows', async () => {
    const commit = new GroupCommit();
    const path = join(dir, 'r1.json');
    await commit.write([{ kind: 'create', path, data: 'first\n' }]);
    const [outcome] = await commit.write([{ kind: 'create', path, data: 'second\n', rows: [{ path: join(dir, 'index.jsonl'), lines: 'row\n' }] }]);
    expect(outcome).toBe('exists');
    expect(readFileSync(path, 'utf8')).toBe('first\n');
    expect(readdirSync(dir).sort()).toEqual(['r1.json']);
  });

  it('fails only the write whose file ran out of space, naming it; the rest of the batch commits', async () => {
    const full: WriteFs = {
      ...NODE_FS,
      writeNew: async (path, data, fsync) => {
        if (path.includes('.bad.json.')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return NODE_FS.writeNew(path, data, fsync);
      },
    };
    const commit = new GroupCommit({ fs: full });
    const [bad, good] = await Promise.allSettled([
      commit.write([{ kind: 'replace', path: join(dir, 'bad.json'), data: 'x\n' }]),
      commit.write([{ kind: 'replace', path: join(dir, 'good.json'), data: 'y\n' }], [{ path: join(dir, 'audit.jsonl'), lines: 'z\n' }]),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'E_DISK_FULL', message: expect.stringContaining('bad.json') as unknown } });
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(readdirSync(dir).sort()).toEqual(['audit.jsonl', 'good.json']);
  });

  it('fsyncs the parent of every directory it had to make, so a new directory survives a power loss with its files', async () => {
    const synced: string[] = [];
    const commit = new GroupCommit({ syncDir: async (path) => void synced.push(path) });
    const drafts = join(dir, 'drafts');
    await commit.write([{ kind: 'create', path: join(drafts, 'one', 'r1.json'), data: '{}\n', newDir: true }]);
    // drafts/ and drafts/one/ were both new: the store root and drafts/ hold their entries.
    expect(synced.sort()).toEqual([dir, drafts, join(drafts, 'one')].sort());
    synced.length = 0;
    await commit.write([{ kind: 'create', path: join(drafts, 'two', 'r1.json'), data: '{}\n' }], [{ path: join(dir, 'index', 'rows.jsonl'), lines: 'x\n' }]);
    expect(synced.sort()).toEqual([dir, drafts, join(dir, 'index'), join(drafts, 'two')].sort());
    synced.length = 0;
    // Nothing new: only the directories written into.
    await commit.write([{ kind: 'create', path: join(drafts, 'two', 'r2.json'), data: '{}\n', newDir: true }]);
    expect(synced).toEqual([join(drafts, 'two')]);
  });

  it('names the parents of a created directory chain, from the deepest up to the first one made', () => {
    expect(parentsOfCreated(undefined, '/s/drafts/a')).toEqual([]);
    expect(parentsOfCreated('/s/drafts/a', '/s/drafts/a')).toEqual(['/s/drafts']);
    expect(parentsOfCreated('/s/drafts', '/s/drafts/a')).toEqual(['/s/drafts', '/s']);
  });

  it('writes a file given as bytes like one given as text', async () => {
    const commit = new GroupCommit();
    const text = 'café ☕\n';
    await commit.write([
      { kind: 'create', path: join(dir, 'text.json'), data: text },
      { kind: 'create', path: join(dir, 'bytes.json'), data: Buffer.from(text, 'utf8') },
    ]);
    expect(readFileSync(join(dir, 'text.json'), 'utf8')).toBe(text);
    expect(readFileSync(join(dir, 'bytes.json'), 'utf8')).toBe(text);
  });

  it('creates a new file whole with writeNew, and refuses one that exists, leaving it as it was', async () => {
    const path = join(dir, 'new.json');
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    await NODE_FS.writeNew(path, big, true);
    expect(readFileSync(path).equals(big)).toBe(true);
    await expect(NODE_FS.writeNew(path, Buffer.from('other'), false)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(path).equals(big)).toBe(true);
  });

  it('drain waits for every queued write', async () => {
    const commit = new GroupCommit({ fsync: false });
    const pending = commit.write([{ kind: 'replace', path: join(dir, 'a.json'), data: 'a\n' }]);
    await commit.drain();
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('a\n');
    await pending;
  });
});
