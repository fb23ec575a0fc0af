/**
 * The file store's index snapshot: facts from a snapshot plus the rows appended since must equal
 * facts from the index tables read whole, whatever was appended; a snapshot that does not describe
 * the tables (corrupt, truncated, another file) is never used; the audit checkpoint counts what a
 * full read counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Draft, DraftStatus } from '../../schemas/draft.js';
import { FileStore } from '../../src/store/file-store.js';
import { factsFromSummaries } from '../../src/store/queue-facts.js';
import type { QueueFacts, Store } from '../../src/store/store.js';
import { queueQuerySchema, selectFacts, type QueueQuery } from '../../src/review/queue.js';
import { makeAuditEntry, makeDraft, makeListing, sha256 } from './records.js';

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'threatdraft-snapshot-'));
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Queries a page is picked with (each also with a page of 2): every filter, both orders. */
const QUERIES: QueueQuery[] = [{}, { status: 'draft' }, { sort: 'date' }, { source: 's1' }, { source: 'src-a' }, { warnings: 'no', sort: 'date' }, { changed: 'yes' }, { severity: 'High' }].map((query) =>
  queueQuerySchema.parse(query),
);

/** The queue's selections from these facts, by position where the store offers columns (as the review service picks). */
function pages(facts: QueueFacts, byPosition: boolean): unknown[] {
  const from = byPosition ? (facts.columns ?? facts.drafts) : facts.drafts;
  return QUERIES.flatMap((query) => [selectFacts(from, query), selectFacts(from, query, 2)]);
}

/** Facts and counts as the queue and `status` see them, in id order (for comparison), and the pages picked from them. */
async function view(store: Store): Promise<{ facts: unknown[]; listings: number; rows: unknown[]; drafts: unknown; pages: unknown[] }> {
  const facts = await store.index.queueFacts();
  // Picked first: a page from the columns must not need the facts built.
  const picked = pages(facts, true);
  const sorted = [...facts.drafts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows = await facts.rows(sorted.map((fact) => fact.id));
  const stats = await store.stats();
  return { facts: sorted, listings: facts.listings, rows: [rows.drafts, [...rows.listings.entries()].sort()], drafts: [stats.listings, stats.drafts], pages: picked };
}

/** The same, from the index tables read whole (the draft and listing summaries). */
async function reference(root: string): Promise<{ facts: unknown[]; listings: number; rows: unknown[]; drafts: unknown; pages: unknown[] }> {
  const store = new FileStore({ root, fsync: false, snapshotAfterRows: Number.MAX_SAFE_INTEGER });
  try {
    const summaries = await store.index.draftSummaries();
    const listings = await store.index.listingSummaries();
    const facts = factsFromSummaries(summaries, listings);
    const sorted = [...facts.drafts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rows = await facts.rows(sorted.map((fact) => fact.id));
    const counts: Record<string, number> = { draft: 0, 'changes-requested': 0, approved: 0, rejected: 0, published: 0, superseded: 0 };
    for (const summary of summaries) counts[summary.status] = (counts[summary.status] ?? 0) + 1;
    return { facts: sorted, listings: facts.listings, rows: [rows.drafts, [...rows.listings.entries()].sort()], drafts: [listings.size, counts], pages: pages(facts, false) };
  } finally {
    await store.close();
  }
}

const withHash = (draft: Draft, hash: string): Draft => ({ ...draft, provenance: { ...draft.provenance, listingContentHash: sha256(hash) } });

/** A store with three listings and their drafts, and a snapshot of it written by a reader. */
async function seeded(): Promise<string> {
  const root = tempRoot();
  const writer = new FileStore({ root, fsync: false });
  for (const id of ['a', 'b', 'c']) {
    await writer.listings.put(makeListing({ id, sourceId: `src-${id}` }));
    await writer.drafts.save(withHash(makeDraft({ listingId: id }), `${id}-v1`), null);
  }
  await writer.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 2, status: 'published' }), 'a-v2'), null);
  await writer.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 3 }), 'a-v3'), null);
  await writer.close();
  const reader = new FileStore({ root, fsync: false, snapshotAfterRows: 0 });
  await reader.index.queueFacts();
  expect(reader.indexReads).toMatchObject({ whole: 1, snapshotsWritten: 1 });
  await reader.close();
  return root;
}

