/**
 * Bulk approval is for drafts a reviewer can judge from the queue row alone; each rule below is one
 * reason a row must instead be read on its own page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DraftStatus } from '../../schemas/draft.js';
import { bulkRefusal, selectFacts, selectQueue, toQueueItem, toQueueItemFromSummary, type QueueCounts, type QueueItem, type QueueQuery } from '../../src/review/queue.js';
import { ReviewService } from '../../src/review/service.js';
import { FileStore } from '../../src/store/file-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { DraftFact, Store } from '../../src/store/store.js';
import { makeDraft, makeListing, sha256 } from '../store/records.js';

type Row = Parameters<typeof bulkRefusal>[0];
const eligible: Row = {
  status: 'draft',
  peakSeverity: 'Low',
  warnings: 0,
  staleText: 0,
  approvals: [],
  insufficientEvidence: false,
};

describe('bulkRefusal', () => {
  it('lets a Low draft with no warning, stale text, approval or evidence gap through', () => {
    expect(bulkRefusal(eligible)).toBeNull();
    expect(bulkRefusal({ ...eligible, status: 'changes-requested', peakSeverity: 'None' })).toBeNull();
  });

  const refusals: [string, Partial<Pick<QueueItem, keyof Row>>, RegExp][] = [
    ['an approved draft', { status: 'approved' }, /not awaiting review/],
    ['a draft that was High at some revision', { peakSeverity: 'High' }, /never above Low/],
    ['a draft with a warning', { warnings: 1 }, /warnings/],
    ['a draft with stale text', { staleText: 2 }, /no longer matches/],
    ['a draft holding one approval', { approvals: ['alice'] }, /second reviewer/],
    ['a Low drawn from a listing that pins too few factors', { insufficientEvidence: true }, /too few factors/],
  ];
  it.each(refusals)('refuses %s, saying why', (_name, change, reason) => {
    expect(bulkRefusal({ ...eligible, ...change })).toMatch(reason);
  });
});

describe('the queue on queue facts', () => {
  /** The queue as it was built before queue facts: every summary made a row, then selectQueue. */
  async function rowsQueue(store: Store, query: QueueQuery): Promise<{ items: QueueItem[]; counts: QueueCounts; sources: string[] }> {
    const drafts = await store.index.draftSummaries();
    const listings = await store.index.listingSummaries();
    const published = new Map<string, { revision: number; listingContentHash: string }>();
    for (const draft of drafts) if (draft.status === 'published') published.set(draft.listingId, draft);
    const rows: QueueItem[] = [];
    for (const summary of drafts) {
      const listing = listings.get(summary.listingId) ?? null;
      const last = published.get(summary.listingId);
      // Drafts stored before score ranges were recorded: their row is built from the draft.
      const legacy = summary.range === null ? await store.drafts.get(summary.id) : null;
      rows.push(
        legacy === null
          ? toQueueItemFromSummary(summary, listing, last)
          : toQueueItem(legacy, listing, last === undefined ? undefined : { revision: last.revision, provenance: { ...legacy.provenance, listingContentHash: last.listingContentHash } }),
      );
    }
    const sources = [...new Set(rows.map((row) => row.source).filter((source) => source !== ''))].sort();
    return { ...selectQueue(rows, query), sources };
  }

  async function fill(store: Store, seed: number): Promise<void> {
    let state = seed;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const statuses: DraftStatus[] = ['draft', 'changes-requested', 'approved', 'rejected', 'published', 'superseded'];
    for (let index = 0; index < 12; index += 1) {
      const listingId = `l${index}`;
      if (random(4) !== 0) await store.listings.put(makeListing({ id: listingId, sourceId: `s${random(3)}`, title: `Title ${random(5)}` }));
      const revisions = 1 + random(3);
      for (let revision = 1; revision <= revisions; revision += 1) {
        const base = makeDraft({ listingId, revision, status: statuses[random(statuses.length)] as DraftStatus, updatedAt: `2025-01-0${1 + random(3)}T00:00:00.000Z` });
        const score = random(4) * 2.5;
        await store.drafts.save(
          {
            ...base,
            score: {
              ...base.score,
              score,
              severity: score >= 7.5 ? 'High' : score >= 5 ? 'Medium' : score > 0 ? 'Low' : 'None',
              // Some drafts as stored before ranges were recorded.
              ...(random(4) === 0 ? {} : { range: { low: score, high: score + 0.5 } }),
            },
            assessment: { ...base.assessment, insufficientEvidence: random(3) === 0 },
            checks: { ...base.checks, warnings: random(3) === 0 ? [{ code: 'ungrounded-evidence', message: 'Few quotes.', where: null }] : [] },
            provenance: { ...base.provenance, listingContentHash: sha256(`h${random(2)}`) },
          },
          null,
        );
      }
    }
  }

  const queries: QueueQuery[] = [
    { sort: 'severity' },
    { sort: 'date' },
    { sort: 'severity', status: 'draft' },
    { sort: 'date', severity: 'Medium', warnings: 'no' },
    { sort: 'severity', source: 's1', evidence: 'sufficient' },
    { sort: 'severity', changed: 'yes' },
    { sort: 'date', warnings: 'yes', evidence: 'insufficient' },
  ];
  const stores: Array<[string, () => Store]> = [
    ['memory', () => new MemoryStore()],
    ['file', () => new FileStore({ root: mkdtempSync(join(tmpdir(), 'threatdraft-queue-')), fsync: false, snapshotAfterRows: 5 })],
  ];
  it.each(stores)('gives the same rows, order, counts and sources as building every row, and pages of them (%s store)', async (_name, make) => {
    for (const seed of [7, 8, 9]) {
      const store = make();
      try {
        await fill(store, seed);
        const service = new ReviewService({ store });
        for (const query of queries) {
          const expected = await rowsQueue(store, query);
          expect(await service.queue(query), `seed ${seed} ${JSON.stringify(query)}`).toEqual(expected);
          expect(await service.queue(query, { offset: 2, limit: 3 })).toEqual({ ...expected, items: expected.items.slice(2, 5) });
          expect((await service.queue(query, { offset: 100 })).items).toEqual([]);
        }
      } finally {
        await store.close();
        if (store instanceof FileStore) rmSync(store.root, { recursive: true, force: true });
      }
    }
  });
});

describe('selectFacts', () => {
  it('gives with `take` exactly the first drafts of the full order, ties on score or date broken by id', () => {
    let state = 42;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const facts: DraftFact[] = Array.from({ length: 40 }, (_, index) => ({
      id: `l${random(1000)}-${index}.r1`,
      listingId: `l${index}`,
      revision: 1,
      status: 'draft',
      score: random(4),
      severity: 'Low',
      source: '',
      hasWarnings: false,
      insufficientEvidence: false,
      changedSincePublished: false,
      updatedAt: `2025-01-0${1 + random(3)}`,
    }));
    for (const sort of ['severity', 'date'] as const) {
      const all = selectFacts(facts, { sort });
      for (let take = 0; take <= facts.length + 1; take += 1) {
        expect(selectFacts(facts, { sort }, take)).toEqual({ ...all, facts: all.facts.slice(0, take) });
      }
    }
  });
});
