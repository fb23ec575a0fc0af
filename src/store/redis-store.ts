/**
 * The Redis store: the same records as the file store under one key prefix. Every multi-key
 * change is one Lua script, so it is atomic; draft compare-and-set checks the stored version in
 * the script. Audit entries go to a Stream (XADD), never rewritten. Durable when Redis runs with AOF.
 *
 * Keys (after the prefix): `listing:<id>` JSON, `listings` zset of ids, `listing-hashes` hash
 * id→contentHash; `draft:<id>` hash {json, version, status}, `drafts:all` set,
 * `drafts:by-listing:<listingId>` zset scored by revision, `drafts:status:<status>` sets;
 * `audit` stream; `cache:<namespace>:<sha256(key)>` JSON; `reviewers` hash name→JSON,
 * `reviewer-tokens` hash tokenHash→name; `policy` JSON; `correction:<id>` hash {json, version} and the
 * `corrections` set.
 */
import { DRAFT_STATUSES, draftSchema, type Draft } from '../../schemas/draft.js';
import { listingSchema, listingVersionSchema, type Listing } from '../../schemas/listing.js';
import { ConflictError, ThreatdraftError, TransientError } from '../errors.js';
import { createRedisClient, infoSaysCluster, type RedisClient } from './redis-client.js';
import { clusterKeyPrefix, clusterTarget, isClusterTarget, targetUrl, type RedisTarget } from './redis-target.js';
import { safeRedisUrl } from './redis-url.js';
import {
  cacheKeyHash,
  checkAuditEntry,
  checkCorrection,
  compareCorrections,
  matchesCorrection,
  checkDraft,
  checkListing,
  checkNamespace,
  checkPolicy,
  checkReviewer,
  checkVersion,
  compareDraftIds,
  draftSummary,
  emptyStatusCounts,
  listingSummary,
  parseDraftId,
  MAX_LISTING_VERSIONS,
  matchesFilter,
  nextVersion,
  pageBounds,
  parseJsonText,
  parseRecord,
  reviewerTaken,
} from './common.js';
import { factsFromSummaries } from './queue-facts.js';
import type {
  AssessedEntry,
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
  ReviewPolicy,
  Store,
  StoreIndex,
  StoreStats,
} from './store.js';

/** Options for {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * A `redis://` or `rediss://` URL (a single Redis, or any node of a cluster: the first command
   * asks the node and connects to the whole cluster when it is one), or a resolved cluster target.
   */
  url: RedisTarget;
  /** Prefix of every key; on a cluster it gets a hash tag (`{threatdraft}:`) unless it has one. @default 'threatdraft:' */
  prefix?: string;
  /** ioredis retries of one command while reconnecting before it fails. @default 3 */
  maxRetriesPerRequest?: number;
  /** Give up one connection attempt after this long (a silent host), then retry or fail. @default 3000 */
  connectTimeoutMs?: number;
}

const PUT_LISTING = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return old`;

// Compare-and-set on the record hash KEYS[1]: ARGV[2] is the expected version ('' = must not exist);
// a mismatch returns {0, stored version}.
const CAS_CHECK = `
local stored = redis.call('HGET', KEYS[1], 'version')
if ARGV[2] == '' then
  if stored then return {0, stored} end
elseif stored ~= ARGV[2] then
  return {0, stored or ''}
end`;

// KEYS: draft, drafts:all, by-listing, new status set, audit stream, then every status set.
// ARGV: id, expected version ('' = must not exist), json, new version, status, revision, audit
// entry JSON ('' = none; appended in the same script, so only with the save and never without it).
const SAVE_DRAFT = `${CAS_CHECK}
for i = 6, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'version', ARGV[4], 'status', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], tonumber(ARGV[6]), ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
if ARGV[7] ~= '' then redis.call('XADD', KEYS[5], '*', 'entry', ARGV[7]) end
return {1, ARGV[4]}`;

// KEYS: correction, corrections index. ARGV: id, expected version ('' = must not exist), json, new version.
const SAVE_CORRECTION = `${CAS_CHECK}
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'version', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
return {1, ARGV[4]}`;

// KEYS: reviewers, reviewer-tokens. ARGV: name, tokenHash, json.
const ADD_REVIEWER = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'name' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'tokenHash' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 'ok'`;

