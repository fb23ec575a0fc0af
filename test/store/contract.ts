/**
 * The Store contract: every implementation (memory, file, redis) runs this same suite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { draftId } from '../../schemas/draft.js';
import type { ListingVersion } from '../../schemas/listing.js';
import { MAX_LISTING_VERSIONS } from '../../src/store/common.js';
import { ConflictError, ExtractionError, InputError } from '../../src/errors.js';
import type { ReviewPolicy, Store } from '../../src/store/store.js';
import { makeAuditEntry, makeCorrection, makeDraft, makeListing, makeReviewer, sha256 } from './records.js';

/**
 * Runs the shared contract against fresh stores from `makeStore`; `cleanup` runs after each close.
 * `reopen` opens a second instance on the same data (same root or prefix); stores that keep data in
 * one process only (memory) have none, and the cross-instance cases are left out for them.
 */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<Store> | Store,
  options: { cleanup?: (store: Store) => Promise<void>; reopen?: (store: Store) => Promise<Store> | Store } = {},
): void {
  describe(`${name} store contract`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
      await options.cleanup?.(store);
    });

    describe('listings', () => {
      it('stores a new listing and reports no previous hash', async () => {
        const listing = makeListing();
        expect(await store.listings.put(listing)).toEqual({ previousHash: null });
        expect(await store.listings.get(listing.id)).toEqual(listing);
      });

      it('returns the replaced content hash when a listing is stored again', async () => {
        const first = makeListing();
        await store.listings.put(first);
        const second = makeListing({ contentHash: sha256('changed'), title: 'Changed' });
        expect(await store.listings.put(second)).toEqual({ previousHash: first.contentHash });
        expect(await store.listings.get(first.id)).toEqual(second);
      });

      it('lists ids sorted and gets many in the order asked, null where missing', async () => {
        for (const id of ['zeta', 'alpha', 'mid.dle']) await store.listings.put(makeListing({ id }));
        expect(await store.listings.ids()).toEqual(['alpha', 'mid.dle', 'zeta']);
        const many = await store.listings.getMany(['zeta', 'missing', 'alpha']);
        expect(many.map((listing) => listing?.id ?? null)).toEqual(['zeta', null, 'alpha']);
        expect(await store.listings.getMany([])).toEqual([]);
      });

      it('returns null for an unknown listing and an empty id list when empty', async () => {
        expect(await store.listings.get('nope')).toBeNull();
        expect(await store.listings.ids()).toEqual([]);
      });

      it('rejects an invalid listing, naming the field, and stores nothing', async () => {
        const bad = makeListing({ contentHash: 'not-a-hash' });
        await expect(store.listings.put(bad)).rejects.toThrow(/contentHash/);
        await expect(store.listings.put(bad)).rejects.toBeInstanceOf(ExtractionError);
        expect(await store.listings.ids()).toEqual([]);
      });

      it('hands out copies: changing a returned listing does not change the stored one', async () => {
        await store.listings.put(makeListing());
        const got = await store.listings.get('demo.agent-one');
        got!.fields.capabilities.push('mutated');
        expect((await store.listings.get('demo.agent-one'))!.fields.capabilities).toEqual(['mail']);
      });
    });

    describe('listing versions', () => {
      const version = (n: number, overrides: Partial<ListingVersion> = {}): ListingVersion => ({
        contentHash: sha256(`v${n}`),
        fetchedAt: `2026-01-0${(n % 9) + 1}T00:00:00.000Z`,
        changes: n === 1 ? [] : [{ path: 'title', change: 'altered', before: `T${n - 1}`, after: `T${n}` }],
        flags: [],
        facts: { title: `T${n}` },
        ...overrides,
      });

      it('keeps versions oldest first and starts empty', async () => {
        expect(await store.listings.versions('demo.agent-one')).toEqual([]);
        expect(await store.listings.addVersion('demo.agent-one', version(1))).toBe(true);
        expect(await store.listings.addVersion('demo.agent-one', version(2, { flags: ['possible-rug-pull'] }))).toBe(true);
        expect(await store.listings.versions('demo.agent-one')).toEqual([version(1), version(2, { flags: ['possible-rug-pull'] })]);
        expect(await store.listings.versions('demo.other')).toEqual([]);
      });

      it('does not add a version whose hash is the newest one again (a repeated crawl)', async () => {
        await store.listings.addVersion('demo.agent-one', version(1));
        expect(await store.listings.addVersion('demo.agent-one', version(1, { fetchedAt: '2026-02-01T00:00:00.000Z' }))).toBe(false);
        expect(await store.listings.versions('demo.agent-one')).toHaveLength(1);
      });

      it(`keeps only the newest ${MAX_LISTING_VERSIONS}`, async () => {
        for (let n = 1; n <= MAX_LISTING_VERSIONS + 3; n++) await store.listings.addVersion('demo.agent-one', version(n));
        const kept = await store.listings.versions('demo.agent-one');
        expect(kept).toHaveLength(MAX_LISTING_VERSIONS);
        expect(kept[0]!.contentHash).toBe(sha256('v4'));
        expect(kept.at(-1)!.contentHash).toBe(sha256(`v${MAX_LISTING_VERSIONS + 3}`));
      });

      it('refuses an invalid version or listing id, naming the field, and stores nothing', async () => {
        await expect(store.listings.addVersion('demo.agent-one', version(1, { contentHash: 'nope' }))).rejects.toThrow(/contentHash/);
        await expect(store.listings.addVersion('../escape', version(1))).rejects.toBeInstanceOf(InputError);
        expect(await store.listings.versions('demo.agent-one')).toEqual([]);
      });
    });

    describe('drafts', () => {
      it('saves a new draft with expected version null as version 1', async () => {
        const saved = await store.drafts.save(makeDraft({ version: 7 }), null);
        expect(saved.version).toBe(1);
        expect(await store.drafts.get(saved.id)).toEqual(saved);
      });

      it('refuses to create a draft that already exists', async () => {
        const saved = await store.drafts.save(makeDraft(), null);
        await expect(store.drafts.save(makeDraft({ status: 'approved' }), null)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.drafts.get(saved.id)).toEqual(saved);
      });

      it('saves again with the stored version and bumps it', async () => {
        const first = await store.drafts.save(makeDraft(), null);
        const second = await store.drafts.save({ ...first, status: 'approved', updatedAt: '2025-02-02T00:00:00.000Z' }, 1);
        expect(second.version).toBe(2);
        expect(second.status).toBe('approved');
        expect(await store.drafts.get(first.id)).toEqual(second);
      });

      it('rejects a stale version with ConflictError and leaves the stored draft unchanged', async () => {
        const first = await store.drafts.save(makeDraft(), null);
        const second = await store.drafts.save({ ...first, status: 'approved' }, 1);
        const stale = store.drafts.save({ ...first, status: 'rejected' }, 1);
        await expect(stale).rejects.toBeInstanceOf(ConflictError);
        await expect(store.drafts.save({ ...first, status: 'rejected' }, 1)).rejects.toMatchObject({
          code: 'E_CONFLICT',
          context: { id: first.id, expectedVersion: 1, storedVersion: 2 },
        });
        expect(await store.drafts.get(first.id)).toEqual(second);
        expect(await store.drafts.list({ status: ['rejected'] })).toEqual([]);
      });

      it('rejects a version for a draft that does not exist', async () => {
        await expect(store.drafts.save(makeDraft(), 3)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.drafts.get(draftId('demo.agent-one', 1))).toBeNull();
      });

      it('rejects a draft whose id is not <listingId>.r<revision>, writing nothing', async () => {
        await expect(store.drafts.save({ ...makeDraft(), id: 'something-else' }, null)).rejects.toBeInstanceOf(InputError);
        await expect(store.drafts.save(makeDraft({ listingId: '../escape' }), null)).rejects.toThrow(/listingId/);
        expect(await store.drafts.list()).toEqual([]);
      });

      it('rejects a draft failing its schema, naming the field', async () => {
        const bad = { ...makeDraft(), revision: 0, id: 'demo.agent-one.r0' };
        await expect(store.drafts.save(bad, null)).rejects.toThrow(/revision/);
        expect(await store.drafts.list()).toEqual([]);
      });

      it('returns the newest revision as current, whatever its status', async () => {
        await store.drafts.save(makeDraft({ revision: 1 }), null);
        await store.drafts.save(makeDraft({ revision: 3, status: 'rejected' }), null);
        await store.drafts.save(makeDraft({ revision: 2, status: 'approved' }), null);
        await store.drafts.save(makeDraft({ listingId: 'other', revision: 9 }), null);
        const current = await store.drafts.current('demo.agent-one');
        expect(current?.id).toBe('demo.agent-one.r3');
        expect(current?.status).toBe('rejected');
        expect(await store.drafts.current('unknown')).toBeNull();
      });

      it('returns the newest revision of each listing asked for, in the order asked, null where a listing has none', async () => {
        await store.drafts.save(makeDraft({ revision: 1 }), null);
        await store.drafts.save(makeDraft({ revision: 3, status: 'rejected' }), null);
        await store.drafts.save(makeDraft({ revision: 2, status: 'approved' }), null);
        await store.drafts.save(makeDraft({ listingId: 'other', revision: 9 }), null);
        const many = await store.drafts.currentMany(['other', 'unknown', 'demo.agent-one', 'other']);
        expect(many.map((draft) => draft?.id ?? null)).toEqual(['other.r9', null, 'demo.agent-one.r3', 'other.r9']);
        expect(many[2]).toEqual(await store.drafts.current('demo.agent-one'));
        expect(await store.drafts.currentMany([])).toEqual([]);
      });

      it('answers a batch longer than one store round (over 500 listings) in the order asked', async () => {
        const ids = Array.from({ length: 1_100 }, (_, index) => `bulk-${String(index).padStart(4, '0')}`);
        for (const [index, revision] of [[0, 1], [600, 2], [1_099, 4]] as const) {
          await store.drafts.save(makeDraft({ listingId: ids[index]!, revision }), null);
        }
        const many = await store.drafts.currentMany(ids);
        expect(many).toHaveLength(1_100);
        expect(many.flatMap((draft, index) => (draft === null ? [] : [[index, draft.id]]))).toEqual([
          [0, 'bulk-0000.r1'],
          [600, 'bulk-0600.r2'],
          [1_099, 'bulk-1099.r4'],
        ]);
      });

      it('hands out copies from currentMany: changing a returned draft does not change the stored one', async () => {
        await store.drafts.save(makeDraft({ revision: 1 }), null);
        const [first] = await store.drafts.currentMany(['demo.agent-one']);
        first!.status = 'approved';
        expect((await store.drafts.current('demo.agent-one'))?.status).toBe('draft');
      });

      it('returns null for unknown or malformed draft ids', async () => {
        expect(await store.drafts.get('demo.agent-one.r1')).toBeNull();
        expect(await store.drafts.get('no-revision')).toBeNull();
        expect(await store.drafts.get('../../etc/passwd.r1')).toBeNull();
      });

      it('lists by status and listing id, sorted by listing then numeric revision, with paging', async () => {
        await store.drafts.save(makeDraft({ listingId: 'b', revision: 10 }), null);
        await store.drafts.save(makeDraft({ listingId: 'b', revision: 2, status: 'approved' }), null);
        await store.drafts.save(makeDraft({ listingId: 'a', revision: 1, status: 'rejected' }), null);
        await store.drafts.save(makeDraft({ listingId: 'c', revision: 1, status: 'approved' }), null);
        const ids = async (filter?: Parameters<Store['drafts']['list']>[0]): Promise<string[]> =>
          (await store.drafts.list(filter)).map((draft) => draft.id);
        expect(await ids()).toEqual(['a.r1', 'b.r2', 'b.r10', 'c.r1']);
        expect(await ids({ status: ['approved'] })).toEqual(['b.r2', 'c.r1']);
        expect(await ids({ status: ['approved', 'rejected'] })).toEqual(['a.r1', 'b.r2', 'c.r1']);
        expect(await ids({ listingId: 'b' })).toEqual(['b.r2', 'b.r10']);
        expect(await ids({ listingId: 'b', status: ['draft'] })).toEqual(['b.r10']);
        expect(await ids({ status: [] })).toEqual([]);
        expect(await ids({ listingId: 'none' })).toEqual([]);
        expect(await ids({ offset: 1, limit: 2 })).toEqual(['b.r2', 'b.r10']);
        expect(await ids({ status: ['approved', 'rejected'], offset: 2 })).toEqual(['c.r1']);
        expect(await ids({ limit: 0 })).toEqual([]);
        await expect(store.drafts.list({ limit: -1 })).rejects.toBeInstanceOf(InputError);
      });

      it('moves a draft between status filters when its status changes', async () => {
        const saved = await store.drafts.save(makeDraft(), null);
        await store.drafts.save({ ...saved, status: 'approved' }, saved.version);
        expect(await store.drafts.list({ status: ['draft'] })).toEqual([]);
        expect((await store.drafts.list({ status: ['approved'] })).map((draft) => draft.version)).toEqual([2]);
      });

      it('lets exactly one of 20 parallel saves at the same expected version win', async () => {
        const base = await store.drafts.save(makeDraft(), null);
        const attempts = Array.from({ length: 20 }, (_, index) =>
          store.drafts.save({ ...base, updatedAt: `attempt-${index}` }, base.version),
        );
        const results = await Promise.allSettled(attempts);
        const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const reason of lost) expect(reason).toBeInstanceOf(ConflictError);
        expect(await store.drafts.get(base.id)).toEqual({ ...won[0], version: 2 });
      });

      it('appends the audit entry given with a save, and none with a save that conflicts or fails its schema', async () => {
        const created = makeAuditEntry({ action: 'draft.create', subject: 'demo.agent-one.r1' });
        const first = await store.drafts.save(makeDraft(), null, { audit: created });
        const approved = makeAuditEntry({ action: 'approve', subject: first.id, actor: 'bob' });
        await store.drafts.save({ ...first, status: 'approved' }, 1, { audit: approved });
        await expect(store.drafts.save({ ...first, status: 'rejected' }, 1, { audit: makeAuditEntry({ action: 'stale' }) })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.drafts.save(makeDraft(), null, { audit: makeAuditEntry({ action: 'again' }) })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.drafts.save({ ...first, score: null } as never, 2, { audit: makeAuditEntry({ action: 'invalid' }) })).rejects.toBeInstanceOf(ExtractionError);
        expect(await store.audit.list()).toEqual([created, approved]);
      });

      it('refuses a save whose audit entry is invalid, naming the field, and writes neither', async () => {
        await expect(store.drafts.save(makeDraft(), null, { audit: makeAuditEntry({ actor: '' }) })).rejects.toThrow(/actor/);
        expect(await store.drafts.list()).toEqual([]);
        expect(await store.audit.list()).toEqual([]);
      });

      it('lets exactly one of 20 parallel creations of the same draft win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, index) => store.drafts.save(makeDraft({ updatedAt: `creator-${index}` }), null)),
        );
        const won = results.filter((result) => result.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<Store['drafts']['save']>>>).value;
        expect(await store.drafts.get(winner.id)).toEqual(winner);
      });
    });

    describe('audit', () => {
      it('lists appended entries in order, optionally for one subject', async () => {
        const entries = [
          makeAuditEntry({ action: 'edit', subject: 'x.r1', detail: { field: 'factors.autonomyOfAction', from: 0.5, to: 0.7 } }),
          makeAuditEntry({ action: 'approve', subject: 'y.r1' }),
          makeAuditEntry({ action: 'approve', subject: 'x.r1', actor: 'bob' }),
        ];
        for (const entry of entries) await store.audit.append(entry);
        expect(await store.audit.list()).toEqual(entries);
        expect(await store.audit.list({ subject: 'x.r1' })).toEqual([entries[0], entries[2]]);
        expect(await store.audit.list({ subject: 'none' })).toEqual([]);
      });

      it('rejects an entry without an actor, naming the field', async () => {
        await expect(store.audit.append(makeAuditEntry({ actor: '' }))).rejects.toThrow(/actor/);
        expect(await store.audit.list()).toEqual([]);
      });
    });

    describe('cache', () => {
      it('gets what was set, per namespace, until deleted', async () => {
        expect(await store.cache.get('fetch', 'https://a.example/')).toBeNull();
        const value = { status: 200, body: 'héllo', nested: [1, { deep: null }] };
        await store.cache.set('fetch', 'https://a.example/', value);
        await store.cache.set('model', 'https://a.example/', 'other');
        expect(await store.cache.get('fetch', 'https://a.example/')).toEqual(value);
        expect(await store.cache.get('model', 'https://a.example/')).toBe('other');
        await store.cache.set('fetch', 'https://a.example/', 42);
        expect(await store.cache.get('fetch', 'https://a.example/')).toBe(42);
        await store.cache.delete('fetch', 'https://a.example/');
        await store.cache.delete('fetch', 'never-set');
        expect(await store.cache.get('fetch', 'https://a.example/')).toBeNull();
        expect(await store.cache.get('model', 'https://a.example/')).toBe('other');
      });

      it('keeps null and false values distinct from a miss where JSON allows', async () => {
        await store.cache.set('ns', 'f', false);
        await store.cache.set('ns', 'z', 0);
        expect(await store.cache.get('ns', 'f')).toBe(false);
        expect(await store.cache.get('ns', 'z')).toBe(0);
      });

      it('refuses a namespace that could escape its place', async () => {
        await expect(store.cache.set('../up', 'k', 1)).rejects.toBeInstanceOf(InputError);
        await expect(store.cache.get('a/b', 'k')).rejects.toBeInstanceOf(InputError);
      });
    });

    describe('reviewers', () => {
      it('adds, lists by name, finds by token hash and removes', async () => {
        const bob = makeReviewer('bob');
        const alice = makeReviewer('alice');
        await store.reviewers.add(bob);
        await store.reviewers.add(alice);
        expect(await store.reviewers.list()).toEqual([alice, bob]);
        expect(await store.reviewers.findByTokenHash(bob.tokenHash)).toEqual(bob);
        expect(await store.reviewers.findByTokenHash(sha256('unknown'))).toBeNull();
        expect(await store.reviewers.remove('bob')).toBe(true);
        expect(await store.reviewers.remove('bob')).toBe(false);
        expect(await store.reviewers.findByTokenHash(bob.tokenHash)).toBeNull();
        expect(await store.reviewers.list()).toEqual([alice]);
      });

      it('refuses a taken name or token hash with ConflictError', async () => {
        await store.reviewers.add(makeReviewer('alice'));
        await expect(store.reviewers.add({ ...makeReviewer('alice'), tokenHash: sha256('new') })).rejects.toBeInstanceOf(
          ConflictError,
        );
        await expect(store.reviewers.add({ ...makeReviewer('carol'), tokenHash: makeReviewer('alice').tokenHash })).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect((await store.reviewers.list()).map((reviewer) => reviewer.name)).toEqual(['alice']);
      });

      it('rejects a token that is not a sha256 hash', async () => {
        await expect(store.reviewers.add({ ...makeReviewer('eve'), tokenHash: 'plain-token' })).rejects.toThrow(/tokenHash/);
        expect(await store.reviewers.list()).toEqual([]);
      });
    });

    describe('policy', () => {
      const policy = (overrides: Partial<ReviewPolicy> = {}): ReviewPolicy => ({
        twoPerson: true,
        setBy: 'root',
        at: '2025-03-01T12:00:00.000Z',
        ...overrides,
      });

      it('gives null until a policy is set, then what was set; a later set replaces it', async () => {
        expect(await store.policy.get()).toBeNull();
        await store.policy.set(policy());
        expect(await store.policy.get()).toEqual(policy());
        await store.policy.set(policy({ twoPerson: false, setBy: 'ops', at: '2025-03-02T08:30:00.000Z' }));
        expect(await store.policy.get()).toEqual({ twoPerson: false, setBy: 'ops', at: '2025-03-02T08:30:00.000Z' });
      });

      it('hands out copies: changing a returned policy does not change the stored one', async () => {
        await store.policy.set(policy());
        const got = await store.policy.get();
        got!.twoPerson = false;
        expect(await store.policy.get()).toEqual(policy());
      });

      it.each([
        ['twoPerson', { twoPerson: 'yes' }],
        ['setBy', { setBy: '' }],
        ['at', { at: 'yesterday' }],
      ])('rejects a policy with a bad `%s`, naming it, and stores nothing', async (field, overrides) => {
        const bad = { ...policy(), ...overrides } as unknown as ReviewPolicy;
        const error = await store.policy.set(bad).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ExtractionError);
        expect((error as Error).message).toContain(`\`${field}\``);
        expect(await store.policy.get()).toBeNull();
        await store.policy.set(policy());
        await expect(store.policy.set(bad)).rejects.toBeInstanceOf(ExtractionError);
        expect(await store.policy.get()).toEqual(policy());
      });

      if (options.reopen !== undefined) {
        const reopen = options.reopen;
        it('is seen at once by a second instance on the same data, in both directions', async () => {
          const other = await reopen(store);
          try {
            expect(await other.policy.get()).toBeNull();
            await store.policy.set(policy());
            expect(await other.policy.get()).toEqual(policy());
            await other.policy.set(policy({ twoPerson: false, setBy: 'other' }));
            expect(await store.policy.get()).toEqual(policy({ twoPerson: false, setBy: 'other' }));
          } finally {
            await other.close();
          }
        });
      }
    });

    describe('corrections', () => {
      it('saves a new correction at version 1, gets it, and refuses to create it twice', async () => {
        const saved = await store.corrections.save(makeCorrection(), null);
        expect(saved.version).toBe(1);
        expect(await store.corrections.get(saved.id)).toEqual(saved);
        await expect(store.corrections.save(makeCorrection(), null)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.corrections.get(`c-${'f'.repeat(24)}`)).toBeNull();
        expect(await store.corrections.get('../etc/passwd')).toBeNull();
      });

      it('compare-and-sets a decision: a stale version is a ConflictError and writes nothing', async () => {
        const saved = await store.corrections.save(makeCorrection(), null);
        const decision = { by: 'alice', at: '2025-03-02T00:00:00.000Z', reply: 'Thanks', draftId: 'acme-agent.r2' };
        const accepted = await store.corrections.save({ ...saved, status: 'accepted', decision }, 1);
        expect([accepted.version, accepted.status]).toEqual([2, 'accepted']);
        await expect(store.corrections.save({ ...saved, status: 'declined' }, 1)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.corrections.get(saved.id)).toEqual(accepted);
      });

      it('lists oldest first and filters by status and listing', async () => {
        const late = await store.corrections.save(makeCorrection({ id: `c-${'b'.repeat(24)}`, createdAt: '2025-03-05T00:00:00.000Z' }), null);
        const early = await store.corrections.save(makeCorrection({ id: `c-${'a'.repeat(24)}`, createdAt: '2025-03-01T00:00:00.000Z', listingId: 'other' }), null);
        const done = await store.corrections.save(makeCorrection({ id: `c-${'c'.repeat(24)}`, createdAt: '2025-03-06T00:00:00.000Z', status: 'declined', decision: { by: 'bob', at: '2025-03-06T00:00:00.000Z', reply: 'No', draftId: null } }), null);
        expect((await store.corrections.list()).map((c) => c.id)).toEqual([early.id, late.id, done.id]);
        expect((await store.corrections.list({ status: ['open'] })).map((c) => c.id)).toEqual([early.id, late.id]);
        expect((await store.corrections.list({ listingId: 'other' })).map((c) => c.id)).toEqual([early.id]);
      });

      it('rejects an invalid correction, naming the field, and stores nothing', async () => {
        await expect(store.corrections.save(makeCorrection({ message: 'short' }), null)).rejects.toBeInstanceOf(ExtractionError);
        expect(await store.corrections.list()).toEqual([]);
      });
    });

    describe('index', () => {
      it('gives the rerun entries recorded, only while each names its listing\'s newest revision', async () => {
        const first = await store.drafts.save(makeDraft({ listingId: 'a' }), null);
        await store.drafts.save(makeDraft({ listingId: 'b' }), null);
        const entry = (id: string, draft: string) => ({ contentHash: sha256(id), draftId: draft, profileKey: sha256('profile') });
        await store.index.recordAssessed([
          ['a', entry('a', first.id)],
          ['b', entry('b', 'b.r1')],
        ]);
        expect(Object.fromEntries(await store.index.assessed())).toEqual({ a: entry('a', first.id), b: entry('b', 'b.r1') });
        await store.drafts.save(makeDraft({ listingId: 'a', revision: 2 }), null);
        expect([...(await store.index.assessed()).keys()]).toEqual(['b']);
        await store.index.recordAssessed([['a', entry('a', 'a.r2')]]);
        expect((await store.index.assessed()).get('a')).toEqual(entry('a', 'a.r2'));
      });

      it('gives only the named listings\' rerun entries when asked for some, leaving out unknown ids', async () => {
        const entry = (id: string, draft: string) => ({ contentHash: sha256(id), draftId: draft, profileKey: sha256('profile') });
        for (const id of ['a', 'b', 'c']) await store.drafts.save(makeDraft({ listingId: id }), null);
        await store.index.recordAssessed(['a', 'b', 'c'].map((id) => [id, entry(id, `${id}.r1`)] as const));
        expect(Object.fromEntries(await store.index.assessed(['c', 'a', 'nobody']))).toEqual({ c: entry('c', 'c.r1'), a: entry('a', 'a.r1') });
        expect((await store.index.assessed([])).size).toBe(0);
        await store.drafts.save(makeDraft({ listingId: 'c', revision: 2 }), null);
        expect([...(await store.index.assessed(['c', 'b'])).keys()]).toEqual(['b']);
      });

      it('summarises every draft at its stored version, sorted by listing and revision', async () => {
        const draft = await store.drafts.save(makeDraft({ listingId: 'b', revision: 10 }), null);
        await store.drafts.save(makeDraft({ listingId: 'b', revision: 9 }), null);
        await store.drafts.save(makeDraft({ listingId: 'a' }), null);
        await store.drafts.save({ ...draft, status: 'approved', reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: draft.createdAt }] }, 1);
        const summaries = await store.index.draftSummaries();
        expect(summaries.map((summary) => [summary.id, summary.version, summary.status])).toEqual([
          ['a.r1', 1, 'draft'],
          ['b.r9', 1, 'draft'],
          ['b.r10', 2, 'approved'],
        ]);
        expect(summaries[2]).toMatchObject({ listingId: 'b', revision: 10, score: draft.score.score, severity: draft.score.severity, reviews: [{ action: 'approve', reviewer: 'alice' }], listingContentHash: draft.provenance.listingContentHash });
      });

      it('summarises listings, the newest put of each, leaving out ids not stored', async () => {
        await store.listings.put(makeListing({ id: 'a', title: 'Old' }));
        const listing = makeListing({ id: 'a', title: 'New' });
        await store.listings.put(listing);
        await store.listings.put(makeListing({ id: 'b' }));
        expect((await store.index.listingSummaries(['a', 'missing'])).get('a')).toEqual({
          id: 'a',
          title: 'New',
          sourceId: listing.sourceId,
          contentHash: listing.contentHash,
          url: listing.url,
          repo: listing.repo !== undefined,
        });
        expect([...(await store.index.listingSummaries(['a', 'missing'])).keys()]).toEqual(['a']);
        expect([...(await store.index.listingSummaries()).keys()].sort()).toEqual(['a', 'b']);
      });

      it("gives every listing's id and content hash, the newest put of each, sorted by id", async () => {
        expect(await store.index.listingRefs()).toEqual([]);
        await store.listings.put(makeListing({ id: 'c' }));
        await store.listings.put(makeListing({ id: 'a', title: 'Old' }));
        const changed = makeListing({ id: 'a', title: 'New', contentHash: sha256('a, changed') });
        await store.listings.put(changed);
        const c = await store.listings.get('c');
        expect(await store.index.listingRefs()).toEqual([
          { id: 'a', contentHash: changed.contentHash },
          { id: 'c', contentHash: c?.contentHash },
        ]);
      });
    });

    describe('queue facts', () => {
      const withHash = (draft: ReturnType<typeof makeDraft>, hash: string) => ({ ...draft, provenance: { ...draft.provenance, listingContentHash: sha256(hash) } });

      it('gives every draft\'s facts: its listing\'s source, warnings, evidence, and whether it assesses content changed since the listing\'s last published revision', async () => {
        await store.listings.put(makeListing({ id: 'a' }));
        await store.listings.put(makeListing({ id: 'b', sourceId: 'other' }));
        await store.drafts.save(withHash(makeDraft({ listingId: 'a', status: 'superseded' }), 'v0'), null);
        await store.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 2, status: 'published' }), 'v1'), null);
        await store.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 3 }), 'v2'), null);
        await store.drafts.save(withHash(makeDraft({ listingId: 'a', revision: 4, updatedAt: '2025-02-01T00:00:00.000Z' }), 'v1'), null);
        const warned = makeDraft({ listingId: 'b' });
        await store.drafts.save(
          { ...warned, assessment: { ...warned.assessment, insufficientEvidence: true }, checks: { ...warned.checks, warnings: [{ code: 'ungrounded-evidence', message: 'Few quotes.', where: null }] } },
          null,
        );
        await store.drafts.save(makeDraft({ listingId: 'c', status: 'approved' }), null);
        const facts = await store.index.queueFacts();
        expect(facts.listings).toBe(2);
        const base = { score: 9.6, severity: 'Critical', hasWarnings: false, insufficientEvidence: false, changedSincePublished: false, updatedAt: '2025-01-01T00:00:00.000Z' };
        expect([...facts.drafts].sort((x, y) => (x.id < y.id ? -1 : 1))).toEqual([
          { ...base, id: 'a.r1', listingId: 'a', revision: 1, status: 'superseded', source: 'demo' },
          { ...base, id: 'a.r2', listingId: 'a', revision: 2, status: 'published', source: 'demo' },
          { ...base, id: 'a.r3', listingId: 'a', revision: 3, status: 'draft', source: 'demo', changedSincePublished: true },
          { ...base, id: 'a.r4', listingId: 'a', revision: 4, status: 'draft', source: 'demo', updatedAt: '2025-02-01T00:00:00.000Z' },
          { ...base, id: 'b.r1', listingId: 'b', revision: 1, status: 'draft', source: 'other', hasWarnings: true, insufficientEvidence: true },
          { ...base, id: 'c.r1', listingId: 'c', revision: 1, status: 'approved', source: '' },
        ]);
      });

      it('reads the summaries of the drafts named, in that order, with their stored listings', async () => {
        await store.listings.put(makeListing({ id: 'a', title: 'Agent A' }));
        await store.drafts.save(makeDraft({ listingId: 'a' }), null);
        const draft = await store.drafts.save(makeDraft({ listingId: 'b' }), null);
        await store.drafts.save({ ...draft, status: 'approved', reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: draft.createdAt }] }, 1);
        const summaries = new Map((await store.index.draftSummaries()).map((summary) => [summary.id, summary]));
        const facts = await store.index.queueFacts();
        const rows = await facts.rows(['b.r1', 'a.r1']);
        expect(rows.drafts).toEqual([summaries.get('b.r1'), summaries.get('a.r1')]);
        expect(rows.drafts[0]).toMatchObject({ version: 2, status: 'approved', reviews: [{ action: 'approve', reviewer: 'alice' }] });
        expect([...rows.listings.values()]).toEqual([(await store.index.listingSummaries(['a'])).get('a')]);
        expect((await facts.rows([])).drafts).toEqual([]);
        await expect(facts.rows(['nobody.r1'])).rejects.toThrow(/nobody\.r1/);
      });

      it('sees drafts and listings saved after an earlier read', async () => {
        await store.drafts.save(makeDraft({ listingId: 'a' }), null);
        expect((await store.index.queueFacts()).drafts.map((fact) => fact.source)).toEqual(['']);
        await store.listings.put(makeListing({ id: 'a', sourceId: 'later' }));
        await store.drafts.save(makeDraft({ listingId: 'a', revision: 2 }), null);
        const facts = await store.index.queueFacts();
        expect(facts.drafts.map((fact) => [fact.id, fact.source]).sort()).toEqual([
          ['a.r1', 'later'],
          ['a.r2', 'later'],
        ]);
        expect(facts.listings).toBe(1);
      });
    });

    describe('stats', () => {
      it('counts listings, drafts per status, reviewers and audit entries', async () => {
        await store.listings.put(makeListing({ id: 'a' }));
        await store.listings.put(makeListing({ id: 'b' }));
        const draft = await store.drafts.save(makeDraft({ listingId: 'a' }), null);
        await store.drafts.save({ ...draft, status: 'approved' }, 1);
        await store.drafts.save(makeDraft({ listingId: 'b' }), null);
        await store.reviewers.add(makeReviewer('alice'));
        await store.audit.append(makeAuditEntry());
        const stats = await store.stats();
        expect(stats).toEqual({
          listings: 2,
          drafts: { draft: 1, 'changes-requested': 0, approved: 1, rejected: 0, published: 0, superseded: 0 },
          reviewers: 1,
          auditEntries: 1,
          auditTornLines: [],
        });
      });
    });
  });
}
