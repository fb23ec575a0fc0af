/** An eval case's listing, extracted as the pipeline would, at a fixed time so its hash depends on the case alone. */
import type { Listing } from '../../schemas/listing.js';
import { extractListing } from '../../src/crawl/extract.js';
import type { EvalCase } from './case-schema.js';

const EVAL_FETCHED_AT = '2026-01-01T00:00:00.000Z';

export function listingForCase(evalCase: EvalCase): Listing {
  return extractListing(evalCase.html, { url: evalCase.expected.url, sourceId: 'eval', fetchedAt: EVAL_FETCHED_AT });
}
