import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ConflictError, ExtractionError, TransientError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file-store.js';
import { FileLocks, NODE_FS, type WriteFs } from '../../src/store/fs-atomic.js';
import { openStore } from '../../src/store/open-store.js';
import { runStoreContract } from './contract.js';
import { makeAuditEntry, makeDraft, makeListing, makeReviewer } from './records.js';

const here = dirname(fileURLToPath(import.meta.url));
const childScript = join(here, 'fixtures', 'cas-child.ts');
const projectRoot = join(here, '..', '..');

const tempRoots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'threatdraft-store-'));
  tempRoots.push(root);
  return root;
}

runStoreContract('file', () => new FileStore({ root: tempRoot() }), {
  cleanup: async (store) => rmSync((store as FileStore).root, { recursive: true, force: true }),
  reopen: (store) => new FileStore({ root: (store as FileStore).root }),
});

/** Runs cas-child processes, releases them together once all are ready, and collects their JSON outcome. */
async function raceChildren(argsPerChild: string[][]): Promise<Array<Record<string, unknown>>> {
  const children = argsPerChild.map((args) =>
    spawn(process.execPath, ['--import', 'tsx', childScript, ...args], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const outputs = children.map(() => ({ stdout: '', stderr: '' }));
  const ready = children.map(
    (child, index) =>
      new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          outputs[index]!.stdout += chunk.toString('utf8');
          if (outputs[index]!.stdout.includes('ready\n')) resolve();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          outputs[index]!.stderr += chunk.toString('utf8');
        });
        child.once('exit', (code) => reject(new Error(`child exited ${code} before ready: ${outputs[index]!.stderr}`)));
      }),
  );
  const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
  await Promise.all(ready);
  for (const child of children) child.stdin.end('go\n');
  const codes = await Promise.all(exits);
  return codes.map((code, index) => {
    const { stdout, stderr } = outputs[index]!;
    if (code !== 0) throw new Error(`child ${index} exited ${code}: ${stderr}`);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(last) as Record<string, unknown>;
  });
}

