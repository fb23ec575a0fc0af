/**
 * The `mcp-registry` adapter: each `start` URL is a registry base serving the MCP registry API v0.1.
 * Discovery pages through `GET <base>/v0.1/servers?limit=100&version=latest`, following
 * `metadata.nextCursor` until it is empty; every entry (`{ server: server.json, _meta }`) is read
 * there and then, so loading needs no further request. After a complete crawl the adapter keeps the
 * newest `updatedAt` the registry reported (else the time the crawl started), and the next crawl
 * asks only for servers `updated_since` then. A cursor the registry already gave is a loop: the
 * crawl stops paging and reports it. Entries that break the schema, or that the registry marks
 * deleted, are skipped with the reason.
 */
import { z } from 'zod';
import { PermanentError, ThreatdraftError, toError } from '../../errors.js';
import { isRecord, parseJson } from '../documents/common.js';
import { listingFromJson } from '../documents/index.js';
import { status } from '../documents/server-json.js';
import { listingCap, type DiscoverError } from '../discover.js';
import { FETCH_CACHE_NAMESPACE, StoreFailure, readCacheEntry, storeCall } from '../fetch-cache.js';
import { DOCUMENT_SKIP_CODES, type AdapterContext, type Discovery, type DiscoveredItem, type Loaded, type Skip, type SourceAdapter } from './adapter.js';

/** Entries asked for per page. */
export const REGISTRY_PAGE_SIZE = 100;

const pageSchema = z.object({
  servers: z.array(z.unknown()),
  metadata: z.object({ nextCursor: z.string().nullish(), count: z.number().optional() }).loose().nullish(),
});

const stateSchema = z.object({ updatedSince: z.string() });

/** The fetch-cache key holding where the next crawl of a registry starts. */
export function registryStateKey(base: string): string {
  return `mcp-registry ${base}`;
}

/** The URL a server's listing stands for: its latest version in the registry. */
export function serverUrl(base: string, name: string): string {
  return `${base}/v0.1/servers/${encodeURIComponent(name)}/versions/latest`;
}

function listUrl(base: string, options: { cursor: string | null; updatedSince: string | null }): string {
  const url = new URL(`${base}/v0.1/servers`);
  url.searchParams.set('limit', String(REGISTRY_PAGE_SIZE));
  url.searchParams.set('version', 'latest');
  if (options.updatedSince !== null) url.searchParams.set('updated_since', options.updatedSince);
  if (options.cursor !== null) url.searchParams.set('cursor', options.cursor);
  return url.href;
}

/** The registry's `updatedAt` of an entry, as epoch ms, when its `_meta` says. */
function updatedAt(meta: Record<string, unknown> | undefined): number | undefined {
  for (const value of Object.values(meta ?? {})) {
    if (isRecord(value) && typeof value['updatedAt'] === 'string') {
      const at = Date.parse(value['updatedAt']);
      if (Number.isFinite(at)) return at;
    }
  }
  return undefined;
}

function isLatest(meta: Record<string, unknown> | undefined): boolean {
  return Object.values(meta ?? {}).some((value) => isRecord(value) && value['isLatest'] === true);
}

interface Entry {
  server: unknown;
  meta: Record<string, unknown> | undefined;
  name: string;
}

