/**
 * The file store (default, `./.threatdraft/`): one JSON file per record, replaced atomically;
 * compare-and-set on drafts under a per-draft lock file, so it holds across processes; an
 * append-only JSONL audit log. Every file read is validated and a bad one is named in the error.
 *
 * Layout: `listings/<id>.json`, `listing-versions/<id>.json`, `drafts/<listingId>/r<revision>.json`, `reviewers.json`,
 * `policy.json`, `audit.jsonl`, `cache/<namespace>/<sha256(key)>.json`, `corrections/<id>.json`.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { correctionSchema } from '../../schemas/correction.js';
import { draftId, draftSchema, type Draft } from '../../schemas/draft.js';
import { z } from 'zod';
import { listingSchema, listingVersionSchema, type Listing, type ListingVersion } from '../../schemas/listing.js';
import { ExtractionError } from '../errors.js';
import {
  appendVersion,
  cacheKeyHash,
  checkVersion,
  checkAuditEntry,
  checkCorrection,
  checkDraft,
  compareCorrections,
  matchesCorrection,
  checkListing,
  checkNamespace,
  checkPolicy,
  checkReviewer,
  compareDraftIds,
  draftSummary,
  emptyStatusCounts,
  listingSummary,
  isSafeId,
  matchesFilter,
  nextVersion,
  pageBounds,
  parseDraftId,
  parseJsonText,
  parseRecord,
  reviewerSchema,
  reviewerTaken,
  reviewPolicySchema,
} from './common.js';
import { diskFullError, errnoCode, FileLocks, isTempName, NODE_FS, readFileOrNull, sweepTempFile, writeFileAtomic, type LockOptions, type WriteFs } from './fs-atomic.js';
import { processAlive } from '../process-alive.js';
import { appendWhole, GroupCommit, type Append } from './group-commit.js';
import { JsonlTable } from './jsonl-table.js';
import { COMPACT_ROWS, countAudit, FactsIndex, listingRowOf } from './index-snapshot.js';
import { rowsWithListings } from './queue-facts.js';
import type {
  AssessedEntry,
  AuditEntry,
  DraftSummary,
  ListingSummary,
  StoreIndex,
  AuditLog,
  CacheRepo,
  CorrectionRepo,
  DraftFilter,
  DraftRepo,
  ListingRepo,
  PolicyRepo,
  Reviewer,
  ReviewerRepo,
  Store,
  StoreStats,
} from './store.js';

/** Options for {@link FileStore}. */
export interface FileStoreOptions {
  /** The root directory. @default './.threatdraft' */
  root?: string;
  /** Fsync files and directories on every write (off only for throwaway data). @default true */
  fsync?: boolean;
  /** Lock timing for compare-and-set. */
  locks?: LockOptions;
  /** Temp files older than this, left by a crashed writer, are removed when a scan meets them. @default 600000 */
  tempMaxAgeMs?: number;
  /** Parsed drafts kept in memory for repeated reads. @default 2000 */
  draftCacheLimit?: number;
  /** The file operations writes go through (tests stand in a full disk). @default node:fs/promises */
  fs?: WriteFs;
  /**
   * Cache namespaces kept as one append-only JSONL file (`cache/<namespace>.jsonl`), read once per
   * process instead of one file per key: small, hot entries such as the fetch cache. @default ['fetch']
   */
  packedNamespaces?: readonly string[];
  /**
   * Index rows (or audit lines) a reader reads past the index snapshot (or the audit checkpoint)
   * before it writes a new one (src/store/index-snapshot.ts). @default 1000
   */
  snapshotAfterRows?: number;
}

/** The index format; a store whose `index/built` holds another is re-indexed. */
const INDEX_FORMAT = '2';
const HOST = hostname();

const str = (value: unknown): value is string => typeof value === 'string';

const DRAFT_FILE = /^r([1-9][0-9]{0,8})\.json$/;
const LISTING_FILE = /^(.+)\.json$/;
const READ_CONCURRENCY = 32;

interface CachedDraft {
  ino: number;
  size: number;
  mtimeMs: number;
  draft: Draft;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** A Store over a directory tree; safe to share between processes on one machine. */
export class FileStore implements Store {
  readonly kind = 'file' as const;
  readonly root: string;
  readonly listings: ListingRepo;
  readonly drafts: DraftRepo;
  readonly audit: AuditLog;
  readonly cache: CacheRepo;
  readonly reviewers: ReviewerRepo;
  readonly policy: PolicyRepo;
  readonly corrections: CorrectionRepo;
  readonly index: StoreIndex;

