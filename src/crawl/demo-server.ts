/**
 * Loopback HTTP servers for offline runs, tests and benchmarks (node:http adapter).
 *
 * - `startDemoServer` serves `examples/demo-directory/` (index pages with pagination and a cycle,
 *   ~30 varied listing pages, robots.txt, sitemap.xml) plus repository READMEs and manifests at
 *   `/raw/<owner>/<name>/HEAD/<file>`, so the crawler's repository enrichment works with
 *   `rawBase = <origin>/raw`; next to it, agent cards under `/a2a/`, an MCP registry at
 *   `/registry/v0.1/servers` (cursor pages, `updated_since`) and a gallery under `/js/` that builds
 *   its listings in JavaScript, one source config for each in `sources/`.
 * - `startSyntheticDirectory` generates N listing pages on the fly for crawl benchmarks.
 *
 * Both answer conditional GETs (ETag / Last-Modified, 304) and count requests. The demo directory's
 * files are written for its documented address, `http://127.0.0.1:47613` (so `source.json` crawls
 * as shown when the folder is served there); a server on another port replaces that origin in the
 * text it serves, so absolute URLs in the sitemap and robots.txt point back at it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceConfigSchema } from '../../schemas/source.js';
import type { SourceConfig } from '../../schemas/source.js';
import { ConfigError } from '../errors.js';
import { registryPage, type RegistryEntry } from './demo-registry.js';

/** The origin the demo directory's files are written for (`source.json`, sitemap, robots.txt); replaced by the real one. */
export const DEMO_PLACEHOLDER_ORIGIN = 'http://127.0.0.1:47613';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.toml': 'text/plain; charset=utf-8',
};

/** Repository files served under `/raw/<owner>/<name>/HEAD/`, as a code host's raw endpoint would. */
const RAW_FILES = /^raw\/([\w.-]+)\/([\w.-]+)\/HEAD\/(README\.md|package\.json|pyproject\.toml|requirements\.txt|Dockerfile|server\.json)$/;

/** Entries per page of the demo registry (small, so a crawl follows several cursors). */
export const DEMO_REGISTRY_PAGE_SIZE = 4;

/** Options for the loopback servers. */
export interface DemoServerOptions {
  /** Port to listen on. @default 0 (any free port) */
  port?: number | undefined;
  /** Loopback only: the demo must never be reachable from the network. @default '127.0.0.1' */
  host?: '127.0.0.1' | undefined;
}

/** A running loopback directory. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly origin: string;
  /** Base for README enrichment: `<origin>/raw`, mapping github.com/<owner>/<name> to this server. */
  readonly rawBase: string;
  /** The source config to crawl this server with (`allowPrivateNetwork: true`). */
  readonly sourceConfig: SourceConfig;
  /** Every source the server plays, the HTML directory first: agent cards, the registry, the browser-rendered gallery (demo only). */
  readonly sources: readonly SourceConfig[];
  /** Requests served so far (any path, any status). */
  readonly requests: number;
  /** Requests served so far, by path (query string removed). */
  readonly requestsByPath: ReadonlyMap<string, number>;
  /** Every response so far, in order: path (query removed), status and body bytes sent (0 for a 304 or HEAD). */
  readonly responses: ReadonlyArray<ServedResponse>;
  close(): Promise<void>;
}

/** One response a loopback directory sent. */
export interface ServedResponse {
  path: string;
  status: number;
  bytes: number;
}

/** Locates the package root (the folder holding package.json) from this module, in src/ or dist/src/. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigError('E_PACKAGE_ROOT', 'Could not find package.json above the demo server module', { from });
    dir = parent;
  }
}

/** The folder with the demo directory's static files. */
export function demoDirectoryPath(): string {
  return join(packageRoot(), 'examples', 'demo-directory');
}

/**
 * The demo directory's source config with its placeholder origin replaced by `origin`.
 * @throws ConfigError when `source.json` is missing or fails the schema.
 */
