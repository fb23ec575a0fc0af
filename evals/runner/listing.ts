/** An eval case's listing, extracted as the pipeline would, at a fixed time so its hash depends on the case alone. */
import type { Listing } from '../../schemas/listing.js';
import { parseJson } from '../../src/crawl/documents/common.js';
import { listingFromJson } from '../../src/crawl/documents/index.js';
import { extractListing } from '../../src/crawl/extract.js';
import { InputError } from '../../src/errors.js';
import { LISTING_FILES, type EvalCase } from './case-schema.js';

const EVAL_FETCHED_AT = '2026-01-01T00:00:00.000Z';

/**
 * The case's listing: its page extracted, or its structured document read as the a2a and
 * mcp-registry sources read it.
 * @throws InputError naming the case when its document is not JSON or says nothing to assess.
 */
export function listingForCase(evalCase: EvalCase): Listing {
  const options = { url: evalCase.expected.url, sourceId: 'eval', fetchedAt: EVAL_FETCHED_AT };
  if (evalCase.document === undefined) return extractListing(evalCase.html, options);
  const { file, text } = evalCase.document;
  const json = parseJson(text);
  if (!json.ok) throw new InputError('E_EVAL_CASE', `Eval case ${evalCase.id}: ${file} is not JSON (${json.reason})`, { dir: evalCase.dir });
  try {
    return listingFromJson(LISTING_FILES[file], json.value, options);
  } catch (thrown) {
    throw new InputError('E_EVAL_CASE', `Eval case ${evalCase.id}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { dir: evalCase.dir });
  }
}
