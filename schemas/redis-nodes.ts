/**
 * Redis Cluster seed nodes as `REDIS_CLUSTER_NODES` lists them (`host:port,host:port`). No zod
 * here: the env schema and the Redis adapters both parse with this one function.
 */

/** One cluster node, as `REDIS_CLUSTER_NODES` lists them (`host:port`). */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

const NODE_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * Parses a comma-separated `host:port` list (IPv6 in brackets), ignoring blanks and duplicates.
 * @throws RangeError naming the first entry that is not `host:port` with a port from 1 to 65535.
 */
export function parseRedisNodes(text: string): RedisNode[] {
  const nodes: RedisNode[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = NODE_PATTERN.exec(entry);
    const port = match === null ? NaN : Number(match[2]);
    if (match === null || !(port >= 1 && port <= 65_535)) {
      throw new RangeError(`Expected host:port (for example 10.0.0.5:7000), got ${JSON.stringify(entry)}`);
    }
    const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
    const key = `${host}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes.push({ host, port });
  }
  return nodes;
}

