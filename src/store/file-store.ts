/**
 * The file store (default, `./.threatdraft/`): one JSON file per record, replaced atomically;
 * compare-and-set on drafts under a per-draft lock file, so it holds across processes; an
 * append-only JSONL audit log. Every file read is validated and a bad one is named in the error.
 *
 * Layout: `listings/<id>.json`, `listing-versions/<id>.json`, `drafts/<listingId>/r<revision>.json`, `reviewers.json`,
 * `policy.json`, `audit.jsonl`, `cache/<namespace>/<sha256(key)>.json`, `corrections/<id>.json`.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { correctionSchema } from '../../schemas/correction.js';
import { draftId, draftSchema, type Draft } from '../../schemas/draft.js';
import { z } from 'zod';
import { listingSchema, listingVersionSchema, type Listing, type ListingVersion } from '../../schemas/listing.js';
import { ExtractionError, TransientError } from '../errors.js';
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
  emptyStatusCounts,
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
import type {
  AuditEntry,
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
}

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

  #fsync: boolean;
  #fs: WriteFs;
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
    this.listings = this.#listingRepo();
    this.drafts = this.#draftRepo();
    this.audit = this.#auditLog();
    this.cache = this.#cacheRepo();
    this.reviewers = this.#reviewerRepo();
    this.policy = this.#policyRepo();
    this.corrections = this.#correctionRepo();
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
        return this.#locks.with(`${path}.lock`, async () => {
          const previous = await this.#readListing(checked.id);
          await writeFileAtomic(path, `${JSON.stringify(checked)}\n`, { fsync: this.#fsync, fs: this.#fs });
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
          await writeFileAtomic(path, `${JSON.stringify(next)}\n`, { fsync: this.#fsync });
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
        const ids = await this.#allDraftIds(filter.listingId);
        if (filter.status === undefined) return this.#readDrafts(ids.slice(start, end));
        const drafts = await this.#readDrafts(ids);
        return drafts.filter((draft) => matchesFilter(draft, filter)).slice(start, end);
      },
      save: async (draft, expectedVersion) => {
        const checked = checkDraft(draft);
        const path = this.#draftPath(checked.listingId, checked.revision);
        return this.#locks.with(`${path}.lock`, async () => {
          const stored = await this.#readDraftFile(path);
          const version = nextVersion(checked.id, stored?.version ?? null, expectedVersion);
          const saved: Draft = { ...checked, version };
          await writeFileAtomic(path, `${JSON.stringify(saved)}\n`, { fsync: this.#fsync, fs: this.#fs });
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

  #auditLog(): AuditLog {
    return {
      append: async (entry) => {
        const path = this.#path('audit.jsonl');
        const line = `${JSON.stringify(checkAuditEntry(entry, 'audit entry to append'))}\n`;
        let handle;
        try {
          handle = await this.#fs.open(path, 'a+', 0o644);
        } catch (error) {
          if (errnoCode(error) !== 'ENOENT') throw diskFullError(error, path);
          await this.#ensureRoot();
          handle = await this.#fs.open(path, 'a+', 0o644);
        }
        try {
          // A line torn by a crash must not swallow this one: start on a fresh line if needed.
          const { size } = await handle.stat();
          let prefix = '';
          if (size > 0) {
            const last = Buffer.alloc(1);
            await handle.read(last, 0, 1, size - 1);
            if (last[0] !== 0x0a) prefix = '\n';
          }
          // One write of one whole line on an O_APPEND descriptor: concurrent appenders never
          // interleave within a line. A short write leaves a torn line, which readers skip and the
          // next append fences off with a newline; it is reported, never retried as a second write.
          const bytes = Buffer.from(prefix + line, 'utf8');
          let written: number;
          try {
            written = (await handle.write(bytes, 0, bytes.length)).bytesWritten;
            if (this.#fsync) await handle.sync();
          } catch (error) {
            throw diskFullError(error, path);
          }
          if (written !== bytes.length) {
            throw new TransientError('E_AUDIT_WRITE', `Audit append to ${path} was cut short (${written} of ${bytes.length} bytes)`, { path });
          }
        } finally {
          await handle.close();
        }
      },
      list: async (filter = {}) => {
        const { entries } = await this.#readAudit();
        return filter.subject === undefined ? entries : entries.filter((entry) => entry.subject === filter.subject);
      },
    };
  }

  async #ensureRoot(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  // ---- cache ----

  #cachePath(namespace: string, key: string): string {
    return this.#path('cache', checkNamespace(namespace), `${cacheKeyHash(key)}.json`);
  }

  #cacheRepo(): CacheRepo {
    return {
      get: async <T = unknown>(namespace: string, key: string): Promise<T | null> => {
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
        // Cache entries can be rebuilt, so they skip fsync; the rename still keeps them whole.
        await writeFileAtomic(path, `${text}\n`, { fsync: false, fs: this.#fs });
      },
      delete: async (namespace, key) => {
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
    const [listingIds, drafts, reviewers, audit] = await Promise.all([
      this.listings.ids(),
      this.#allDraftIds(undefined).then((ids) => this.#readDrafts(ids)),
      this.#readReviewers(),
      this.#readAudit(),
    ]);
    const counts = emptyStatusCounts();
    for (const draft of drafts) counts[draft.status] += 1;
    return { listings: listingIds.length, drafts: counts, reviewers: reviewers.length, auditEntries: audit.entries.length, auditTornLines: audit.torn };
  }

  /** Nothing to release: every operation opens and closes its own files. */
  async close(): Promise<void> {
    this.#draftCache.clear();
  }
}

/** Creates a file store rooted at `root` (default `./.threatdraft`). */
export function createFileStore(options: FileStoreOptions = {}): FileStore {
  return new FileStore(options);
}