export const mcpRegistryAdapter: SourceAdapter = {
  skipCodes: DOCUMENT_SKIP_CODES,
  async discover(context: AdapterContext): Promise<Discovery> {
    const { source, fetcher, store, signal } = context;
    const cap = listingCap(source, context.limit);
    const startedAt = context.now();
    const byName = new Map<string, Entry & { url: string }>();
    const errors: DiscoverError[] = [];
    const skips: Skip[] = [];
    const commits: Array<() => Promise<void>> = [];
    let pagesVisited = 0;
    let bytes = 0;
    let capped = false;

    for (const start of source.start) {
      const base = start.replace(/\/+$/, '').replace(/\/v0(?:\.\d+)?(?:\/servers)?$/, '');
      const state = await readCacheEntry(store.cache, stateSchema, registryStateKey(base));
      const updatedSince = state?.updatedSince ?? null;
      const cursors = new Set<string>();
      let cursor: string | null = null;
      let newest: number | undefined;
      let failed = false;
      for (;;) {
        signal?.throwIfAborted();
        if (pagesVisited >= source.maxPages) {
          errors.push({ url: listUrl(base, { cursor, updatedSince }), code: 'E_PAGE_CAP', reason: `stopped after ${source.maxPages} pages (maxPages)` });
          failed = true;
          break;
        }
        const url = listUrl(base, { cursor, updatedSince });
        pagesVisited += 1;
        let page: z.infer<typeof pageSchema>;
        try {
          const result = await fetcher.fetch(url, { signal, accept: 'json' });
          bytes += result.bytes;
          const json = parseJson(result.body);
          if (!json.ok) throw new PermanentError('E_JSON', `Registry page ${url} is not JSON (${json.reason})`, { url });
          const parsed = pageSchema.safeParse(json.value);
          if (!parsed.success) throw new PermanentError('E_SCHEMA', `Registry page ${url} is not a server list: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { url });
          page = parsed.data;
        } catch (thrown) {
          if (thrown instanceof StoreFailure) throw thrown.cause;
          if (signal?.aborted === true) throw thrown;
          const error = toError(thrown);
          errors.push({ url, code: error instanceof ThreatdraftError ? error.code : 'E_DISCOVER', reason: error.message });
          failed = true;
          break;
        }
        for (const [index, raw] of page.servers.entries()) {
          const entry = entryOf(raw);
          if (entry === null) {
            skips.push({ url: `${url}#servers[${index}]`, code: 'E_SCHEMA', reason: `entry ${index} of ${url} has no server with a string name` });
            continue;
          }
          const at = updatedAt(entry.meta);
          if (at !== undefined) newest = Math.max(newest ?? at, at);
          const existing = byName.get(entry.name);
          if (existing !== undefined && (isLatest(existing.meta) || !isLatest(entry.meta))) continue;
          if (existing === undefined && byName.size >= cap) {
            capped = true;
            continue;
          }
          byName.set(entry.name, { ...entry, url: serverUrl(base, entry.name) });
        }
        const next = page.metadata?.nextCursor ?? null;
        if (next === null || next === '' || capped) break;
        if (cursors.has(next)) {
          errors.push({ url, code: 'E_CURSOR_LOOP', reason: `registry ${base} returned cursor ${JSON.stringify(next.slice(0, 80))} a second time after ${cursors.size + 1} pages; paging stopped` });
          failed = true;
          break;
        }
        cursors.add(next);
        cursor = next;
      }
      if (!failed && !capped) {
        const since = newest !== undefined ? new Date(Math.max(newest, updatedSince === null ? 0 : Date.parse(updatedSince) || 0)).toISOString() : (updatedSince ?? startedAt.toISOString());
        commits.push(() => storeCall(() => store.cache.set(FETCH_CACHE_NAMESPACE, registryStateKey(base), { updatedSince: since })));
      }
    }

    const items: DiscoveredItem[] = [];
    for (const entry of byName.values()) {
      if (status(entry.meta) === 'deleted') {
        skips.push({ url: entry.url, code: 'E_DELETED', reason: `${entry.name} is marked deleted in the registry` });
        continue;
      }
      items.push({ url: entry.url, payload: entry });
    }
    return {
      items,
      pagesVisited,
      bytes,
      errors,
      skips,
      commit: commits.length === 0 ? undefined : async () => {
        for (const commit of commits) await commit();
      },
    };
  },

  load(item: DiscoveredItem, context: AdapterContext): Promise<Loaded> {
    const entry = item.payload as Entry;
    const listing = listingFromJson('mcp-registry-entry', { server: entry.server, _meta: entry.meta }, {
      url: item.url,
      idUrl: context.idUrl(item.url),
      sourceId: context.source.id,
      fetchedAt: context.now().toISOString(),
      maxTokens: context.maxTokens,
    });
    return Promise.resolve({ listing, notModified: false, bytes: 0 });
  },
};

/** `{ server, _meta }` with a string server name, else null. */
function entryOf(raw: unknown): Entry | null {
  if (!isRecord(raw) || !isRecord(raw['server'])) return null;
  const name = raw['server']['name'];
  if (typeof name !== 'string' || name.trim() === '') return null;
  return { server: raw['server'], meta: isRecord(raw['_meta']) ? raw['_meta'] : undefined, name: name.trim() };
}