export function demoSourceConfig(origin: string): SourceConfig {
  return readDemoSource(join(demoDirectoryPath(), 'source.json'), origin);
}

/** The demo's other sources (`sources/*.json`: a2a, mcp-registry, the browser-rendered gallery) for `origin`, sorted by file name. */
export function demoExtraSources(origin: string): SourceConfig[] {
  const dir = join(demoDirectoryPath(), 'sources');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => readDemoSource(join(dir, name), origin));
}

function readDemoSource(file: string, origin: string): SourceConfig {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('E_DEMO_SOURCE', `Cannot read the demo source config ${file}`, { file }, { cause: error });
  }
  const cleanOrigin = origin.replace(/\/+$/, '');
  const parsed = sourceConfigSchema.safeParse(JSON.parse(raw.split(DEMO_PLACEHOLDER_ORIGIN).join(cleanOrigin)));
  if (!parsed.success) {
    throw new ConfigError('E_DEMO_SOURCE', `The demo source config ${file} is invalid: ${parsed.error.message}`, { file });
  }
  return parsed.data;
}

/** One response a handler wants to send. */
interface Resource {
  body: string;
  contentType: string;
  lastModified: Date;
}

type Resolver = (path: string, origin: string, query: URLSearchParams) => Resource | undefined;

interface Started {
  server: Server;
  origin: string;
  counts: Map<string, number>;
  responses: ServedResponse[];
  total: () => number;
}

