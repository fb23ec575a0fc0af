/**
 * `threatdraft publish`: marks approved drafts published (superseding the listing's earlier
 * published revision), audits it, and writes the static site from every published and superseded
 * revision. The output directory is replaced as a whole (built beside it, then renamed in).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Draft } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import { InputError } from '../errors.js';
import { processAlive } from '../process-alive.js';
import type { Store } from '../store/store.js';
import { safeHttpUrl } from './html.js';
import { refusedForStaleText } from './plan.js';
import { buildSite, SITE_MARKER } from './site.js';

export interface PublishOptions {
  store: Store;
  outDir: string;
  /** Who publishes, for the audit log. @default 'publisher' */
  actor?: string;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Where agent pages send vendors for corrections (`?agent=<id>` is added); null: the review server's `/corrections/new`. */
  correctionsUrl?: string | null;
}

/** What a publish run did. */
export interface PublishSummary {
  outDir: string;
  published: string[];
  /** Approved drafts held back because text in them no longer matches their values (regenerate or confirm it first). */
  refused: { id: string; staleText: string[] }[];
  superseded: string[];
  agents: number;
  files: number;
  /** Temporary folders of interrupted earlier runs that this run removed (names beside `outDir`). */
  swept: string[];
}

/** A build folder older than this is abandoned whoever made it (a publish takes seconds to minutes). */
export const STALE_BUILD_MS = 3_600_000;

/**
 * Publishes approved drafts and writes the site.
 * @throws InputError when `outDir` exists, is not empty and is not a threatdraft site.
 */
export async function publishSite(options: PublishOptions): Promise<PublishSummary> {
  const { store } = options;
  const outDir = resolve(options.outDir);
  const correctionsUrl = checkCorrectionsUrl(options.correctionsUrl ?? null);
  await checkOutDir(outDir);
  const actor = options.actor ?? 'publisher';
  const now = (options.clock ?? (() => new Date()))().toISOString();

  const published: string[] = [];
  const superseded: string[] = [];
  const refused: PublishSummary['refused'] = [];
  for (const draft of await store.drafts.list({ status: ['approved'] })) {
    // Words written for other values (or naming another band) would publish a contradiction.
    if (refusedForStaleText(draft)) {
      refused.push({ id: draft.id, staleText: draft.staleText });
      continue;
    }
    const saved = await store.drafts.save(
      { ...draft, status: 'published', reviews: [...draft.reviews, { reviewer: actor, action: 'publish', comment: null, at: now }], updatedAt: now },
      draft.version,
      { audit: { at: now, actor, action: 'publish', subject: draft.id, detail: { version: draft.version + 1, revision: draft.revision } } },
    );
    published.push(saved.id);
  }
  // Only the newest published revision of a listing stays published.
  const live = await store.drafts.list({ status: ['published'] });
  const newest = new Map<string, number>();
  for (const draft of live) newest.set(draft.listingId, Math.max(newest.get(draft.listingId) ?? 0, draft.revision));
  for (const draft of live) {
    if (draft.revision >= (newest.get(draft.listingId) ?? 0)) continue;
    const saved = await store.drafts.save({ ...draft, status: 'superseded', updatedAt: now }, draft.version, {
      audit: {
        at: now,
        actor,
        action: 'supersede',
        subject: draft.id,
        detail: { version: draft.version + 1, by: `${draft.listingId}.r${newest.get(draft.listingId) ?? 0}` },
      },
    });
    superseded.push(saved.id);
  }

  const drafts: Draft[] = await store.drafts.list({ status: ['published', 'superseded'] });
  const listingIds = [...new Set(drafts.map((draft) => draft.listingId))].sort();
  const listings = new Map<string, Listing>();
  (await store.listings.getMany(listingIds)).forEach((listing) => listing !== null && listings.set(listing.id, listing));
  const files = buildSite(drafts, listings, { correctionsUrl });
  const swept = await sweepStaleBuilds(outDir, 'tmp');
  await writeSite(outDir, files);
  swept.push(...(await sweepStaleBuilds(outDir, 'old')));
  return {
    outDir,
    published,
    refused,
    superseded,
    agents: new Set(drafts.filter((d) => d.status === 'published').map((d) => d.listingId)).size,
    files: files.size,
    swept: swept.sort(),
  };
}

/** An http(s) URL, or an InputError naming `--corrections-url`. */
function checkCorrectionsUrl(value: string | null): string | null {
  if (value === null) return null;
  if (safeHttpUrl(value) === null) {
    throw new InputError('E_INPUT', `Invalid \`--corrections-url\`: expected an http(s) URL, got ${JSON.stringify(value.slice(0, 200))}`, { field: 'corrections-url' });
  }
  return value;
}

async function checkOutDir(outDir: string): Promise<void> {
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'ENOTDIR') throw new InputError('E_OUT_DIR', `--out ${outDir} is a file, not a directory`, { outDir });
    throw error;
  });
  if (entries === null || entries.length === 0 || entries.includes(SITE_MARKER)) return;
  throw new InputError('E_OUT_DIR', `--out ${outDir} is not empty and is not a threatdraft site (no ${SITE_MARKER}); refusing to replace it`, {
    outDir,
  });
}

/**
 * Removes this site's temporary folders (`.<site>.tmp-…` being built, `.<site>.old-…` being
 * replaced) left behind by interrupted runs: those whose process on this machine is gone, and any
 * older than {@link STALE_BUILD_MS} (an older version's, without a process id, or another
 * machine's on a shared disk). A folder of a publish still running is left alone. `old` folders
 * are swept only once the new site is in place, so the last copy of a site is never removed.
 */
async function sweepStaleBuilds(outDir: string, kind: 'tmp' | 'old'): Promise<string[]> {
  const parent = dirname(outDir);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(outDir))}\\.${kind}-(?:(\\d+)-)?[0-9a-f]{12}$`);
  const names = await readdir(parent).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const pid = match[1] === undefined ? undefined : Number(match[1]);
    const path = join(parent, name);
    const ageMs = await stat(path).then(
      (info) => Date.now() - info.mtimeMs,
      () => null,
    );
    if (ageMs === null) continue;
    const abandoned = ageMs > STALE_BUILD_MS || (pid !== undefined && pid !== process.pid && !processAlive(pid));
    if (!abandoned) continue;
    await rm(path, { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes all files into a fresh sibling directory, then swaps it in, so readers never see half a site. */
async function writeSite(outDir: string, files: ReadonlyMap<string, string>): Promise<void> {
  // The process id in the name lets a later run tell an abandoned folder from one being written.
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const building = join(dirname(outDir), `.${basename(outDir)}.tmp-${suffix}`);
  const old = join(dirname(outDir), `.${basename(outDir)}.old-${suffix}`);
  await mkdir(dirname(outDir), { recursive: true });
  try {
    for (const [path, content] of files) {
      const target = join(building, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content, 'utf8');
    }
    const exists = await stat(outDir).then(
      () => true,
      () => false,
    );
    if (exists) await rename(outDir, old);
    await rename(building, outDir);
    if (exists) await rm(old, { recursive: true, force: true });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}
