/**
 * The crawl stage (discover, then fetch + extract for each listing URL) for one source, through
 * the crawler's `crawlSource`: per-host politeness, robots, conditional GETs and the content-hash
 * check live there. Returns the ids and content hashes of the listings now stored for the source.
 */
import { sourceTypeOf } from '../../schemas/source.js';
import { crawlSource, type CrawlProgress } from '../crawl/crawl.js';
import { sourceListingPrefix } from '../crawl/listing-identity.js';
import type { Fetcher } from '../crawl/fetcher.js';
import type { Store } from '../store/store.js';
import { crawlInputSchema, type CrawlInput, type CrawlOutput } from './contracts.js';

/** What the crawl stage needs. */
export interface CrawlStageDeps {
  store: Store;
  fetcher: Fetcher;
  now?: () => Date;
  signal?: AbortSignal | undefined;
  onProgress?: (progress: CrawlProgress) => void;
  /** Chromium for sources with `render: browser | auto`. */
  chromiumPath?: string | undefined;
}

/** Runs discover + fetch + extract for one source and reports the stored listings. */
export async function crawlStage(input: CrawlInput, deps: CrawlStageDeps): Promise<CrawlOutput> {
  const parsed = crawlInputSchema.parse(input);
  const summary = await crawlSource(parsed.source, {
    fetcher: deps.fetcher,
    store: deps.store,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(parsed.limit === undefined ? {} : { limit: parsed.limit }),
    ...(parsed.rawBase === undefined ? {} : { rawBase: parsed.rawBase }),
    ...(parsed.listingBudgetMs === undefined ? {} : { listingBudgetMs: parsed.listingBudgetMs }),
    ...(parsed.idOrigin === undefined ? {} : { idOrigin: parsed.idOrigin }),
    signal: deps.signal,
    onProgress: deps.onProgress,
    chromiumPath: deps.chromiumPath,
  });
  const ids = new Set(summary.listings.map((listing) => listing.id));
  // A registry is asked only for what changed since its last complete crawl: the listings it stored
  // before are still the source's, and any of them whose draft is missing or stale (a failed
  // assessment, a new assessor) must still reach the assess stage, which skips the rest.
  if (sourceTypeOf(parsed.source) === 'mcp-registry' && parsed.limit === undefined) {
    const prefix = sourceListingPrefix(parsed.source.id);
    for (const id of (await deps.store.index.listingSummaries()).keys()) if (id.startsWith(prefix)) ids.add(id);
  }
  // Content hashes from the listing index: one read for the whole crawl, not one per listing.
  const stored = await deps.store.index.listingSummaries([...ids]);
  const listings: CrawlOutput['listings'] = [];
  for (const id of ids) {
    const summary = stored.get(id);
    if (summary !== undefined) listings.push({ id, contentHash: summary.contentHash });
  }
  return {
    listings,
    found: summary.found,
    fetched: summary.fetched,
    unchanged: summary.unchanged,
    skipped: summary.skipped,
    failures: summary.failures
      .filter((failure) => failure.stage === 'listing')
      .map((failure) => ({ url: failure.url, code: failure.code, reason: failure.reason })),
    skips: summary.failures.filter((failure) => failure.stage === 'skipped').map((failure) => ({ url: failure.url, code: failure.code, reason: failure.reason })),
    warnings: summary.warnings,
  };
}