/** A reader that never writes a snapshot itself. */
const reader = (root: string): FileStore => new FileStore({ root, fsync: false, snapshotAfterRows: Number.MAX_SAFE_INTEGER });

describe('file store index snapshot', () => {
  it('gives from the snapshot alone what reading the tables whole gives', async () => {
    const root = await seeded();
    const store = reader(root);
    expect((await store.index.queueFacts()).columns).toBeDefined();
    expect(await view(store)).toEqual(await reference(root));
    expect(store.indexReads).toMatchObject({ snapshots: 1, whole: 0, rows: 0 });
    await store.close();
  });

  it('applies rows appended since the snapshot that publish, supersede, add revisions and change a listing\'s source and title', async () => {
    const root = await seeded();
    const writer = new FileStore({ root, fsync: false });
    // a: r2 was published and r3 changed since; now r3 is published and r2 superseded, and r4 assesses r2's content again (changed since r3).
    const a2 = await writer.drafts.get('a.r2');
    const a3 = await writer.drafts.get('a.r3');
    await writer.drafts.save({ ...(a2 as Draft), status: 'superseded' }, 1);
    await writer.drafts.save({ ...(a3 as Draft), status: 'published' }, 1);
    await writer.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 4 }), 'a-v2'), null);
    // b: published, then a revision from new content (changed since published).
    const b1 = await writer.drafts.get('b.r1');
    await writer.drafts.save({ ...(b1 as Draft), status: 'published' }, 1);
    await writer.drafts.save(withHash(makeDraft({ listingId: 'b', revision: 2 }), 'b-v2'), null);
    await writer.listings.put(makeListing({ id: 'b', sourceId: 'moved', title: 'Renamed' }));
    // d: a new listing and draft; e: a draft whose listing is not stored.
    await writer.listings.put(makeListing({ id: 'd', sourceId: 'src-d' }));
    await writer.drafts.save(makeDraft({ listingId: 'd', score: { ...makeDraft().score, score: 3.1, severity: 'Low' } }), null);
    await writer.drafts.save(makeDraft({ listingId: 'e', status: 'approved' }), null);
    await writer.close();

    const store = reader(root);
    const seen = await view(store);
    expect(seen).toEqual(await reference(root));
    expect(store.indexReads).toMatchObject({ snapshots: 1, whole: 0 });
    expect(store.indexReads.rows).toBeGreaterThan(0);
    const changed = (seen.facts as Array<{ id: string; changedSincePublished: boolean; source: string }>).filter((fact) => fact.changedSincePublished).map((fact) => fact.id);
    expect(changed).toEqual(['a.r4', 'b.r2']);
    expect((seen.facts as Array<{ id: string; source: string }>).find((fact) => fact.id === 'b.r1')?.source).toBe('moved');
    await store.close();
  });

  it('follows rows appended while it is open, as the review server reads', async () => {
    const root = await seeded();
    const store = reader(root);
    await view(store);
    const writer = new FileStore({ root, fsync: false });
    const c1 = await writer.drafts.get('c.r1');
    await writer.drafts.save({ ...(c1 as Draft), status: 'published' }, 1);
    await writer.drafts.save(withHash(makeDraft({ listingId: 'c', revision: 2 }), 'c-v2'), null);
    await writer.close();
    expect(await view(store)).toEqual(await reference(root));
    expect(store.indexReads).toMatchObject({ snapshots: 1, whole: 0 });
    await store.close();
  });

  const damages: Array<[string, (text: Buffer) => Buffer]> = [
    ['truncated', (text) => text.subarray(0, text.length - 10)],
    ['with a byte of its columns changed', (text) => {
      const at = text.lastIndexOf('"draft"');
      return Buffer.concat([text.subarray(0, at), Buffer.from('"drafx"'), text.subarray(at + 7)]);
    }],
    ['with a count in its header changed', (text) => Buffer.from(text.toString('utf8').replace('"draft":', '"approved":'))],
    ['with a header that is not one', (text) => Buffer.concat([Buffer.from('{"format":"nope"}'), text.subarray(text.indexOf(0x0a))])],
    ['empty', () => Buffer.alloc(0)],
  ];
  it.each(damages)('reads the tables whole, and writes a good snapshot, when the snapshot is %s', async (_name, damage) => {
    const root = await seeded();
    const path = join(root, 'index', 'snapshot.json');
    await writeFile(path, damage(await readFile(path)));
    const store = new FileStore({ root, fsync: false, snapshotAfterRows: 0 });
    expect(await view(store)).toEqual(await reference(root));
    expect(store.indexReads).toMatchObject({ snapshots: 0, whole: 1, snapshotsWritten: 1 });
    await store.close();
    const again = reader(root);
    expect(await view(again)).toEqual(await reference(root));
    expect(again.indexReads).toMatchObject({ snapshots: 1, whole: 0 });
    await again.close();
  });

  it('ignores a snapshot of other tables: a table replaced by another file, or one shorter than covered', async () => {
    const root = await seeded();
    const drafts = join(root, 'index', 'drafts.jsonl');
    // The same bytes in a new file (a new inode): the offsets may no longer hold, so the snapshot is not used.
    const text = await readFile(drafts);
    await writeFile(`${drafts}.new`, text);
    await rename(`${drafts}.new`, drafts);
    let store = reader(root);
    expect(await view(store)).toEqual(await reference(root));
    expect(store.indexReads).toMatchObject({ snapshots: 0, whole: 1 });
    await store.close();

    const fresh = await seeded();
    const listings = join(fresh, 'index', 'listings.jsonl');
    const rows = (await readFile(listings, 'utf8')).split('\n');
    // The same file cut back to its first row (no longer holding the rows the snapshot covers).
    await truncate(listings, Buffer.byteLength(`${rows[0]}\n`));
    store = reader(fresh);
    expect(await view(store)).toEqual(await reference(fresh));
    expect(store.indexReads).toMatchObject({ snapshots: 0, whole: 1 });
    await store.close();
  });

  it('is removed when the index is rebuilt from the records', async () => {
    const root = await seeded();
    // A store from before the index format (or after a crash) is re-indexed on open.
    await rm(join(root, 'index', 'built'));
    const store = reader(root);
    await store.stats();
    await expect(stat(join(root, 'index', 'snapshot.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await view(store)).toEqual(await reference(root));
    expect(store.indexReads.snapshots).toBe(0);
    await store.close();
  });

  it('answers status from the snapshot\'s counts without loading its columns when nothing was appended', async () => {
    const root = await seeded();
    const store = reader(root);
    const stats = await store.stats();
    expect(store.indexReads).toMatchObject({ snapshots: 0, whole: 0 });
    expect([stats.listings, stats.drafts]).toEqual((await reference(root)).drafts);
    await store.close();
  });

  it('writes nothing when a reader finds the snapshot current', async () => {
    const root = await seeded();
    const path = join(root, 'index', 'snapshot.json');
    const before = await stat(path);
    const store = new FileStore({ root, fsync: false, snapshotAfterRows: 0 });
    await view(store);
    expect(store.indexReads.snapshotsWritten).toBe(0);
    expect((await stat(path)).ino).toBe(before.ino);
    await store.close();
  });

  it('gives the same facts as the tables read whole after any sequence of saves, read at random points with and without snapshots', async () => {
    // A small deterministic generator, so a failure names a sequence that can be replayed.
    for (const seed of [1, 2, 3, 4, 5]) {
      let state = seed;
      const random = (n: number): number => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state % n;
      };
      const root = tempRoot();
      const writer = new FileStore({ root, fsync: false });
      const follower = new FileStore({ root, fsync: false, snapshotAfterRows: 3 });
      const revisions = new Map<string, number>();
      const statuses: DraftStatus[] = ['draft', 'changes-requested', 'approved', 'rejected', 'published', 'superseded'];
      for (let step = 0; step < 60; step += 1) {
        const listing = `l${random(5)}`;
        const action = random(10);
        if (action < 2) {
          await writer.listings.put(makeListing({ id: listing, sourceId: `s${random(3)}`, title: `T${random(4)}` }));
        } else if (action < 5 || !revisions.has(listing)) {
          const revision = (revisions.get(listing) ?? 0) + 1;
          revisions.set(listing, revision);
          await writer.drafts.save(withHash(makeDraft({ listingId: listing, revision, status: statuses[random(statuses.length)] as DraftStatus }), `h${random(3)}`), null);
        } else {
          const revision = 1 + random(revisions.get(listing) as number);
          const draft = (await writer.drafts.get(`${listing}.r${revision}`)) as Draft;
          await writer.drafts.save({ ...draft, status: statuses[random(statuses.length)] as DraftStatus }, draft.version);
        }
        if (random(4) === 0) {
          const expected = await reference(root);
          // A fresh reader (snapshot, if any, plus the rows since; it may write a new snapshot) and a long-lived one.
          const fresh = new FileStore({ root, fsync: false, snapshotAfterRows: random(6) });
          expect(await view(fresh), `seed ${seed} step ${step}`).toEqual(expected);
          await fresh.close();
          expect(await view(follower), `seed ${seed} step ${step} (follower)`).toEqual(expected);
        }
      }
      await writer.close();
      await follower.close();
    }
  });
});