  #fsync: boolean;
  #commit: GroupCommit;
  #packed: ReadonlySet<string>;
  #packedTables = new Map<string, Promise<Map<string, unknown>>>();
  #draftTable: JsonlTable<DraftSummary>;
  #listingTable: JsonlTable<ListingSummary>;
  /** The queue facts, from `index/snapshot.json` plus the index rows appended since (src/store/index-snapshot.ts). */
  #facts: FactsIndex;
  /** This process's writer marker (`index/open-<host>-<pid>-<token>`): present while it may have unindexed writes. */
  #marker: Promise<void> | null = null;
  #markerPath: string;
  #indexChecked: Promise<void> | null = null;
  #listingView: Map<string, ListingSummary> | null = null;
  #listingWrites = 0;
  #listingViewWrites = -1;
  #fs: WriteFs;
  #snapshotAfterRows: number;
  #tempMaxAgeMs: number;
  #locks: FileLocks;
  /**
   * Parsed drafts keyed by path, reused while inode, size and mtime are unchanged (a rename makes a
   * new inode). Bounded, least recently used out first, so a large directory does not hold every
   * draft in memory.
   */
  #draftCache = new Map<string, CachedDraft>();
  #draftCacheLimit: number;

  constructor(options: FileStoreOptions = {}) {
    this.root = resolve(options.root ?? './.threatdraft');
    this.#fsync = options.fsync ?? true;
    this.#tempMaxAgeMs = options.tempMaxAgeMs ?? 600_000;
    this.#fs = options.fs ?? NODE_FS;
    this.#locks = new FileLocks({ ...options.locks, fs: this.#fs });
    this.#draftCacheLimit = options.draftCacheLimit ?? 2_000;
    this.#snapshotAfterRows = options.snapshotAfterRows ?? COMPACT_ROWS;
    this.#commit = new GroupCommit({ fsync: this.#fsync, fs: this.#fs });
    this.#packed = new Set(options.packedNamespaces ?? ['fetch']);
    this.#draftTable = new JsonlTable(this.#path('index', 'drafts.jsonl'), parseDraftRow);
    this.#listingTable = new JsonlTable(this.#path('index', 'listings.jsonl'), parseListingRow);
    this.#facts = new FactsIndex({
      draftsPath: this.#draftTable.path,
      listingsPath: this.#listingTable.path,
      snapshotPath: this.#path('index', 'snapshot.json'),
      // A snapshot can be rebuilt from the tables, and a torn one is refused: no fsync.
      write: (path, text) => writeFileAtomic(path, text, { fsync: false, fs: this.#fs }),
      fullRows: (ids) => this.#fullRows(ids),
      compactRows: this.#snapshotAfterRows,
    });
    this.#markerPath = this.#path('index', `open-${HOST}-${process.pid}-${randomBytes(6).toString('hex')}`);
    this.listings = this.#listingRepo();
    this.drafts = this.#draftRepo();
    this.audit = this.#auditLog();
    this.cache = this.#cacheRepo();
    this.reviewers = this.#reviewerRepo();
    this.policy = this.#policyRepo();
    this.corrections = this.#correctionRepo();
    this.index = this.#indexRepo();
  }

  /** Batches flushed and writes acknowledged by the group commit (for tests and the bench). */
  get commitCounters(): { batches: number; writes: number } {
    return { ...this.#commit.counters };
  }

  /** How this store read its queue facts: from the index snapshot or the tables whole, rows read, snapshots written (for tests). */
  get indexReads(): { snapshots: number; whole: number; rows: number; snapshotsWritten: number } {
    return this.#facts.reads;
  }

  #path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Lists a directory's entries, skipping temp files and sweeping old ones. */
  async #scan(dir: string): Promise<string[]> {
    const names = await readdirOrEmpty(dir);
    const now = Date.now();
    const kept: string[] = [];
    for (const name of names) {
      if (isTempName(name)) await sweepTempFile(join(dir, name), this.#tempMaxAgeMs, now);
      else kept.push(name);
    }
    return kept;
  }

  async #readJson(path: string): Promise<unknown> {
    const text = await readFileOrNull(path);
    return text === null ? null : parseJsonText(text, path);
  }

  // ---- listings ----

