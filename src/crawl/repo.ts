/**
 * Repositories as evidence: for a listing's first GitHub repository, its README and its manifests
 * (package.json, pyproject.toml, requirements.txt, Dockerfile, server.json) fetched from
 * `<rawBase>/<owner>/<name>/HEAD/<file>` through the same fetcher (SSRF guard, robots, politeness),
 * each with its own conditional GET. A README failure becomes `repo.error`, never a listing
 * failure; a manifest that is missing (404) or unreadable is simply not there.
 */
import { z } from 'zod';
import type { Listing, Repo } from '../../schemas/listing.js';
import { ThreatdraftError, TransientError, toError } from '../errors.js';
import type { Store } from '../store/store.js';
import { computeContentHash } from './listing-identity.js';
import { stripControls } from './extract-text.js';
import { FETCH_CACHE_NAMESPACE, StoreFailure, readCacheEntry, storeCall, unaskedNotModified, validators, withoutUndefined } from './fetch-cache.js';
import type { Fetcher } from './fetcher.js';
import { MANIFEST_FILES, MAX_MANIFEST_BYTES, manifestFacts } from './manifests.js';
import { normalizeUrl } from './url.js';

/** Where GitHub READMEs and manifests are fetched from. @default https://raw.githubusercontent.com */
export const DEFAULT_RAW_BASE = 'https://raw.githubusercontent.com';

/** README text kept on a listing, in characters. */
export const DEFAULT_README_MAX_CHARS = 20_000;

const fileCacheSchema = z.object({
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** The last attempt failed with a transient error: try again on the next crawl. */
  retry: z.boolean().optional(),
});

/** What enrichment needs. */
export interface RepoContext {
  fetcher: Fetcher;
  store: Store;
  signal: AbortSignal | undefined;
  now: () => Date;
  rawBase: string;
  readmeMaxChars: number;
}

/** `<rawBase>/<owner>/<name>/HEAD/<file>` for a GitHub repository URL, else undefined. */
export function rawFileUrl(repoUrl: string, file: string, rawBase: string = DEFAULT_RAW_BASE): string | undefined {
  const match = /^https?:\/\/(?:www\.)?github\.com\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/i.exec(repoUrl);
  if (match === null) return undefined;
  return `${rawBase.replace(/\/+$/, '')}/${match[1]}/${match[2]}/HEAD/${file}`;
}

/** `<rawBase>/<owner>/<name>/HEAD/README.md` for a GitHub repository URL, else undefined. */
export function readmeUrlFor(repoUrl: string, rawBase: string = DEFAULT_RAW_BASE): string | undefined {
  return rawFileUrl(repoUrl, 'README.md', rawBase);
}

/** The listing with `repo` attached and its content hash recomputed. */
export function withRepo(listing: Listing, repo: Repo): Listing {
  return { ...listing, repo, contentHash: computeContentHash({ ...listing, repo }) };
}

/**
 * Fetches the README and manifests of the listing's first repository. With `previous`, each file
 * that was there before is a conditional GET; `notModified` is true when nothing changed.
 */
export async function enrichRepo(
  listing: Listing,
  context: RepoContext,
  previous: Repo | undefined,
  options: { readme: 'fetch' | 'keep' } = { readme: 'fetch' },
): Promise<{ repo: Repo | undefined; bytes: number; notModified: boolean }> {
  const repoUrl = listing.fields.repositories[0];
  if (repoUrl === undefined) return { repo: undefined, bytes: 0, notModified: false };
  const readmeUrl = readmeUrlFor(repoUrl, context.rawBase);
  if (readmeUrl === undefined) {
    return { repo: { url: repoUrl, readme: null, error: 'E_REPO_HOST: README enrichment supports GitHub repositories only', truncated: false }, bytes: 0, notModified: false };
  }
  const readme =
    options.readme === 'keep' && previous !== undefined
      ? { repo: previous, bytes: 0, notModified: true }
      : await fetchReadme(readmeUrl, repoUrl, context, previous);
  const manifests = await fetchManifests(repoUrl, context, previous, readme.notModified ? 'known' : 'all');
  const repo: Repo = { ...(readme.repo ?? { url: repoUrl, readme: null, error: null, truncated: false }) };
  if (manifests.list.length > 0) repo.manifests = manifests.list;
  else delete repo.manifests;
  return { repo, bytes: readme.bytes + manifests.bytes, notModified: readme.notModified && !manifests.changed };
}

/**
 * On a 304 for the page, checks whether the README or a known manifest changed (conditional GETs).
 * Returns the updated listing, or null when nothing changed. A README that failed with a permanent
 * error (404, robots, unsupported host) is not retried until the page itself changes, nor are
 * manifests that were missing.
 */