// KEYS: reviewers, reviewer-tokens. ARGV: name.
const REMOVE_REVIEWER = `
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
local reviewer = cjson.decode(json)
if redis.call('HGET', KEYS[2], reviewer.tokenHash) == ARGV[1] then redis.call('HDEL', KEYS[2], reviewer.tokenHash) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

/** Listings per `tdNewestDrafts` call (a script runs alone on the server: keep each one short). */
const NEWEST_DRAFTS_BATCH = 500;

// KEYS: listings' drafts:by-listing zsets. ARGV: the draft key prefix. Returns, per listing, its
// newest draft's id and JSON, or false when it has none: one command for a batch of listings. The
// draft hashes are named by the zsets' members; on a cluster they share the store's slot.
const NEWEST_DRAFTS = `
local out = {}
for i, key in ipairs(KEYS) do
  local newest = redis.call('ZREVRANGE', key, 0, 0)[1]
  if newest then
    out[i] = { newest, redis.call('HGET', ARGV[1] .. newest, 'json') or false }
  else
    out[i] = false
  end
end
return out
`;

// KEYS: the listing's version list. ARGV: content hash, version JSON, versions kept.
// The hash of the newest version sits in a parallel key so no JSON is decoded in Lua.
const ADD_VERSION = `
if redis.call('GET', KEYS[2]) == ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('SET', KEYS[2], ARGV[1])
return 1`;

type ScriptName = 'tdPutListing' | 'tdSaveDraft' | 'tdAddReviewer' | 'tdRemoveReviewer' | 'tdSaveCorrection' | 'tdAddVersion' | 'tdNewestDrafts';
type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

const AUDIT_PAGE = 1000;

/** A Store in Redis; it owns its connection and closes it in `close()`. */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  readonly listings: ListingRepo;
  readonly drafts: DraftRepo;
  readonly audit: AuditLog;
  readonly cache: CacheRepo;
  readonly reviewers: ReviewerRepo;
  readonly policy: PolicyRepo;
  readonly corrections: CorrectionRepo;
  readonly index: StoreIndex;

  // The client of the moment: single-Redis until a URL turns out to be a cluster node (see #connect).
  #redis!: RedisClient;
  #keyPrefix: string;
  #target: RedisTarget;
  #url: string;
  #options: RedisStoreOptions;
  #ready: Promise<void> | null = null;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'threatdraft:';
    this.#keyPrefix = this.prefix;
    this.#target = options.url;
    this.#url = safeRedisUrl(targetUrl(options.url));
    this.#options = options;
    if (!isClusterTarget(options.url) && options.url.trim() === '') throw new TypeError('RedisStore needs a Redis URL');
    // A URL starts as a single-Redis client; the first command asks the node whether it is a cluster.
    this.#connectTo(options.url);
    if (isClusterTarget(options.url)) this.#ready = Promise.resolve();
    this.listings = this.#listingRepo();
    this.drafts = this.#draftRepo();
    this.audit = this.#auditLog();
    this.cache = this.#cacheRepo();
    this.reviewers = this.#reviewerRepo();
    this.policy = this.#policyRepo();
    this.corrections = this.#correctionRepo();
    this.index = this.#indexRepo();
  }

  /** True once the store knows it runs on a Redis Cluster (after its first command). */
  get cluster(): boolean {
    return isClusterTarget(this.#target);
  }

  /** The prefix actually used for keys: `prefix`, hash-tagged on a cluster. Known after the first command. */
  get keyPrefix(): string {
    return this.#keyPrefix;
  }

  #connectTo(target: RedisTarget): void {
    const client = createRedisClient(target, {
      maxRetriesPerRequest: this.#options.maxRetriesPerRequest ?? 3,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 3000,
    });
    this.#redis = client;
    this.#target = target;
    // One hash tag for the whole store: the Lua scripts, MGET and pipelines below touch a listing's
    // keys and the indexes together, so on a cluster they must all hash to one slot.
    this.#keyPrefix = isClusterTarget(target) ? clusterKeyPrefix(this.prefix) : this.prefix;
    // Connection errors surface on the failing command; this listener only keeps ioredis from
    // reporting them as unhandled 'error' events.
    this.#redis.on('error', () => undefined);
    this.#redis.defineCommand('tdPutListing', { numberOfKeys: 3, lua: PUT_LISTING });
    this.#redis.defineCommand('tdSaveDraft', { numberOfKeys: 5 + DRAFT_STATUSES.length, lua: SAVE_DRAFT });
    this.#redis.defineCommand('tdAddReviewer', { numberOfKeys: 2, lua: ADD_REVIEWER });
    this.#redis.defineCommand('tdRemoveReviewer', { numberOfKeys: 2, lua: REMOVE_REVIEWER });
    this.#redis.defineCommand('tdSaveCorrection', { numberOfKeys: 2, lua: SAVE_CORRECTION });
    this.#redis.defineCommand('tdAddVersion', { numberOfKeys: 2, lua: ADD_VERSION });
    // Any number of keys: given per call.
    this.#redis.defineCommand('tdNewestDrafts', { lua: NEWEST_DRAFTS });
  }

  /**
   * Before the first command on a URL: asks the node (`INFO cluster`, on the store's own connection,
   * so it waits through reconnects like any command) and on a cluster node switches to a cluster
   * client. A failed ask is asked again by the next command.
   */
  #connect(): Promise<void> {
    this.#ready ??= (async () => {
      const target = this.#target;
      if (isClusterTarget(target) || !infoSaysCluster(await this.#redis.info('cluster')) || this.#closed) return;
      const single = this.#redis;
      this.#connectTo(clusterTarget(target));
      single.disconnect();
    })().catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  #key(...parts: string[]): string {
    return this.#keyPrefix + parts.join(':');
  }

  #script(name: ScriptName): ScriptFn {
    const fn = (this.#redis as unknown as Record<string, ScriptFn>)[name];
    if (fn === undefined) throw new Error(`Lua command ${name} is not defined`);
    return fn.bind(this.#redis);
  }

  /** Runs Redis work, turning client and connection failures into TransientError (our own errors pass). */
  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.#connect();
      return await fn();
    } catch (error) {
      if (error instanceof ThreatdraftError || error instanceof TypeError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new TransientError('E_REDIS', `Redis ${operation} failed at ${this.#url}: ${message}`, { operation }, { cause: error });
    }
  }

  // ---- listings ----

  #parseListing(json: string | null, id: string): Listing | null {
    if (json === null) return null;
    const where = `Redis key ${this.#key('listing', id)}`;
    return parseRecord(listingSchema, parseJsonText(json, where), 'Listing', where);
  }

  #listingRepo(): ListingRepo {
    return {
      put: (listing) =>
        this.#run('listings.put', async () => {
          const checked = checkListing(listing);
          const old = await this.#script('tdPutListing')(
            this.#key('listing', checked.id),
            this.#key('listing-hashes'),
            this.#key('listings'),
            checked.id,
            JSON.stringify(checked),
            checked.contentHash,
          );
          return { previousHash: typeof old === 'string' ? old : null };
        }),
      get: (id) => this.#run('listings.get', async () => this.#parseListing(await this.#redis.get(this.#key('listing', id)), id)),
      getMany: (ids) =>
        this.#run('listings.getMany', async () => {
          if (ids.length === 0) return [];
          const values = await this.#redis.mget(ids.map((id) => this.#key('listing', id)));
          return ids.map((id, index) => this.#parseListing(values[index] ?? null, id));
        }),
      ids: () => this.#run('listings.ids', () => this.#redis.zrange(this.#key('listings'), 0, '-1')),
      addVersion: (id, version) =>
        this.#run('listings.addVersion', async () => {
          const checked = checkVersion(id, version);
          const added = await this.#script('tdAddVersion')(
            this.#key('listing-versions', id),
            this.#key('listing-versions-head', id),
            checked.contentHash,
            JSON.stringify(checked),
            MAX_LISTING_VERSIONS,
          );
          return added === 1;
        }),
      versions: (id) =>
        this.#run('listings.versions', async () => {
          const key = this.#key('listing-versions', id);
          const values = await this.#redis.lrange(key, 0, -1);
          return values.map((json) => parseRecord(listingVersionSchema, parseJsonText(json, `Redis key ${key}`), 'Listing version', `Redis key ${key}`));
        }),
    };
  }

  // ---- drafts ----

  #draftKey(id: string): string {
    return this.#key('draft', id);
  }

  #parseDraft(json: string | null, id: string): Draft | null {
    if (json === null) return null;
    const where = `Redis key ${this.#draftKey(id)}`;
    return parseRecord(draftSchema, parseJsonText(json, where), 'Draft', where);
  }

  async #fetchDrafts(ids: readonly string[]): Promise<Draft[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(this.#draftKey(id), 'json');
    const results = (await pipeline.exec()) ?? [];
    const drafts: Draft[] = [];
    for (const [index, id] of ids.entries()) {
      const [error, json] = results[index] ?? [null, null];
      if (error) throw error;
      const draft = this.#parseDraft(typeof json === 'string' ? json : null, id);
      if (draft !== null) drafts.push(draft);
    }
    return drafts;
  }

  #draftRepo(): DraftRepo {
    return {
      get: (id) => this.#run('drafts.get', async () => this.#parseDraft(await this.#redis.hget(this.#draftKey(id), 'json'), id)),
      current: (listingId) =>
        this.#run('drafts.current', async () => {
          const [newest] = await this.#redis.zrevrange(this.#key('drafts', 'by-listing', listingId), 0, 0);
          if (newest === undefined) return null;
          return this.#parseDraft(await this.#redis.hget(this.#draftKey(newest), 'json'), newest);
        }),
      // One script call per batch (of at most NEWEST_DRAFTS_BATCH listings), not two commands per
      // listing: the producer's unchanged check on a first run reads every listing this way. All
      // keys share the store's hash tag on a cluster, so the script stays in one slot.
      currentMany: (listingIds) =>
        this.#run('drafts.currentMany', async () => {
          const drafts: Array<Draft | null> = [];
          for (let start = 0; start < listingIds.length; start += NEWEST_DRAFTS_BATCH) {
            const batch = listingIds.slice(start, start + NEWEST_DRAFTS_BATCH);
            const keys = batch.map((listingId) => this.#key('drafts', 'by-listing', listingId));
            const rows = (await this.#script('tdNewestDrafts')(keys.length, ...keys, this.#draftKey(''))) as Array<[string, string | null] | null>;
            for (const row of rows) drafts.push(Array.isArray(row) ? this.#parseDraft(typeof row[1] === 'string' ? row[1] : null, row[0]) : null);
          }
          return drafts;
        }),
      list: (filter: DraftFilter = {}) =>
        this.#run('drafts.list', async () => {
          const { start, end } = pageBounds(filter);
          let ids: string[];
          if (filter.listingId !== undefined) ids = await this.#redis.zrange(this.#key('drafts', 'by-listing', filter.listingId), 0, '-1');
          else if (filter.status === undefined) ids = await this.#redis.smembers(this.#key('drafts', 'all'));
          else ids = [];
          if (filter.status !== undefined) {
            const statusKeys = filter.status.map((status) => this.#key('drafts', 'status', status));
            const withStatus = statusKeys.length === 0 ? [] : await this.#redis.sunion(...statusKeys);
            if (filter.listingId === undefined) ids = withStatus;
            else {
              const wanted = new Set(withStatus);
              ids = ids.filter((id) => wanted.has(id));
            }
          }
          const page = ids.sort(compareDraftIds).slice(start, end);
          // A draft can change status between the index read and the fetch: check again.
          return (await this.#fetchDrafts(page)).filter((draft) => matchesFilter(draft, filter));
        }),
      save: (draft, expectedVersion, options = {}) =>
        this.#run('drafts.save', async () => {
          const checked = checkDraft(draft);
          const entry = options.audit === undefined ? '' : JSON.stringify(checkAuditEntry(options.audit, 'audit entry to append'));
          const version = expectedVersion === null ? 1 : expectedVersion + 1;
          const saved: Draft = { ...checked, version };
          const result = (await this.#script('tdSaveDraft')(
            this.#draftKey(checked.id),
            this.#key('drafts', 'all'),
            this.#key('drafts', 'by-listing', checked.listingId),
            this.#key('drafts', 'status', checked.status),
            this.#key('audit'),
            ...DRAFT_STATUSES.map((status) => this.#key('drafts', 'status', status)),
            checked.id,
            expectedVersion === null ? '' : String(expectedVersion),
            JSON.stringify(saved),
            String(version),
            checked.status,
            checked.revision,
            entry,
          )) as [number, string];
          if (result[0] !== 1) {
            // Throws the ConflictError with both versions named.
            const stored = result[1] === '' ? null : Number(result[1]);
            nextVersion(checked.id, stored, expectedVersion);
            throw new ConflictError('E_CONFLICT', `Draft ${checked.id} was changed by someone else`, { id: checked.id });
          }
          return saved;
        }),
    };
  }

  // ---- audit ----

  #auditLog(): AuditLog {
    return {
      append: (entry) =>
        this.#run('audit.append', async () => {
          const key = this.#key('audit');
          const checked = checkAuditEntry(entry, 'audit entry to append');
          await this.#redis.xadd(key, '*', 'entry', JSON.stringify(checked));
        }),
      list: (filter = {}) =>
        this.#run('audit.list', async () => {
          const key = this.#key('audit');
          const entries: AuditEntry[] = [];
          let from = '-';
          for (;;) {
            const page = await this.#redis.xrange(key, from, '+', 'COUNT', AUDIT_PAGE);
            for (const [id, fields] of page) {
              const where = `Redis stream ${key} entry ${id}`;
              const index = fields.indexOf('entry');
              const json = index >= 0 ? fields[index + 1] : undefined;
              const entry = checkAuditEntry(parseJsonText(json ?? '', where) as AuditEntry, where);
              if (filter.subject === undefined || entry.subject === filter.subject) entries.push(entry);
            }
            const last = page.at(-1);
            if (page.length < AUDIT_PAGE || last === undefined) return entries;
            from = `(${last[0]}`;
          }
        }),
    };
  }

  // ---- cache ----

  #cacheKey(namespace: string, key: string): string {
    return this.#key('cache', checkNamespace(namespace), cacheKeyHash(key));
  }

  #cacheRepo(): CacheRepo {
    return {
      get: <T = unknown>(namespace: string, key: string): Promise<T | null> =>
        this.#run('cache.get', async () => {
          const redisKey = this.#cacheKey(namespace, key);
          const json = await this.#redis.get(redisKey);
          return json === null ? null : (parseJsonText(json, `Redis key ${redisKey}`) as T);
        }),
      set: (namespace, key, value) =>
        this.#run('cache.set', async () => {
          const text = JSON.stringify(value);
          if (text === undefined) throw new TypeError(`Cache value for ${namespace} is not JSON-serialisable`);
          await this.#redis.set(this.#cacheKey(namespace, key), text);
        }),
      delete: (namespace, key) =>
        this.#run('cache.delete', async () => {
          await this.#redis.del(this.#cacheKey(namespace, key));
        }),
    };
  }

  // ---- reviewers ----

  #parseReviewer(json: string, name: string): Reviewer {
    const where = `Redis hash ${this.#key('reviewers')} field ${name}`;
    return checkReviewer(parseJsonText(json, where) as Reviewer, where);
  }

  #reviewerRepo(): ReviewerRepo {
    // Getters, not constants: the key prefix is known once connected.
    const keys = { reviewers: () => this.#key('reviewers'), tokens: () => this.#key('reviewer-tokens') };
    return {
      add: (reviewer) =>
        this.#run('reviewers.add', async () => {
          const checked = checkReviewer(reviewer, 'reviewer to add');
          const result = await this.#script('tdAddReviewer')(keys.reviewers(), keys.tokens(), checked.name, checked.tokenHash, JSON.stringify(checked));
          if (result === 'name' || result === 'tokenHash') throw reviewerTaken(checked.name, result);
        }),
      list: () =>
        this.#run('reviewers.list', async () => {
          const all = await this.#redis.hgetall(keys.reviewers());
          return Object.keys(all)
            .sort()
            .map((name) => this.#parseReviewer(all[name] ?? '', name));
        }),
      remove: (name) =>
        this.#run('reviewers.remove', async () => (await this.#script('tdRemoveReviewer')(keys.reviewers(), keys.tokens(), name)) === 1),
      findByTokenHash: (tokenHash) =>
        this.#run('reviewers.findByTokenHash', async () => {
          const name = await this.#redis.hget(keys.tokens(), tokenHash);
          if (name === null) return null;
          const json = await this.#redis.hget(keys.reviewers(), name);
          return json === null ? null : this.#parseReviewer(json, name);
        }),
    };
  }

  // ---- policy ----

  #policyRepo(): PolicyRepo {
    const policyKey = (): string => this.#key('policy');
    return {
      get: () =>
        this.#run('policy.get', async () => {
          const key = policyKey();
          const json = await this.#redis.get(key);
          if (json === null) return null;
          const where = `Redis key ${key}`;
          return checkPolicy(parseJsonText(json, where) as ReviewPolicy, where);
        }),
      set: (policy) =>
        this.#run('policy.set', async () => {
          const checked = checkPolicy(policy, 'policy to set');
          await this.#redis.set(policyKey(), JSON.stringify(checked));
        }),
    };
  }

  // ---- corrections ----

  #correctionRepo(): CorrectionRepo {
    const parse = (json: string | null | undefined, id: string) => {
      if (json === null || json === undefined) return null;
      const where = `Redis hash ${this.#key('correction', id)}`;
      return checkCorrection(parseJsonText(json, where) as never);
    };
    return {
      get: (id) => this.#run('corrections.get', async () => parse(await this.#redis.hget(this.#key('correction', id), 'json'), id)),
      list: (filter = {}) =>
        this.#run('corrections.list', async () => {
          const ids = (await this.#redis.smembers(this.#key('corrections'))).sort();
          const pipeline = this.#redis.pipeline();
          for (const id of ids) pipeline.hget(this.#key('correction', id), 'json');
          const results = (await pipeline.exec()) ?? [];
          return ids
            .map((id, index) => parse(results[index]?.[1] as string | null, id))
            .filter((correction) => correction !== null && matchesCorrection(correction, filter))
            .map((correction) => correction!)
            .sort(compareCorrections);
        }),
      save: (correction, expectedVersion) =>
        this.#run('corrections.save', async () => {
          const checked = checkCorrection(correction);
          const version = expectedVersion === null ? 1 : expectedVersion + 1;
          const saved = { ...checked, version };
          const [ok, stored] = (await this.#script('tdSaveCorrection')(
            this.#key('correction', checked.id),
            this.#key('corrections'),
            checked.id,
            expectedVersion === null ? '' : String(expectedVersion),
            JSON.stringify(saved),
            String(version),
          )) as [number, string];
          if (ok !== 1) nextVersion(checked.id, stored === '' ? null : Number(stored), expectedVersion, 'Correction');
          return saved;
        }),
    };
  }

  // ---- index (issue 17) ----

  /**
   * The rerun index is one hash `assessed` (listing id → JSON entry), read with one HGETALL per
   * run; an entry stands only while its draft is the newest revision of its listing (checked in one
   * pipelined round of ZREVRANGE). Summaries come from the records themselves (Redis reads are cheap).
   */
  #indexRepo(): StoreIndex {
    const assessedKey = (): string => this.#key('assessed');
    return {
      assessed: (ids) =>
        this.#run('index assessed', async () => {
          let raw: Record<string, string>;
          if (ids === undefined) raw = await this.#redis.hgetall(assessedKey());
          else {
            raw = {};
            if (ids.length > 0) {
              const values = await this.#redis.hmget(assessedKey(), ...ids);
              ids.forEach((id, index) => {
                const value = values[index];
                if (typeof value === 'string') raw[id] = value;
              });
            }
          }
          const entries: Array<[string, AssessedEntry]> = [];
          for (const [id, json] of Object.entries(raw)) {
            try {
              const value = JSON.parse(json) as AssessedEntry;
              if (typeof value.contentHash === 'string' && typeof value.draftId === 'string' && typeof value.profileKey === 'string') entries.push([id, value]);
            } catch {
              // A malformed entry is a miss: the listing takes the full path and is recorded again.
            }
          }
          const pipeline = this.#redis.pipeline();
          for (const [id] of entries) pipeline.zrevrange(this.#key('drafts', 'by-listing', id), 0, 0);
          const newest = (await pipeline.exec()) ?? [];
          const valid = new Map<string, AssessedEntry>();
          entries.forEach(([id, entry], index) => {
            const [error, value] = newest[index] ?? [null, []];
            if (error) throw error;
            const top = (value as string[])[0];
            if (top !== undefined && top === entry.draftId && parseDraftId(top)?.listingId === id) valid.set(id, entry);
          });
          return valid;
        }),
      recordAssessed: (entries) =>
        this.#run('index record', async () => {
          if (entries.length === 0) return;
          await this.#redis.hset(assessedKey(), Object.fromEntries(entries.map(([id, entry]) => [id, JSON.stringify(entry)])));
        }),
      draftSummaries: async () => (await this.drafts.list()).map(draftSummary),
      listingRefs: () =>
        this.#run('index listingRefs', async () => {
          const hashes = await this.#redis.hgetall(this.#key('listing-hashes'));
          return Object.keys(hashes)
            .sort()
            .map((id) => ({ id, contentHash: hashes[id] as string }));
        }),
      listingSummaries: async (ids) => {
        const wanted = ids ?? (await this.listings.ids());
        const found = new Map<string, ReturnType<typeof listingSummary>>();
        for (let start = 0; start < wanted.length; start += 500) {
          for (const listing of await this.listings.getMany(wanted.slice(start, start + 500))) if (listing !== null) found.set(listing.id, listingSummary(listing));
        }
        return found;
      },
      queueFacts: async () => {
        const index = this.index;
        const [summaries, listings] = await Promise.all([index.draftSummaries(), index.listingSummaries()]);
        return factsFromSummaries(summaries, listings);
      },
    };
  }

  async stats(): Promise<StoreStats> {
    return this.#run('stats', async () => {
      const pipeline = this.#redis.pipeline();
      pipeline.zcard(this.#key('listings'));
      for (const status of DRAFT_STATUSES) pipeline.scard(this.#key('drafts', 'status', status));
      pipeline.hlen(this.#key('reviewers'));
      pipeline.xlen(this.#key('audit'));
      const results = (await pipeline.exec()) ?? [];
      const numbers = results.map(([error, value]) => {
        if (error) throw error;
        return Number(value);
      });
      const counts = emptyStatusCounts();
      DRAFT_STATUSES.forEach((status, index) => {
        counts[status] = numbers[index + 1] ?? 0;
      });
      const n = DRAFT_STATUSES.length;
      return { listings: numbers[0] ?? 0, drafts: counts, reviewers: numbers[n + 1] ?? 0, auditEntries: numbers[n + 2] ?? 0, auditTornLines: [] };
    });
  }

  /** Closes the connection (gracefully, or at once if Redis does not answer). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}

/** Creates a Redis store for `url` under `prefix` (default `threatdraft:`). */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