  #listingPath(id: string): string | null {
    return isSafeId(id) ? this.#path('listings', `${id}.json`) : null;
  }

  async #readListing(id: string): Promise<Listing | null> {
    const path = this.#listingPath(id);
    if (path === null) return null;
    const value = await this.#readJson(path);
    if (value === null) return null;
    const listing = parseRecord(listingSchema, value, 'Listing', path);
    if (listing.id !== id) {
      throw new ExtractionError(
        `Listing in ${path}`,
        [{ code: 'custom', path: ['id'], message: `expected ${id} (the file name)`, input: listing.id }],
        { where: path },
      );
    }
    return listing;
  }

  #listingRepo(): ListingRepo {
    return {
      put: async (listing) => {
        const checked = checkListing(listing);
        const path = this.#path('listings', `${checked.id}.json`);
        await this.#beginWrite();
        return this.#locks.with(`${path}.lock`, async () => {
          const previous = await this.#readListing(checked.id);
          try {
            await this.#commit.write([
              { kind: 'replace', path, data: `${JSON.stringify(checked)}\n`, rows: [{ path: this.#listingTable.path, lines: `${JSON.stringify(listingSummary(checked))}\n` }] },
            ]);
          } finally {
            this.#listingWrites += 1;
          }
          return { previousHash: previous?.contentHash ?? null };
        });
      },
      get: (id) => this.#readListing(id),
      getMany: (ids) => mapLimit(ids, READ_CONCURRENCY, (id) => this.#readListing(id)),
      ids: async () => {
        const names = await this.#scan(this.#path('listings'));
        return names
          .map((name) => LISTING_FILE.exec(name)?.[1])
          .filter((id): id is string => id !== undefined && isSafeId(id))
          .sort();
      },
      addVersion: async (id, version) => {
        const checked = checkVersion(id, version);
        const path = this.#path('listing-versions', `${id}.json`);
        return this.#locks.with(`${path}.lock`, async () => {
          const next = appendVersion(await this.#readVersions(id), checked);
          if (next === null) return false;
          await this.#commit.write([{ kind: 'replace', path, data: `${JSON.stringify(next)}\n` }]);
          return true;
        });
      },
      versions: (id) => this.#readVersions(id),
    };
  }

  async #readVersions(id: string): Promise<ListingVersion[]> {
    if (!isSafeId(id)) return [];
    const path = this.#path('listing-versions', `${id}.json`);
    const value = await this.#readJson(path);
    return value === null ? [] : parseRecord(z.array(listingVersionSchema), value, 'Listing versions', path);
  }

  // ---- drafts ----

  #draftPath(listingId: string, revision: number): string {
    return this.#path('drafts', listingId, `r${revision}.json`);
  }

  /**
   * Reads a draft file through the parse cache; null when absent. The stat comes before the read,
   * so a file replaced in between is cached under the older stat and simply read again next time.
   */
  /** How many parsed drafts are held in memory (for tests of the bound). */
  cachedDraftCount(): number {
    return this.#draftCache.size;
  }

  async #readDraftFile(path: string): Promise<Draft | null> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
    const cached = this.#draftCache.get(path);
    if (cached !== undefined && cached.ino === info.ino && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      this.#draftCache.delete(path);
      this.#draftCache.set(path, cached);
      return structuredClone(cached.draft);
    }
    const text = await readFileOrNull(path);
    if (text === null) return null;
    const draft = parseRecord(draftSchema, parseJsonText(text, path), 'Draft', path);
    const expected = draftId(draft.listingId, draft.revision);
    if (draft.id !== expected || !path.endsWith(join(draft.listingId, `r${draft.revision}.json`))) {
      throw new ExtractionError(
        `Draft in ${path}`,
        [{ code: 'custom', path: ['id'], message: `expected id ${expected} stored at its own path`, input: draft.id }],
        { where: path },
      );
    }
    this.#draftCache.delete(path);
    this.#draftCache.set(path, { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, draft });
    if (this.#draftCache.size > this.#draftCacheLimit) {
      const oldest = this.#draftCache.keys().next().value;
      if (oldest !== undefined) this.#draftCache.delete(oldest);
    }
    return structuredClone(draft);
  }

  async #revisions(listingId: string): Promise<number[]> {
    const names = await this.#scan(this.#path('drafts', listingId));
    return names
      .map((name) => DRAFT_FILE.exec(name)?.[1])
      .filter((revision): revision is string => revision !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async #allDraftIds(listingId: string | undefined): Promise<string[]> {
    let listingIds: string[];
    if (listingId !== undefined) listingIds = isSafeId(listingId) ? [listingId] : [];
    else listingIds = (await this.#scan(this.#path('drafts'))).filter(isSafeId);
    const perListing = await mapLimit(listingIds, READ_CONCURRENCY, async (id) =>
      (await this.#revisions(id)).map((revision) => draftId(id, revision)),
    );
    return perListing.flat().sort(compareDraftIds);
  }

  async #readDrafts(ids: readonly string[]): Promise<Draft[]> {
    const drafts = await mapLimit(ids, READ_CONCURRENCY, async (id) => {
      const parsed = parseDraftId(id);
      return parsed === null ? null : this.#readDraftFile(this.#draftPath(parsed.listingId, parsed.revision));
    });
    return drafts.filter((draft): draft is Draft => draft !== null);
  }

  #draftRepo(): DraftRepo {
    return {
      get: async (id) => {
        const parsed = parseDraftId(id);
        return parsed === null ? null : this.#readDraftFile(this.#draftPath(parsed.listingId, parsed.revision));
      },
      current: async (listingId) => {
        if (!isSafeId(listingId)) return null;
        const revisions = await this.#revisions(listingId);
        const newest = revisions.at(-1);
        return newest === undefined ? null : this.#readDraftFile(this.#draftPath(listingId, newest));
      },
      currentMany: (listingIds) => mapLimit(listingIds, READ_CONCURRENCY, (listingId) => this.drafts.current(listingId)),
      list: async (filter: DraftFilter = {}) => {
        const { start, end } = pageBounds(filter);
        if (filter.status === undefined) return this.#readDrafts((await this.#allDraftIds(filter.listingId)).slice(start, end));
        // By status across listings: the index names the candidates, so only those files are read;
        // each is checked again as read (the index may trail a write by one batch).
        const ids =
          filter.listingId === undefined
            ? (await this.#summaries()).filter((summary) => matchesFilter(summary, filter)).map((summary) => summary.id)
            : await this.#allDraftIds(filter.listingId);
        const drafts = await this.#readDrafts(ids);
        return drafts.filter((draft) => matchesFilter(draft, filter)).slice(start, end);
      },
      save: async (draft, expectedVersion, options = {}) => {
        const checked = checkDraft(draft);
        const path = this.#draftPath(checked.listingId, checked.revision);
        // The audit line rides with the file as one of its rows: appended in the same batch, and only if the file was written.
        const auditRows = options.audit === undefined ? [] : [this.#auditRow(options.audit)];
        await this.#beginWrite();
        const write = (saved: Draft) =>
          this.#commit.write([
            {
              kind: expectedVersion === null ? 'create' : 'replace',
              path,
              newDir: saved.revision === 1,
              data: `${JSON.stringify(saved)}\n`,
              rows: [{ path: this.#draftTable.path, lines: `${JSON.stringify(draftSummary(saved))}\n` }, ...auditRows],
            },
          ]);
        if (expectedVersion === null) {
          // A new revision needs no lock: it is linked into place, which fails if it exists.
          const saved: Draft = { ...checked, version: nextVersion(checked.id, null, null) };
          const [outcome] = await write(saved);
          if (outcome === 'exists') nextVersion(checked.id, (await this.#readDraftFile(path))?.version ?? 0, null);
          return saved;
        }
        return this.#locks.with(`${path}.lock`, async () => {
          const stored = await this.#readDraftFile(path);
          const version = nextVersion(checked.id, stored?.version ?? null, expectedVersion);
          const saved: Draft = { ...checked, version };
          await write(saved);
          return saved;
        });
      },
    };
  }

  // ---- audit ----

  /**
   * The audit log's whole entries, and the line numbers of torn ones. A line that is not JSON is a
   * write cut short (a crash or a full disk mid-append; the next append starts on a fresh line, so
   * it can sit anywhere): it is skipped, never fatal, so no page fails on it, and `status`
   * reports it. A line that is JSON but not an audit entry is corruption and still an error.
   */
  async #readAudit(): Promise<{ entries: AuditEntry[]; torn: number[] }> {
    const path = this.#path('audit.jsonl');
    const text = await readFileOrNull(path);
    if (text === null) return { entries: [], torn: [] };
    const entries: AuditEntry[] = [];
    const torn: number[] = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line) as unknown;
      } catch {
        torn.push(index + 1);
        continue;
      }
      entries.push(checkAuditEntry(value as AuditEntry, `${path}:${index + 1}`));
    }
    return { entries, torn };
  }

  /** One checked audit entry as a line of the audit log. */
  #auditRow(entry: AuditEntry): Append {
    return { path: this.#path('audit.jsonl'), lines: `${JSON.stringify(checkAuditEntry(entry, 'audit entry to append'))}\n` };
  }

  #auditLog(): AuditLog {
    return {
      append: async (entry) => {
        // Joins the current batch: one write of whole lines on an O_APPEND descriptor and one fsync
        // for every entry of the batch, so entries of concurrent processes never interleave.
        await this.#commit.write([], [this.#auditRow(entry)]);
      },
      list: async (filter = {}) => {
        const { entries } = await this.#readAudit();
        return filter.subject === undefined ? entries : entries.filter((entry) => entry.subject === filter.subject);
      },
    };
  }

  // ---- cache ----

  #cachePath(namespace: string, key: string): string {
    return this.#path('cache', checkNamespace(namespace), `${cacheKeyHash(key)}.json`);
  }

  #cacheRepo(): CacheRepo {
    return {
      get: async <T = unknown>(namespace: string, key: string): Promise<T | null> => {
        if (this.#packed.has(namespace)) {
          const found = (await this.#packedTable(namespace)).get(cacheKeyHash(key));
          if (found !== undefined) return structuredClone(found) as T;
        }
        const path = this.#cachePath(namespace, key);
        const value = await this.#readJson(path);
        if (value === null) return null;
        if (typeof value !== 'object' || !('value' in value)) {
          throw new ExtractionError(
            `Cache entry in ${path}`,
            [{ code: 'custom', path: ['value'], message: 'expected an object with `value`', input: undefined }],
            { where: path },
          );
        }
        return (value as { value: T }).value;
      },
      set: async (namespace, key, value) => {
        const path = this.#cachePath(namespace, key);
        const text = JSON.stringify({ value });
        if (value === undefined || text === undefined) throw new TypeError(`Cache value for ${namespace} is not JSON-serialisable`);
        if (this.#packed.has(namespace)) {
          const table = await this.#packedTable(namespace);
          const hash = cacheKeyHash(key);
          // An unchanged entry (a 304 answered again) costs nothing.
          const json = JSON.stringify(value);
          if (table.has(hash) && JSON.stringify(table.get(hash)) === json) return;
          await appendWhole(this.#fs, this.#path('cache', `${checkNamespace(namespace)}.jsonl`), `${JSON.stringify({ k: hash, v: value })}\n`, false).catch((error: unknown) => {
            throw diskFullError(error, this.#path('cache', `${namespace}.jsonl`));
          });
          table.set(hash, JSON.parse(json) as unknown);
          return;
        }
        // Cache entries can be rebuilt, so they skip fsync; the rename still keeps them whole.
        await writeFileAtomic(path, `${text}\n`, { fsync: false, fs: this.#fs });
      },
      delete: async (namespace, key) => {
        if (this.#packed.has(namespace)) {
          const table = await this.#packedTable(namespace);
          const hash = cacheKeyHash(key);
          if (table.has(hash)) {
            await appendWhole(this.#fs, this.#path('cache', `${checkNamespace(namespace)}.jsonl`), `${JSON.stringify({ k: hash })}\n`, false);
            table.delete(hash);
          }
        }
        await unlink(this.#cachePath(namespace, key)).catch((error: unknown) => {
          if (errnoCode(error) !== 'ENOENT') throw error;
        });
      },
    };
  }

  // ---- reviewers ----

  async #readReviewers(): Promise<Reviewer[]> {
    const path = this.#path('reviewers.json');
    const value = await this.#readJson(path);
    if (value === null) return [];
    return parseRecord(reviewerSchema.array(), value, 'Reviewers', path);
  }

  async #writeReviewers(reviewers: readonly Reviewer[]): Promise<void> {
    const sorted = [...reviewers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    await writeFileAtomic(this.#path('reviewers.json'), `${JSON.stringify(sorted, null, 2)}\n`, { fsync: this.#fsync, fs: this.#fs });
  }

  #reviewerRepo(): ReviewerRepo {
    const lock = (): string => this.#path('reviewers.json.lock');
    return {
      add: async (reviewer) => {
        const checked = checkReviewer(reviewer, 'reviewer to add');
        await this.#locks.with(lock(), async () => {
          const reviewers = await this.#readReviewers();
          if (reviewers.some((other) => other.name === checked.name)) throw reviewerTaken(checked.name, 'name');
          if (reviewers.some((other) => other.tokenHash === checked.tokenHash)) throw reviewerTaken(checked.name, 'tokenHash');
          await this.#writeReviewers([...reviewers, checked]);
        });
      },
      list: () => this.#readReviewers(),
      remove: (name) =>
        this.#locks.with(lock(), async () => {
          const reviewers = await this.#readReviewers();
          const kept = reviewers.filter((reviewer) => reviewer.name !== name);
          if (kept.length === reviewers.length) return false;
          await this.#writeReviewers(kept);
          return true;
        }),
      findByTokenHash: async (tokenHash) =>
        (await this.#readReviewers()).find((reviewer) => reviewer.tokenHash === tokenHash) ?? null,
    };
  }

  // ---- policy ----

  #policyRepo(): PolicyRepo {
    const path = this.#path('policy.json');
    return {
      get: async () => {
        const value = await this.#readJson(path);
        return value === null ? null : parseRecord(reviewPolicySchema, value, 'Review policy', path);
      },
      set: async (policy) => {
        const checked = checkPolicy(policy, 'policy to set');
        // One small file replaced whole: readers in other processes see the old or the new policy.
        await writeFileAtomic(path, `${JSON.stringify(checked, null, 2)}\n`, { fsync: this.#fsync, fs: this.#fs });
      },
    };
  }

  // ---- corrections ----

  #correctionRepo(): CorrectionRepo {
    const CORRECTION_FILE = /^(c-[a-f0-9]{24})\.json$/;
    const pathOf = (id: string): string | null => (/^c-[a-f0-9]{24}$/.test(id) ? this.#path('corrections', `${id}.json`) : null);
    const read = async (id: string) => {
      const path = pathOf(id);
      if (path === null) return null;
      const value = await this.#readJson(path);
      return value === null ? null : parseRecord(correctionSchema, value, 'Correction', path);
    };
    return {
      get: read,
      list: async (filter = {}) => {
        const ids = (await this.#scan(this.#path('corrections'))).map((name) => CORRECTION_FILE.exec(name)?.[1]).filter((id): id is string => id !== undefined);
        const all = await mapLimit(ids, READ_CONCURRENCY, read);
        return all.filter((correction) => correction !== null && matchesCorrection(correction, filter)).map((correction) => correction!).sort(compareCorrections);
      },
      save: async (correction, expectedVersion) => {
        const checked = checkCorrection(correction);
        const path = this.#path('corrections', `${checked.id}.json`);
        return this.#locks.with(`${path}.lock`, async () => {
          const stored = await read(checked.id);
          const version = nextVersion(checked.id, stored?.version ?? null, expectedVersion, 'Correction');
          const saved = { ...checked, version };
          await writeFileAtomic(path, `${JSON.stringify(saved)}\n`, { fsync: this.#fsync });
          return saved;
        });
      },
    };
  }

  async stats(): Promise<StoreStats> {
    await this.#ensureIndex();
    // Counts from the index snapshot (and the rows since), and the audit log from its checkpoint on.
    const checkEntry = (value: unknown, where: string): void => void checkAuditEntry(value as AuditEntry, where);
    // A checkpoint can be recounted from the log, and a bad one is refused: no fsync.
    const writeCheckpoint = (path: string, text: string): Promise<void> => writeFileAtomic(path, text, { fsync: false, fs: this.#fs });
    const [index, reviewers, audit] = await Promise.all([
      this.#facts.counts(),
      this.#readReviewers(),
      countAudit(this.#path('audit.jsonl'), this.#path('index', 'audit-checkpoint.json'), checkEntry, writeCheckpoint, this.#snapshotAfterRows),
    ]);
    const counts = emptyStatusCounts();
    for (const [status, count] of Object.entries(index.drafts)) counts[status as keyof typeof counts] = count;
    return { listings: index.listings, drafts: counts, reviewers: reviewers.length, auditEntries: audit.entries, auditTornLines: audit.torn };
  }

  // ---- index ----

  #packedTable(namespace: string): Promise<Map<string, unknown>> {
    let table = this.#packedTables.get(namespace);
    if (table === undefined) {
      // Read once per process; this process's own writes keep it current. Another process's later
      // writes are not seen: a stale or missing entry only costs a full fetch.
      table = new JsonlTable(this.#path('cache', `${checkNamespace(namespace)}.jsonl`), (value) => {
        if (typeof value !== 'object' || value === null || !str((value as { k?: unknown }).k)) return null;
        const row = value as { k: string; v?: unknown };
        return [row.k, 'v' in row ? row.v : undefined] as const;
      })
        .load()
        .then((rows) => {
          for (const [key, value] of rows) if (value === undefined) rows.delete(key);
          return rows;
        });
      this.#packedTables.set(namespace, table);
    }
    return table;
  }

  /** Marks this process as a writer whose index rows may trail its records if it dies (removed by close). */
  #beginWrite(): Promise<void> {
    this.#marker ??= this.#ensureIndex().then(() => writeFileAtomic(this.#markerPath, `${JSON.stringify({ pid: process.pid, host: HOST })}\n`, { fsync: this.#fsync, fs: this.#fs }));
    return this.#marker;
  }

  /**
   * Makes sure the index describes every record: rebuilt from the records when it was never built
   * (a store from before the index) or when a writer died with its marker in place (a crash may
   * have left records whose index rows were not appended). Once per store object.
   */
  #ensureIndex(): Promise<void> {
    this.#indexChecked ??= (async () => {
      const built = await readFileOrNull(this.#path('index', 'built'));
      const dead: string[] = [];
      for (const name of await readdirOrEmpty(this.#path('index'))) {
        const match = /^open-(.+)-(\d+)-[a-f0-9]+$/.exec(name);
        if (match === null) continue;
        if (match[1] === HOST && Number(match[2]) !== process.pid && !processAlive(Number(match[2]))) dead.push(name);
      }
      if (built?.trim() === INDEX_FORMAT && dead.length === 0) return;
      await this.#locks.with(this.#path('index', 'rebuild.lock'), async () => {
        await this.#rebuildIndex();
        for (const name of dead) await unlink(this.#path('index', name)).catch(() => undefined);
      });
    })();
    return this.#indexChecked;
  }

  /** Rewrites the listing and draft indexes from the records (each replaced atomically). */
  async #rebuildIndex(): Promise<void> {
    const listingIds = await this.listings.ids();
    const listingLines: string[] = [];
    for (let start = 0; start < listingIds.length; start += 500) {
      for (const listing of await this.listings.getMany(listingIds.slice(start, start + 500))) {
        if (listing !== null) listingLines.push(JSON.stringify(listingSummary(listing)));
      }
    }
    const draftIds = await this.#allDraftIds(undefined);
    const draftLines: string[] = [];
    for (let start = 0; start < draftIds.length; start += 500) {
      for (const draft of await this.#readDrafts(draftIds.slice(start, start + 500))) draftLines.push(JSON.stringify(draftSummary(draft)));
    }
    const text = (lines: string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    // The snapshot describes the tables being replaced: gone first, so no reader pairs it with the new ones.
    await unlink(this.#path('index', 'snapshot.json')).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw error;
    });
    await writeFileAtomic(this.#listingTable.path, text(listingLines), { fsync: this.#fsync, fs: this.#fs });
    await writeFileAtomic(this.#draftTable.path, text(draftLines), { fsync: this.#fsync, fs: this.#fs });
    await writeFileAtomic(this.#path('index', 'built'), `${INDEX_FORMAT}\n`, { fsync: this.#fsync, fs: this.#fs });
    this.#draftTable.forget();
    this.#listingTable.forget();
    this.#facts.forget();
  }

  /** Summaries of these drafts and of their listings from the index tables read whole (a page too large to read row by row). */
  async #fullRows(ids: readonly string[]): Promise<{ drafts: DraftSummary[]; listings: Map<string, ListingSummary> }> {
    const [drafts, listings] = await Promise.all([this.#draftTable.load(), this.#listingSummaries()]);
    return rowsWithListings(ids, drafts, listings, 'No index row for draft');
  }


  async #summaries(): Promise<DraftSummary[]> {
    await this.#ensureIndex();
    // Listing id, then revision: the order of compareDraftIds, without parsing ids per comparison.
    return [...(await this.#draftTable.load()).values()].sort((a, b) => (a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : a.revision - b.revision));
  }

  /**
   * The listing index. `fresh`: look at the file again (a stat, and what was appended since); else
   * the copy loaded before serves, unless this process wrote listings since (a crawl's many
   * lookups cost no syscall each; another process's later writes are seen on the next fresh read).
   */
  async #listingSummaries(fresh = true): Promise<Map<string, ListingSummary>> {
    await this.#ensureIndex();
    if (fresh || this.#listingView === null || this.#listingWrites !== this.#listingViewWrites) {
      this.#listingViewWrites = this.#listingWrites;
      this.#listingView = await this.#listingTable.load();
    }
    return this.#listingView;
  }

  #indexRepo(): StoreIndex {
    const assessedPath = this.#path('index', 'assessed.jsonl');
    return {
      assessed: async (ids) => {
        await this.#ensureIndex();
        // Newest revision per listing, from the draft index, without keeping the summaries.
        const newest = new Map<string, number>();
        const drafts = new JsonlTable(this.#draftTable.path, (value) => {
          const row = value as Partial<DraftSummary>;
          if (!str(row.listingId) || typeof row.revision !== 'number') return null;
          if ((newest.get(row.listingId) ?? 0) < row.revision) newest.set(row.listingId, row.revision);
          return null;
        });
        await drafts.load();
        const table = new JsonlTable(assessedPath, (value) => {
          const row = value as Partial<AssessedEntry & { id: string }>;
          if (!str(row.id) || !str(row.contentHash) || !str(row.draftId) || !str(row.profileKey)) return null;
          return [row.id, { contentHash: row.contentHash, draftId: row.draftId, profileKey: row.profileKey }] as const;
        });
        const rows = await table.load();
        // An entry stands only while its draft is the newest revision of its listing.
        for (const [id, entry] of rows) {
          const parsed = parseDraftId(entry.draftId);
          if (parsed === null || parsed.listingId !== id || newest.get(id) !== parsed.revision) rows.delete(id);
        }
        if (ids === undefined) return rows;
        const named = new Map<string, AssessedEntry>();
        for (const id of ids) {
          const entry = rows.get(id);
          if (entry !== undefined) named.set(id, entry);
        }
        return named;
      },
      recordAssessed: async (entries) => {
        if (entries.length === 0) return;
        await this.#beginWrite();
        const lines = entries.map(([id, entry]) => `${JSON.stringify({ id, ...entry })}\n`).join('');
        await this.#commit.write([], [{ path: assessedPath, lines }]);
      },
      draftSummaries: () => this.#summaries(),
      queueFacts: async () => {
        await this.#ensureIndex();
        return this.#facts.facts();
      },
      listingRefs: async () => {
        await this.#ensureIndex();
        // A table of its own, dropped once read: the kept listing index (every summary) is not
        // loaded for a run that needs only each listing's id and hash.
        const hashes = new Map<string, string>();
        await new JsonlTable(this.#listingTable.path, (value) => {
          const row = listingRowOf(value);
          if (row !== null) hashes.set(row.id, row.contentHash);
          return null;
        }).load();
        return [...hashes.keys()].sort().map((id) => ({ id, contentHash: hashes.get(id) as string }));
      },
      listingSummaries: async (ids) => {
        const all = await this.#listingSummaries(ids === undefined);
        // The loaded table itself, not a copy (100,000 listings are a large map): callers only read it.
        if (ids === undefined) return all;
        const found = new Map<string, ListingSummary>();
        for (const id of ids) {
          const summary = all.get(id);
          if (summary !== undefined) found.set(id, summary);
        }
        return found;
      },
    };
  }

  /** Waits until every acknowledged-to-be write is durable, then removes this process's writer marker. */
  async close(): Promise<void> {
    await this.#commit.drain();
    if (this.#marker !== null) {
      await this.#marker.catch(() => undefined);
      await unlink(this.#markerPath).catch(() => undefined);
      this.#marker = null;
    }
    this.#draftCache.clear();
  }
}

function parseDraftRow(value: unknown): readonly [string, DraftSummary] | null {
  const row = value as Partial<DraftSummary>;
  if (typeof row !== 'object' || row === null || !str(row.id) || !str(row.listingId) || typeof row.revision !== 'number' || !str(row.status)) return null;
  return [row.id, row as DraftSummary];
}

function parseListingRow(value: unknown): readonly [string, ListingSummary] | null {
  const row = listingRowOf(value);
  return row === null ? null : [row.id, row];
}

/** Creates a file store rooted at `root` (default `./.threatdraft`). */
export function createFileStore(options: FileStoreOptions = {}): FileStore {
  return new FileStore(options);
}