describe('file store on disk', () => {
  let root: string;
  let store: FileStore;

  beforeEach(() => {
    root = tempRoot();
    store = new FileStore({ root });
  });

  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the documented layout and leaves no temp files behind', async () => {
    await store.listings.put(makeListing({ id: 'a' }));
    await store.drafts.save(makeDraft({ listingId: 'a', revision: 2 }), null);
    await store.reviewers.add(makeReviewer('alice'));
    await store.audit.append(makeAuditEntry());
    await store.cache.set('fetch', 'https://x.example/', { ok: true });
    await store.policy.set({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    expect((await readdir(root)).sort()).toEqual(['audit.jsonl', 'cache', 'drafts', 'index', 'listings', 'policy.json', 'reviewers.json']);
    expect((await readdir(join(root, 'index'))).filter((name) => !name.startsWith('open-')).sort()).toEqual(['built', 'drafts.jsonl', 'listings.jsonl']);
    expect(JSON.parse(await readFile(join(root, 'policy.json'), 'utf8'))).toEqual({ twoPerson: true, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    expect(await readdir(join(root, 'listings'))).toEqual(['a.json']);
    expect(await readdir(join(root, 'drafts', 'a'))).toEqual(['r2.json']);
    // The fetch cache is packed into one JSONL file; other namespaces keep a file per key.
    expect(await readdir(join(root, 'cache'))).toEqual(['fetch.jsonl']);
    const onDisk = JSON.parse(await readFile(join(root, 'drafts', 'a', 'r2.json'), 'utf8')) as { version: number };
    expect(onDisk.version).toBe(1);
  });

  it('ignores a temp file left by a crashed writer and sweeps it once old', async () => {
    await store.drafts.save(makeDraft(), null);
    const dir = join(root, 'drafts', 'demo.agent-one');
    const fresh = join(dir, '.r2.json.999.abcdef.tmp');
    const old = join(dir, '.r3.json.999.123456.tmp');
    await writeFile(fresh, '{"id": "demo.agent-one.r2", "trunc');
    await writeFile(old, '{"half');
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, longAgo, longAgo);
    await mkdir(join(root, 'listings'), { recursive: true });
    await writeFile(join(root, 'listings', '.x.json.1.aa.tmp'), '{');

    expect((await store.drafts.list()).map((draft) => draft.id)).toEqual(['demo.agent-one.r1']);
    expect((await store.drafts.current('demo.agent-one'))?.id).toBe('demo.agent-one.r1');
    expect(await store.listings.ids()).toEqual([]);
    const left = await readdir(dir);
    expect(left).toContain('.r2.json.999.abcdef.tmp');
    expect(left).not.toContain('.r3.json.999.123456.tmp');
  });

  it('names a truncated draft file in the error instead of dropping it, and will not overwrite it', async () => {
    const saved = await store.drafts.save(makeDraft(), null);
    const path = join(root, 'drafts', 'demo.agent-one', 'r1.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
    await expect(store.drafts.list()).rejects.toThrow(path);
    await expect(store.drafts.get(saved.id)).rejects.toBeInstanceOf(ExtractionError);
    await expect(store.drafts.save(saved, 1)).rejects.toThrow(/Corrupt JSON/);
    expect((await readFile(path, 'utf8')).length).toBe(Math.floor(text.length / 2));
  });

  it('names the file and the field when a stored listing breaks its schema', async () => {
    await store.listings.put(makeListing({ id: 'a' }));
    const path = join(root, 'listings', 'a.json');
    const value = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...value, contentHash: 42 }));
    const error = await store.listings.get('a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('contentHash');
  });

  it('names policy.json when it is truncated or breaks its schema, instead of reading it as unset', async () => {
    const path = join(root, 'policy.json');
    await writeFile(path, '{"twoPerson": tr');
    const truncated = await store.policy.get().catch((caught: unknown) => caught);
    expect(truncated).toBeInstanceOf(ExtractionError);
    expect((truncated as Error).message).toContain(`Corrupt JSON in ${path}`);
    await writeFile(path, JSON.stringify({ twoPerson: 'on', setBy: 'root', at: '2025-03-01T12:00:00.000Z' }));
    const invalid = await store.policy.get().catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(ExtractionError);
    expect((invalid as Error).message).toContain(path);
    expect((invalid as Error).message).toContain('`twoPerson`');
    // Setting a policy replaces a corrupt file whole.
    await store.policy.set({ twoPerson: false, setBy: 'root', at: '2025-03-01T12:00:00.000Z' });
    expect(await store.policy.get()).toMatchObject({ twoPerson: false });
  });

  it('names the file and line of an audit line that is whole JSON but not an audit entry (corruption, not a torn write)', async () => {
    await store.audit.append(makeAuditEntry());
    await writeFile(join(root, 'audit.jsonl'), '{"broken": true}\n', { flag: 'a' });
    await expect(store.audit.list()).rejects.toThrow(`${join(root, 'audit.jsonl')}:2`);
  });

  it('hardening #5: a torn last line of audit.jsonl (a crash mid-append) fails no reader; stats reports it; later appends stay whole', async () => {
    const path = join(root, 'audit.jsonl');
    await store.audit.append(makeAuditEntry({ action: 'one', subject: 'demo.a.r1' }));
    await writeFile(path, '{"at":"2025-01-01T00:00:00.000Z","actor":"alice","action":"appr', { flag: 'a' });
    expect((await store.audit.list()).map((entry) => entry.action)).toEqual(['one']);
    expect(await store.audit.list({ subject: 'demo.a.r1' })).toHaveLength(1);
    expect(await store.stats()).toMatchObject({ auditEntries: 1, auditTornLines: [2] });
    // The torn line stays where it was (the log is append-only), fenced off by the next append.
    await store.audit.append(makeAuditEntry({ action: 'two' }));
    expect((await store.audit.list()).map((entry) => entry.action)).toEqual(['one', 'two']);
    expect(await store.stats()).toMatchObject({ auditEntries: 2, auditTornLines: [2] });
  });

  it('only ever appends to audit.jsonl, starting a fresh line after a torn one', async () => {
    const path = join(root, 'audit.jsonl');
    await store.audit.append(makeAuditEntry({ action: 'one' }));
    await store.audit.append(makeAuditEntry({ action: 'two' }));
    const before = await readFile(path, 'utf8');
    const inode = (await stat(path)).ino;
    await store.audit.append(makeAuditEntry({ action: 'three' }));
    const after = await readFile(path, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect((await stat(path)).ino).toBe(inode);
    expect((await store.audit.list()).map((entry) => entry.action)).toEqual(['one', 'two', 'three']);

    // A crash mid-write leaves a line without its newline; the next entry must stay whole.
    await writeFile(path, '{"at":"2025', { flag: 'a' });
    await store.audit.append(makeAuditEntry({ action: 'four' }));
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ action: 'four' });
    expect(lines.at(-2)).toBe('{"at":"2025');
  });

  it('appends every entry from many concurrent appenders as whole lines', async () => {
    const other = new FileStore({ root });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? store : other).audit.append(makeAuditEntry({ action: `a${index}`, detail: { pad: 'x'.repeat(3000) } })),
      ),
    );
    const actions = (await store.audit.list()).map((entry) => entry.action).sort();
    expect(actions).toEqual(Array.from({ length: 40 }, (_, index) => `a${index}`).sort());
  });

  it('never shows a reader half a draft while a writer keeps replacing it', async () => {
    let current = await store.drafts.save(makeDraft({ checks: { ...makeDraft().checks, injection: { suspected: false, matches: ['y'.repeat(200_000)] } } }), null);
    const reader = new FileStore({ root });
    let writing = true;
    let reads = 0;
    const readLoop = (async () => {
      while (writing) {
        const seen = await reader.drafts.get(current.id);
        expect(seen?.checks.injection.matches[0]).toHaveLength(200_000);
        reads += 1;
      }
    })();
    for (let index = 0; index < 30; index += 1) current = await store.drafts.save({ ...current, updatedAt: String(index) }, current.version);
    writing = false;
    await readLoop;
    expect(reads).toBeGreaterThan(0);
    expect((await reader.drafts.get(current.id))?.version).toBe(31);
  });

  it('lets exactly one of 20 saves win across two store instances on one directory', async () => {
    const other = new FileStore({ root });
    const base = await store.drafts.save(makeDraft(), null);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? store : other).drafts.save({ ...base, updatedAt: `${index}` }, 1)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await other.drafts.get(base.id))?.version).toBe(2);
  });

  it('breaks a lock left by a dead process and saves', async () => {
    await store.drafts.save(makeDraft(), null);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const lockPath = join(root, 'drafts', 'demo.agent-one', 'r1.json.lock');
    const { hostname } = await import('node:os');
    await writeFile(lockPath, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), token: 'dead', at: Date.now() }));
    const saved = await store.drafts.save(makeDraft({ status: 'approved' }), 1);
    expect(saved.version).toBe(2);
    expect(await readdir(join(root, 'drafts', 'demo.agent-one'))).toEqual(['r1.json']);
  });

  it('breaks an ownerless lock once it is older than the stale timeout', async () => {
    const quick = new FileStore({ root, locks: { staleMs: 200, timeoutMs: 5_000 } });
    await quick.drafts.save(makeDraft(), null);
    const lockPath = join(root, 'drafts', 'demo.agent-one', 'r1.json.lock');
    await writeFile(lockPath, '');
    const old = new Date(Date.now() - 1_000);
    await utimes(lockPath, old, old);
    expect((await quick.drafts.save(makeDraft(), 1)).version).toBe(2);
  });

  it('times out with a TransientError naming the holder on a lock a live holder keeps refreshing, writing nothing', async () => {
    const locks = { staleMs: 2_000, timeoutMs: 2_500 };
    const impatient = new FileStore({ root, locks });
    const saved = await impatient.drafts.save(makeDraft(), null);
    const lockPath = join(root, 'drafts', 'demo.agent-one', 'r1.json.lock');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = new FileLocks(locks).with(lockPath, () => held);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const error = await impatient.drafts.save({ ...saved, status: 'approved' }, 1).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ code: 'E_LOCK_TIMEOUT', message: expect.stringContaining(`held by pid ${process.pid} on `) as unknown });
      expect((await impatient.drafts.get(saved.id))?.status).toBe('draft');
    } finally {
      release();
      await holding;
    }
  });

  it('hardening #9: the lock wait is one budget, longer than the staleness limit', () => {
    expect(() => new FileLocks({ staleMs: 1_000, timeoutMs: 500 })).toThrow(/longer than the staleness limit/);
    expect(() => new FileLocks({ staleMs: 1_000, timeoutMs: 1_000 })).toThrow(ConfigError);
    expect(() => new FileLocks({ staleMs: 1_000 })).not.toThrow();
  });

  it('hardening #9: a lock its holder keeps refreshing is never broken however long it is held; waiters wait their turn', async () => {
    // A holder working for longer than the staleness limit keeps its lock (it refreshes it); a
    // waiter, whose budget is twice that limit, waits its turn instead of breaking in.
    const locks = { staleMs: 2_000 };
    const lockPath = join(root, 'long.lock');
    let inside = false;
    const holder = new FileLocks(locks).with(lockPath, async () => {
      inside = true;
      const owner = JSON.parse(await readFile(lockPath, 'utf8')) as Record<string, unknown>;
      expect(owner).toMatchObject({ pid: process.pid, host: expect.any(String) as unknown, at: expect.any(Number) as unknown });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      inside = false;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waiter = new FileLocks(locks).with(lockPath, async () => {
      expect(inside).toBe(false);
      return 'turn';
    });
    expect(await waiter).toBe('turn');
    await holder;
  });

  describe('hardening #9: a full disk', () => {
    /** The real file system, except that writing a new file whose name matches `failing` runs out of space. */
    const fullDisk = (failing: RegExp): WriteFs => ({
      ...NODE_FS,
      open: (async (path: string, flags?: string, mode?: number) => {
        const handle = await NODE_FS.open(path, flags, mode);
        if (!failing.test(basename(path))) return handle;
        const enospc = (): Promise<never> => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 }));
        return Object.assign(Object.create(handle) as typeof handle, { writeFile: enospc, write: enospc, close: () => handle.close() });
      }) as WriteFs['open'],
      // A record's temp file: created, then the write runs out of space.
      writeNew: async (path: string, data: Uint8Array, fsync: boolean) => {
        if (!failing.test(basename(path))) return NODE_FS.writeNew(path, data, fsync);
        await NODE_FS.writeNew(path, new Uint8Array(0), false);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      },
    });

    it('hardening #9: taking a lock on a full disk leaves no empty lock behind and names the lock file', async () => {
      await store.drafts.save(makeDraft(), null);
      const dir = join(root, 'drafts', 'demo.agent-one');
      const full = new FileStore({ root, fs: fullDisk(/\.lock\..*\.tmp$/) });
      const error = await full.drafts.save(makeDraft({ status: 'approved' }), 1).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ code: 'E_DISK_FULL', message: expect.stringContaining(join(dir, 'r1.json.lock')) as unknown });
      expect(await readdir(dir)).toEqual(['r1.json']);
      // Space is back: the next save takes the lock at once, with no stale lock to wait out.
      const quick = new FileStore({ root, locks: { staleMs: 60_000, timeoutMs: 120_000 } });
      const started = Date.now();
      expect((await quick.drafts.save(makeDraft({ status: 'approved' }), 1)).version).toBe(2);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('hardening #9: a save and an audit append on a full disk name their file and keep what was stored', async () => {
      const saved = await store.drafts.save(makeDraft(), null);
      await store.audit.append(makeAuditEntry({ action: 'one' }));
      const full = new FileStore({ root, fs: fullDisk(/^\.r1\.json\.\d+\.[0-9a-f]+\.tmp$|^audit\.jsonl$/) });
      await expect(full.drafts.save({ ...saved, status: 'approved' }, 1)).rejects.toMatchObject({
        code: 'E_DISK_FULL',
        message: `No space left on the device while writing ${join(root, 'drafts', 'demo.agent-one', 'r1.json')} (ENOSPC); free some space and try again`,
      });
      await expect(full.audit.append(makeAuditEntry({ action: 'two' }))).rejects.toMatchObject({
        code: 'E_DISK_FULL',
        message: expect.stringContaining(join(root, 'audit.jsonl')) as unknown,
      });
      expect(await readdir(join(root, 'drafts', 'demo.agent-one'))).toEqual(['r1.json']);
      expect((await store.drafts.get(saved.id))?.status).toBe('draft');
      expect((await store.audit.list()).map((entry) => entry.action)).toEqual(['one']);
    });
  });

  it('lets exactly one of two processes win a compare-and-set race', async () => {
    await store.drafts.save(makeDraft(), null);
    const outcomes = await raceChildren([
      [root, 'race'],
      [root, 'race'],
    ]);
    expect(outcomes.map((outcome) => outcome['outcome']).sort()).toEqual(['conflict', 'won']);
    const winner = outcomes.find((outcome) => outcome['outcome'] === 'won');
    const stored = await store.drafts.get('demo.agent-one.r1');
    expect(stored?.version).toBe(2);
    expect(stored?.updatedAt).toBe(`pid-${String(winner?.['pid'])}`);
  });

  it('loses no update when two processes keep read-modify-saving one draft', async () => {
    await store.drafts.save(makeDraft(), null);
    const perChild = 25;
    const outcomes = await raceChildren([
      [root, 'increment', String(perChild), 'left'],
      [root, 'increment', String(perChild), 'right'],
    ]);
    expect(outcomes.every((outcome) => outcome['outcome'] === 'done')).toBe(true);
    const stored = await store.drafts.get('demo.agent-one.r1');
    expect(stored?.version).toBe(1 + 2 * perChild);
    expect(stored?.reviews.filter((review) => review.reviewer === 'left')).toHaveLength(perChild);
    expect(stored?.reviews.filter((review) => review.reviewer === 'right')).toHaveLength(perChild);
  });

  it('leaves no partial file when a writing process is killed with SIGKILL mid-write', async () => {
    await store.drafts.save(makeDraft(), null);
    await store.listings.put(makeListing({ id: 'seed' }));
    // Let it write for a while, then kill it at an arbitrary point mid-loop.
    const stdout = await killAfterAcks(root, 'churn', /acked draft/g, 40);
    const acked = (kind: string): number => Math.max(0, ...[...stdout.matchAll(new RegExp(`acked ${kind} (\\d+)`, 'g'))].map((match) => Number(match[1])));

    // A fresh reader sees complete records only: every write acknowledged is there, at most one
    // more (the write in flight when the kill came) may have landed, and nothing is torn.
    const reader = new FileStore({ root });
    const draft = await reader.drafts.get('demo.agent-one.r1');
    expect(draft?.version).toBeGreaterThanOrEqual(acked('draft'));
    expect(draft?.version).toBeLessThanOrEqual(acked('draft') + 1);
    expect(draft?.reviews).toHaveLength((draft?.version ?? 0) - 1);
    const listingIds = await reader.listings.ids();
    for (const id of listingIds) expect((await reader.listings.get(id))?.id).toBe(id);
    const entries = await reader.audit.list();
    expect(entries.length).toBeGreaterThanOrEqual(acked('audit'));
    expect(entries.length).toBeLessThanOrEqual(acked('audit') + 1);
    const policy = await reader.policy.get();
    const policyN = Number(/^churn-(\d+)$/.exec(policy?.setBy ?? '')?.[1]);
    expect(policyN).toBeGreaterThanOrEqual(acked('policy'));
    expect(policyN).toBeLessThanOrEqual(acked('policy') + 1);
    expect((await reader.stats()).drafts.draft).toBe(1);
    // And the store takes writes again.
    await reader.drafts.save({ ...draft!, status: 'approved' }, draft!.version);
    await reader.close();
  });

  it('loses nothing acknowledged when a process group-committing writes is killed with SIGKILL, and stays readable', async () => {
    await store.drafts.save(makeDraft(), null);
    const stdout = await killAfterAcks(root, 'batch', /acked entry/g, 300);
    const created = [...stdout.matchAll(/acked create (\S+)/g)].map((match) => match[1] as string);
    const entries = [...stdout.matchAll(/acked entry (\d+)/g)].map((match) => Number(match[1]));

    const reader = new FileStore({ root });
    // Every acknowledged draft is there, whole.
    for (const draftId of created) expect((await reader.drafts.get(draftId))?.id).toBe(draftId);
    // Every acknowledged audit entry is there; torn lines (a write cut by the kill) are only skipped.
    const logged = new Set((await reader.audit.list()).map((entry) => entry.detail?.['n']));
    expect(entries.filter((n) => !logged.has(n))).toEqual([]);
    // The index was rebuilt (the writer died with its marker in place), so the queue and status
    // see every draft on disk, acknowledged or not.
    const onDisk = (await reader.drafts.list()).map((draft) => draft.id);
    expect((await reader.index.draftSummaries()).map((summary) => summary.id)).toEqual(onDisk);
    expect((await reader.stats()).drafts.draft).toBe(onDisk.length);
    for (const draftId of created) expect(onDisk).toContain(draftId);
    // And it takes writes again.
    await reader.drafts.save(makeDraft({ listingId: 'after-crash' }), null);
    expect((await reader.index.draftSummaries()).map((summary) => summary.id)).toContain('after-crash.r1');
    await reader.close();
  });

  it('rejects a conflict across instances without touching the file', async () => {
    const other = new FileStore({ root });
    const base = await store.drafts.save(makeDraft(), null);
    await other.drafts.save({ ...base, status: 'approved' }, 1);
    const path = join(root, 'drafts', 'demo.agent-one', 'r1.json');
    const before = await readFile(path, 'utf8');
    await expect(store.drafts.save({ ...base, status: 'rejected' }, 1)).rejects.toBeInstanceOf(ConflictError);
    expect(await readFile(path, 'utf8')).toBe(before);
  });
});