export async function refreshRepo(stored: Listing, context: RepoContext): Promise<{ listing: Listing | null; bytes: number }> {
  const previous = stored.repo;
  if (previous === undefined) return { listing: null, bytes: 0 };
  let readme: 'fetch' | 'keep' = 'fetch';
  if (previous.error !== null) {
    const readmeUrl = readmeUrlFor(previous.url, context.rawBase);
    const cached = readmeUrl === undefined ? undefined : await readCacheEntry(context.store.cache, fileCacheSchema, normalizeUrl(readmeUrl));
    if (cached?.retry !== true) readme = 'keep';
  }
  if (readme === 'keep' && (previous.manifests ?? []).length === 0) return { listing: null, bytes: 0 };
  const enrichment = await enrichRepo(stored, context, previous, { readme });
  if (enrichment.notModified || enrichment.repo === undefined) return { listing: null, bytes: enrichment.bytes };
  const updated = withRepo(stored, enrichment.repo);
  if (updated.contentHash === stored.contentHash) return { listing: null, bytes: enrichment.bytes };
  return { listing: { ...updated, fetchedAt: context.now().toISOString() }, bytes: enrichment.bytes };
}

async function fetchReadme(readmeUrl: string, repoUrl: string, context: RepoContext, previous: Repo | undefined): Promise<{ repo: Repo | undefined; bytes: number; notModified: boolean }> {
  const key = normalizeUrl(readmeUrl);
  // A README that failed before is fetched in full when it is retried.
  const known = previous !== undefined && previous.error === null ? previous : undefined;
  const cached = known === undefined ? undefined : await readCacheEntry(context.store.cache, fileCacheSchema, key);
  try {
    const conditional = validators(cached);
    const result = await context.fetcher.fetch(readmeUrl, { signal: context.signal, accept: 'text', conditional });
    if (result.notModified && conditional === undefined) throw unaskedNotModified(readmeUrl);
    if (result.notModified) return { repo: known, bytes: 0, notModified: true };
    await storeCall(() => context.store.cache.set(FETCH_CACHE_NAMESPACE, key, withoutUndefined({ etag: result.etag, lastModified: result.lastModified })));
    // README text is listing text too: no control character from it reaches a terminal.
    const readme = stripControls(result.body);
    const truncated = readme.length > context.readmeMaxChars;
    return {
      repo: { url: repoUrl, readme: truncated ? readme.slice(0, context.readmeMaxChars) : readme, error: null, truncated },
      bytes: result.bytes,
      notModified: false,
    };
  } catch (thrown) {
    if (thrown instanceof StoreFailure || context.signal?.aborted === true) throw thrown;
    const error = toError(thrown);
    await storeCall(() => context.store.cache.set(FETCH_CACHE_NAMESPACE, key, { retry: error instanceof TransientError }));
    const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
    // A README that keeps failing the same way is no change.
    const same = previous !== undefined && previous.error === `${code}: ${error.message}`;
    return { repo: { url: repoUrl, readme: null, error: `${code}: ${error.message}`, truncated: false }, bytes: 0, notModified: same };
  }
}

/**
 * The manifests' facts: `all` files on a first look or a changed page, only the `known` ones (found
 * last time, re-checked with conditional GETs) when the page is unchanged.
 */
async function fetchManifests(
  repoUrl: string,
  context: RepoContext,
  previous: Repo | undefined,
  which: 'all' | 'known',
): Promise<{ list: NonNullable<Repo['manifests']>; bytes: number; changed: boolean }> {
  const before = new Map((previous?.manifests ?? []).map((entry) => [entry.path, entry.facts]));
  const list: NonNullable<Repo['manifests']> = [];
  let bytes = 0;
  for (const file of MANIFEST_FILES) {
    const known = before.get(file);
    if (which === 'known' && known === undefined) continue;
    const url = rawFileUrl(repoUrl, file, context.rawBase);
    if (url === undefined) continue;
    const key = normalizeUrl(url);
    try {
      const cached = known === undefined ? undefined : await readCacheEntry(context.store.cache, fileCacheSchema, key);
      const conditional = validators(cached);
      const result = await context.fetcher.fetch(url, { signal: context.signal, accept: 'asset', maxBytes: MAX_MANIFEST_BYTES, conditional });
      if (result.notModified) {
        if (known !== undefined && conditional !== undefined) list.push({ path: file, facts: known });
        continue;
      }
      bytes += result.bytes;
      await storeCall(() => context.store.cache.set(FETCH_CACHE_NAMESPACE, key, withoutUndefined({ etag: result.etag, lastModified: result.lastModified })));
      const facts = manifestFacts(file, result.body);
      if (facts !== null) list.push({ path: file, facts });
    } catch (thrown) {
      if (thrown instanceof StoreFailure || context.signal?.aborted === true) throw thrown;
      // Missing (404) or unreadable: this repository has no usable manifest of that name.
    }
  }
  const changed = list.length !== before.size || list.some((entry) => before.get(entry.path) !== entry.facts);
  return { list, bytes, changed };
}
