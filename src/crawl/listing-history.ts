/**
 * Change tracking (pure): a listing's facts flattened to `path → value`, the changes between two
 * versions (fields added, removed or altered), and the flags a change earns. An MCP server whose
 * package, remote or tool definitions change while its version stays the same is flagged as a
 * possible rug pull: what a user approved is no longer what runs, and nothing told them.
 */
import { createHash } from 'node:crypto';
import type { Listing, ListingChange, ListingFlag, ListingVersion } from '../../schemas/listing.js';
import { isRecord, line } from './documents/common.js';

const MAX_FACTS = 400;
const MAX_VALUE = 300;
const MAX_TEXT_LINES = 200;
const MAX_DEPTH = 6;

/** Fact paths that define what an MCP server runs: a change to one under the same version is a possible rug pull. */
export const DEFINITION_PATHS = /^document\.(?:packages|remotes|tools)\b/;

/** A listing's facts as flat `path → value` pairs, bounded, in a stable order. */
export function listingFacts(listing: Listing): Record<string, string> {
  const facts: Record<string, string> = {};
  let count = 0;
  const put = (path: string, value: string): void => {
    const clean = line(value, MAX_VALUE);
    if (clean === '' || count >= MAX_FACTS || Object.hasOwn(facts, path)) return;
    facts[path] = clean;
    count += 1;
  };
  // A structured document says everything its listing's title, summary and fields are made of.
  if (listing.document === undefined) {
    put('title', listing.title);
    put('summary', listing.summary);
    if (listing.fields.category !== null) put('category', listing.fields.category);
    for (const [key, value] of Object.entries(listing.fields.metadata)) put(`metadata.${key}`, value);
    for (const capability of listing.fields.capabilities) put(`capabilities[${line(capability, 80)}]`, capability);
  }
  for (const repository of listing.fields.repositories) put(`repositories[${repository}]`, repository);
  if (listing.repo !== undefined) {
    put('repo.url', listing.repo.url);
    if (listing.repo.readme !== null) put('repo.readme', `${listing.repo.readme.length} characters, sha256 ${sha12(listing.repo.readme)}`);
    for (const manifest of listing.repo.manifests ?? []) put(`repo.${manifest.path}`, manifest.facts);
  }
  if (listing.document !== undefined) {
    flatten(listing.document.data, 'document', put, 0);
  } else {
    // The text of an HTML listing, line by line, keyed by content: a line added, removed or moved stays one change.
    const seen = new Set([line(listing.title), line(listing.summary)]);
    let lines = 0;
    for (const raw of listing.text.split('\n')) {
      const text = line(raw, MAX_VALUE);
      if (text === '' || seen.has(text) || lines >= MAX_TEXT_LINES) continue;
      seen.add(text);
      lines += 1;
      put(`text[${line(text, 80)}]`, text);
    }
  }
  return facts;
}

function sha12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Arrays of named things are keyed by their id or name, so reordering them is no change. */
function elementKey(value: unknown, index: number): string {
  if (isRecord(value)) {
    for (const key of ['id', 'name', 'identifier', 'uri', 'url']) {
      const found = value[key];
      if (typeof found === 'string' && found !== '') return line(found, 80);
    }
  }
  return String(index);
}

function flatten(value: unknown, path: string, put: (path: string, value: string) => void, depth: number): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object') {
    put(path, String(value));
    return;
  }
  if (depth >= MAX_DEPTH) {
    put(path, JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    if (value.every((entry) => typeof entry !== 'object' || entry === null)) {
      put(path, value.map(String).join(', '));
      return;
    }
    value.forEach((entry, index) => flatten(entry, `${path}[${elementKey(entry, index)}]`, put, depth + 1));
    return;
  }
  for (const key of Object.keys(value).sort()) flatten((value as Record<string, unknown>)[key], `${path}.${key}`, put, depth + 1);
}

/** What differs from `before` to `after`, in `after`'s order, then what was removed. */
export function diffFacts(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): ListingChange[] {
  const changes: ListingChange[] = [];
  for (const [path, value] of Object.entries(after)) {
    const old = before[path];
    if (old === undefined) changes.push({ path, change: 'added', before: null, after: value });
    else if (old !== value) changes.push({ path, change: 'altered', before: old, after: value });
  }
  for (const [path, value] of Object.entries(before)) {
    if (after[path] === undefined) changes.push({ path, change: 'removed', before: value, after: null });
  }
  return changes;
}

/** The version a listing's declared version is (server.json `version`, an agent card's `version`), when it has one. */
function declaredVersion(listing: Pick<Listing, 'document'>): string | null {
  const version = listing.document?.data['version'];
  return typeof version === 'string' ? version : null;
}

/**
 * Flags a change earns: `possible-rug-pull` when an MCP server's package, remote or tool
 * definitions changed while the version it declares did not.
 */
export function changeFlags(previous: Pick<Listing, 'document'>, next: Pick<Listing, 'document'>, changes: readonly ListingChange[]): ListingFlag[] {
  if (previous.document?.type !== 'mcp-server' || next.document?.type !== 'mcp-server') return [];
  const version = declaredVersion(next);
  if (version === null || version !== declaredVersion(previous)) return [];
  return changes.some((change) => DEFINITION_PATHS.test(change.path)) ? ['possible-rug-pull'] : [];
}

/** The version to record for `listing`, against the one stored before it (null when it is new). */
export function versionOf(listing: Listing, previous: { listing: Listing; facts: Record<string, string> | null } | null): ListingVersion {
  const facts = listingFacts(listing);
  if (previous === null) return { contentHash: listing.contentHash, fetchedAt: listing.fetchedAt, changes: [], flags: [], facts };
  const changes = diffFacts(previous.facts ?? listingFacts(previous.listing), facts);
  return { contentHash: listing.contentHash, fetchedAt: listing.fetchedAt, changes, flags: changeFlags(previous.listing, listing, changes), facts };
}

/** The changes between the stored versions with hashes `from` and `to`; null when either is no longer kept. */
export function changesBetween(versions: readonly ListingVersion[], from: string, to: string): ListingChange[] | null {
  const before = versions.find((version) => version.contentHash === from);
  const after = [...versions].reverse().find((version) => version.contentHash === to);
  if (before === undefined || after === undefined) return null;
  return diffFacts(before.facts, after.facts);
}