/**
 * Runs the writer child in `mode` against `root`, lets it write until its output holds `count`
 * matches of `acked`, kills it with SIGKILL at that arbitrary point, and gives its output.
 */
async function killAfterAcks(root: string, mode: 'churn' | 'batch', acked: RegExp, count: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, root, mode], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const waitUntil = async (done: () => boolean, pollMs: number): Promise<void> => {
    while (!done()) {
      if (child.exitCode !== null) throw new Error(`${mode} child exited early: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  await waitUntil(() => stdout.includes('ready\n'), 10);
  child.stdin.end('go\n');
  await waitUntil(() => (stdout.match(acked) ?? []).length >= count, 5);
  child.kill('SIGKILL');
  expect(await exit).toBe('SIGKILL');
  return stdout;
}

describe('openStore', () => {
  it('opens the file store at dataDir when no Redis URL is given', async () => {
    const root = tempRoot();
    for (const redisUrl of [undefined, '', '   ']) {
      const store = await openStore({ dataDir: root, redisUrl });
      expect(store.kind).toBe('file');
      expect((store as FileStore).root).toBe(root);
      await store.close();
    }
    rmSync(root, { recursive: true, force: true });
  });
});

describe('FileStore draft parse cache', () => {
  it('stays within its limit and still reads every draft right', async () => {
    const root = mkdtempSync(join(tmpdir(), 'td-cache-'));
    const store = new FileStore({ root, fsync: false, draftCacheLimit: 3 });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 8; index += 1) {
        const draft = makeDraft({ listingId: `cache-${index}` });
        await store.drafts.save(draft, null);
        ids.push(draft.id);
      }
      for (const id of [...ids, ...ids]) expect((await store.drafts.get(id))?.id).toBe(id);
      expect(store.cachedDraftCount()).toBeLessThanOrEqual(3);
    } finally {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
