/**
 * A minimal MCP registry API v0.1 list endpoint over in-memory entries (pure), for the embedded
 * demo and the tests: `GET /v0.1/servers?limit=&cursor=&search=&updated_since=&version=latest`
 * answered with `{ servers: [{ server, _meta }], metadata: { nextCursor, count } }`, entries in a
 * stable order, cursors opaque (base64url of the next offset).
 */

/** One registry entry as the API returns it. */
export interface RegistryEntry {
  server: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

const OFFICIAL = 'io.modelcontextprotocol.registry/official';

function officialOf(entry: RegistryEntry): Record<string, unknown> {
  const meta = entry._meta?.[OFFICIAL];
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
}

/** The list page for `query` (a URL's search params), at most `pageSize` entries (the smaller of it and `limit`). */
export function registryPage(entries: readonly RegistryEntry[], query: URLSearchParams, pageSize = 30): { status: number; body: unknown } {
  const limit = Math.min(pageSize, Math.max(1, Number(query.get('limit') ?? pageSize) || pageSize));
  let offset = 0;
  const cursor = query.get('cursor');
  if (cursor !== null) {
    offset = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) return { status: 400, body: { error: 'invalid cursor' } };
  }
  const since = query.get('updated_since');
  const sinceMs = since === null ? null : Date.parse(since);
  if (sinceMs !== null && !Number.isFinite(sinceMs)) return { status: 400, body: { error: 'updated_since must be an RFC 3339 date-time' } };
  const search = query.get('search')?.toLowerCase() ?? null;
  const latestOnly = query.get('version') === 'latest';
  const matching = entries.filter((entry) => {
    const official = officialOf(entry);
    if (latestOnly && official['isLatest'] === false) return false;
    if (search !== null && !String(entry.server['name'] ?? '').toLowerCase().includes(search)) return false;
    if (sinceMs !== null) {
      const updated = Date.parse(String(official['updatedAt'] ?? ''));
      if (!(updated > sinceMs)) return false;
    }
    return true;
  });
  const page = matching.slice(offset, offset + limit);
  const next = offset + limit < matching.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
  return { status: 200, body: { servers: page, metadata: { count: page.length, ...(next === undefined ? {} : { nextCursor: next }) } } };
}