async function listen(resolver: Resolver, options: DemoServerOptions): Promise<Started> {
  const counts = new Map<string, number>();
  const responses: ServedResponse[] = [];
  let total = 0;
  let origin = '';
  // Bodies are rendered once per path; ETags are their hashes.
  const rendered = new Map<string, { resource: Resource; etag: string } | null>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    total++;
    const target = request.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      responses.push({ path, status: 405, bytes: 'method not allowed\n'.length });
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    // Bodies are rendered once per URL (the registry answers by query).
    let entry = rendered.get(target);
    if (entry === undefined) {
      let resource: Resource | undefined;
      try {
        resource = resolver(path, origin, new URLSearchParams(target.slice(path.length + 1)));
      } catch {
        resource = undefined;
      }
      entry = resource === undefined ? null : { resource, etag: `"${createHash('sha1').update(resource.body).digest('hex')}"` };
      rendered.set(target, entry);
    }
    if (entry === null) {
      // Node sends no body for HEAD whatever end() is given.
      responses.push({ path, status: 404, bytes: request.method === 'HEAD' ? 0 : 'not found\n'.length });
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const lastModified = entry.resource.lastModified.toUTCString();
    const headers = { etag: entry.etag, 'last-modified': lastModified, 'cache-control': 'no-cache' };
    if (notModified(request, entry.etag, entry.resource.lastModified)) {
      responses.push({ path, status: 304, bytes: 0 });
      response.writeHead(304, headers).end();
      return;
    }
    const body = Buffer.from(entry.resource.body, 'utf8');
    responses.push({ path, status: 200, bytes: request.method === 'HEAD' ? 0 : body.length });
    response.writeHead(200, { ...headers, 'content-type': entry.resource.contentType, 'content-length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;
  return { server, origin, counts, responses, total: () => total };
}

function notModified(request: IncomingMessage, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .some((tag) => tag === etag || tag === '*');
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have one-second resolution.
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
}

function toDemoServer(started: Started, sourceConfig: SourceConfig, extra: readonly SourceConfig[] = []): DemoServer {
  return {
    origin: started.origin,
    rawBase: `${started.origin}/raw`,
    sourceConfig,
    sources: [sourceConfig, ...extra],
    get requests() {
      return started.total();
    },
    requestsByPath: started.counts,
    responses: started.responses,
    close: () => closeServer(started.server),
  };
}

/** Serves `examples/demo-directory/` on a loopback port. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const root = resolve(demoDirectoryPath());
  const registryFile = join(root, 'registry', 'servers.json');
  const resolver: Resolver = (path, origin, query) => {
    if (path === '/registry/v0.1/servers') {
      const { status, body } = registryPage(JSON.parse(readFileSync(registryFile, 'utf8')) as RegistryEntry[], query, DEMO_REGISTRY_PAGE_SIZE);
      if (status !== 200) return undefined;
      return { body: JSON.stringify(body), contentType: CONTENT_TYPES['.json'] ?? 'application/json', lastModified: statSync(registryFile).mtime };
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    let relative = decoded.replace(/^\/+/, '');
    const raw = RAW_FILES.exec(relative);
    if (raw !== null) relative = `repos/${raw[1]}/${raw[2]}/${raw[3]}`;
    else if (relative.startsWith('repos/')) return undefined; // repository files only under /raw/, like a code host
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    const file = resolve(root, relative);
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    if (file === join(root, 'source.json') || file.startsWith(join(root, 'sources') + sep)) return undefined;
    const contentType = CONTENT_TYPES[extname(file).toLowerCase()] ?? (file.endsWith(`${sep}Dockerfile`) ? CONTENT_TYPES['.txt'] : undefined);
    if (contentType === undefined || !existsSync(file)) return undefined;
    const stat = statSync(file);
    if (!stat.isFile()) return undefined;
    return {
      body: readFileSync(file, 'utf8').split(DEMO_PLACEHOLDER_ORIGIN).join(origin),
      contentType,
      lastModified: stat.mtime,
    };
  };
  const started = await listen(resolver, options);
  return toDemoServer(started, demoSourceConfig(started.origin), demoExtraSources(started.origin));
}

/** Options for {@link startSyntheticDirectory}. */
export interface SyntheticDirectoryOptions extends DemoServerOptions {
  /** Number of listing pages. */
  listings: number;
  /** Listing links per index page. @default 50 */
  perPage?: number | undefined;
  /**
   * Content revision: listings whose index is a multiple of 10 change their text when it changes,
   * so a recrawl against a new revision finds exactly those changed. @default 0
   */
  revision?: number | undefined;
}

// Fixed so ETags and Last-Modified stay stable across runs of the same revision.
const SYNTHETIC_EPOCH = Date.UTC(2026, 0, 1);

const SYNTHETIC_KINDS = [
  { kind: 'coding agent', caps: ['Runs shell commands in a container', 'Edits repository files', 'Pushes commits to a branch'] },
  { kind: 'customer support chatbot', caps: ['Answers from the help center', 'Looks up orders', 'Escalates to a human'] },
  { kind: 'MCP server', caps: ['Exposes read_file and write_file tools', 'Runs over stdio', 'No authentication'] },
  { kind: 'research assistant', caps: ['Searches the web', 'Keeps a vector index of sources', 'Cites its answers'] },
  { kind: 'local utility', caps: ['Runs offline', 'Keeps no history', 'Single-purpose text transformation'] },
] as const;

/** Generates a directory of `listings` pages on the fly: `/`, `/page-<n>.html`, `/agents/agent-<i>.html`. */
export async function startSyntheticDirectory(options: SyntheticDirectoryOptions): Promise<DemoServer> {
  const listings = options.listings;
  const perPage = options.perPage ?? 50;
  if (!Number.isInteger(listings) || listings < 0) {
    throw new ConfigError('E_SYNTHETIC', `Expected \`listings\` to be an integer from 0 up, got ${String(listings)}`);
  }
  if (!Number.isInteger(perPage) || perPage < 1) {
    throw new ConfigError('E_SYNTHETIC', `Expected \`perPage\` to be an integer from 1 up, got ${String(perPage)}`);
  }
  const revision = options.revision ?? 0;
  const pages = Math.max(1, Math.ceil(listings / perPage));
  const html = (body: string): Resource => ({
    body,
    contentType: CONTENT_TYPES['.html'] ?? 'text/html',
    lastModified: new Date(SYNTHETIC_EPOCH),
  });
  const resolver: Resolver = (path, origin) => {
    if (path === '/robots.txt') {
      return { body: `User-agent: *\nAllow: /\n\nSitemap: ${origin}/sitemap.xml\n`, contentType: 'text/plain; charset=utf-8', lastModified: new Date(SYNTHETIC_EPOCH) };
    }
    if (path === '/sitemap.xml') {
      const urls: string[] = [];
      for (let i = 1; i <= listings; i++) urls.push(`<url><loc>${origin}/agents/agent-${i}.html</loc></url>`);
      return {
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`,
        contentType: 'application/xml; charset=utf-8',
        lastModified: new Date(SYNTHETIC_EPOCH),
      };
    }
    const pageMatch = path === '/' ? ['', '1'] : /^\/page-(\d+)\.html$/.exec(path);
    if (pageMatch !== null) {
      const page = Number(pageMatch[1]);
      if (page < 1 || page > pages) return undefined;
      const links: string[] = [];
      for (let i = (page - 1) * perPage + 1; i <= Math.min(listings, page * perPage); i++) {
        links.push(`<li><a class="agent-link" href="/agents/agent-${i}.html">Agent ${i}</a></li>`);
      }
      const next = page < pages ? `<a rel="next" href="/page-${page + 1}.html">Next</a>` : '';
      return html(
        `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Synthetic directory page ${page}</title></head><body><h1>Synthetic directory</h1><ul>${links.join('')}</ul>${next}</body></html>`,
      );
    }
    const agentMatch = /^\/agents\/agent-(\d+)\.html$/.exec(path);
    if (agentMatch !== null) {
      const i = Number(agentMatch[1]);
      if (i < 1 || i > listings) return undefined;
      return html(syntheticListing(i, i % 10 === 0 ? revision : 0));
    }
    return undefined;
  };
  const started = await listen(resolver, options);
  const sourceConfig = sourceConfigSchema.parse({
    id: 'synthetic',
    name: `Synthetic directory (${listings} listings)`,
    start: [`${started.origin}/`],
    sitemap: `${started.origin}/sitemap.xml`,
    listingLinks: 'a.agent-link',
    nextPage: 'a[rel="next"]',
    maxPages: pages + 1,
    politeness: { concurrency: 8, intervalMs: 0 },
    allowPrivateNetwork: true,
  });
  return toDemoServer(started, sourceConfig);
}

/** The HTML of synthetic listing `i` (deterministic; `revision` alters the text). */
export function syntheticListing(i: number, revision = 0): string {
  const kind = SYNTHETIC_KINDS[i % SYNTHETIC_KINDS.length] ?? SYNTHETIC_KINDS[0];
  const caps = kind.caps.map((cap) => `<li>${cap}</li>`).join('');
  const changed = revision === 0 ? '' : `<p>Revision ${revision}: now also sends weekly email reports.</p>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Agent ${i} — Synthetic directory</title>
<meta name="description" content="Agent ${i} is a ${kind.kind} generated for crawl benchmarks."></head>
<body><nav><a href="/">Home</a></nav><article><h1>Agent ${i}</h1>
<p>Agent ${i} is a ${kind.kind} generated for crawl benchmarks. It is listing number ${i} of the synthetic directory.</p>
<h2>Capabilities</h2><ul>${caps}</ul>${changed}
<table><tr><th>Category</th><td>${kind.kind}</td></tr><tr><th>Deployment</th><td>${i % 2 === 0 ? 'Cloud' : 'Self-hosted'}</td></tr><tr><th>License</th><td>${i % 3 === 0 ? 'MIT' : 'Proprietary'}</td></tr></table>
</article><footer>Synthetic</footer></body></html>`;
}
