/**
 * A few-shot block for the model prompt, drawn from drafts reviewers approved: each example is
 * the listing's title and summary with the reviewed factor values and the layers found certain.
 * Bounded in tokens; the earliest approvals first, so the block (part of the cached prompt
 * prefix and of the prompt hash) stays the same as more drafts are approved once it is full.
 */
import { countTokens } from 'gpt-tokenizer';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import type { Store } from '../store/store.js';
import { neutraliseDelimiters } from './prompts.js';

const oneLine = (text: string, max: number): string => {
  const flat = neutraliseDelimiters(text.replace(/\s+/g, ' ').trim());
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
};

/** When a draft was approved (its first approval), for a stable order. */
function approvedAt(draft: Draft): string {
  return draft.reviews.find((review) => review.action === 'approve')?.at ?? draft.updatedAt;
}

/** Formats one reviewed draft as an example (pure). */
export function formatExample(draft: Draft, listing: Pick<Listing, 'title' | 'summary'>): string {
  const factors = LISTING_FACTOR_KEYS.map((key) => `${key} ${draft.assessment.factors[key].value}`).join(', ');
  const certain = draft.assessment.layers.filter((layer) => layer.certain).map((layer) => layer.layer);
  return [
    `Listing: ${oneLine(listing.title, 120)}: ${oneLine(listing.summary, 300)}`,
    `Reviewed factors: ${factors}`,
    `Certain layers: ${certain.length > 0 ? certain.join(', ') : 'none'}; exploit maturity ${draft.assessment.exploitMaturity.value}; mitigation ${draft.assessment.mitigation.value}`,
  ].join('\n');
}

/**
 * Builds the block from reviewed drafts and their listings, earliest approval first, adding
 * examples while the block stays within `maxTokens`; null when none fits (pure).
 */
export function buildFewShotBlock(examples: ReadonlyArray<{ draft: Draft; listing: Pick<Listing, 'title' | 'summary'> }>, maxTokens: number): string | null {
  const header = '## Examples reviewed by people (calibration; these are other agents, not the one to assess)';
  const ordered = [...examples].sort((a, b) => approvedAt(a.draft).localeCompare(approvedAt(b.draft)) || a.draft.id.localeCompare(b.draft.id));
  const parts: string[] = [];
  let tokens = countTokens(header);
  for (const { draft, listing } of ordered) {
    const text = formatExample(draft, listing);
    const cost = countTokens(text) + 2;
    if (tokens + cost > maxTokens) break;
    parts.push(text);
    tokens += cost;
  }
  return parts.length === 0 ? null : [header, ...parts].join('\n\n');
}

/** Reads approved and published drafts and their listings from the store and builds the block. */
export async function loadFewShot(store: Store, maxTokens: number): Promise<string | null> {
  const drafts = await store.drafts.list({ status: ['approved', 'published'] });
  const listings = await store.listings.getMany(drafts.map((draft) => draft.listingId));
  const examples = drafts.flatMap((draft, index) => {
    const listing = listings[index];
    return listing === null || listing === undefined ? [] : [{ draft, listing }];
  });
  return buildFewShotBlock(examples, maxTokens);
}