describe('file store audit checkpoint', () => {
  it('counts entries and torn lines as a full read does, reading only the lines appended since the checkpoint', async () => {
    const root = tempRoot();
    const path = join(root, 'audit.jsonl');
    const writer = new FileStore({ root, fsync: false });
    for (let index = 0; index < 4; index += 1) await writer.audit.append(makeAuditEntry({ subject: `s${index}` }));
    await appendFile(path, '{"torn\n');
    await writer.audit.append(makeAuditEntry());
    const checkpointing = new FileStore({ root, fsync: false, snapshotAfterRows: 2 });
    expect(await checkpointing.stats()).toMatchObject({ auditEntries: 5, auditTornLines: [5] });
    await checkpointing.close();
    const checkpoint = JSON.parse(await readFile(join(root, 'index', 'audit-checkpoint.json'), 'utf8')) as { lines: number; entries: number; torn: number[] };
    expect(checkpoint).toMatchObject({ lines: 6, entries: 5, torn: [5] });

    // More lines, another torn one, and a last line still being written (no newline yet).
    await writer.audit.append(makeAuditEntry({ subject: 'later' }));
    await appendFile(path, 'garbage\n');
    await writer.audit.append(makeAuditEntry({ subject: 'last' }));
    await appendFile(path, '{"at":"2025');
    await writer.close();
    const store = new FileStore({ root, fsync: false, snapshotAfterRows: 1_000 });
    const stats = await store.stats();
    await store.close();
    await rm(join(root, 'index', 'audit-checkpoint.json'));
    const full = new FileStore({ root, fsync: false, snapshotAfterRows: 1_000 });
    expect(await full.stats()).toEqual(stats);
    expect(stats).toMatchObject({ auditEntries: 7, auditTornLines: [5, 8, 10] });
    expect(await full.audit.list()).toHaveLength(7);
    await full.close();
  });

  it('counts the whole log again when the checkpoint describes another file', async () => {
    const root = tempRoot();
    const path = join(root, 'audit.jsonl');
    const writer = new FileStore({ root, fsync: false, snapshotAfterRows: 1 });
    for (let index = 0; index < 3; index += 1) await writer.audit.append(makeAuditEntry());
    expect((await writer.stats()).auditEntries).toBe(3);
    await writer.close();
    // Replaced by a log of the same length with other lines: another inode and other bytes.
    const text = await readFile(path, 'utf8');
    await writeFile(`${path}.new`, text.replace(/^[^\n]*\n/, `${'x'.repeat(text.indexOf('\n'))}\n`));
    await rename(`${path}.new`, path);
    const store = new FileStore({ root, fsync: false, snapshotAfterRows: 1_000 });
    expect(await store.stats()).toMatchObject({ auditEntries: 2, auditTornLines: [1] });
    await store.close();
  });
});
