/**
 * `assessListing` for callers that hand the assessor per-call options (the executors' model slot,
 * the listing's deadline) and keep what the core provenance does not carry: prompt tokens served
 * from the provider's cache and the Batch API batch an answer came from.
 */
import type { Listing } from '../../schemas/listing.js';
import { assessListing, type AssessListingOptions, type AssessedListing } from './assess.js';
import type { AssessCallOptions, AssessOutcome, Assessor } from './assessor.js';

/** Assesses one listing like `assessListing`, passing `call` options to the assessor and recording cached tokens and batch id. */
export async function assessListingWithUsage(
  listing: Listing,
  options: AssessListingOptions & { call?: Omit<AssessCallOptions, 'signal'> },
): Promise<AssessedListing> {
  let outcome: AssessOutcome | undefined;
  const inner = options.assessor;
  const assessor: Assessor = {
    id: inner.id,
    version: inner.version,
    assess: async (target, callOptions = {}) => (outcome = await inner.assess(target, { ...callOptions, ...options.call })),
  };
  const result = await assessListing(listing, { ...options, assessor });
  const tokensCached = outcome?.usage.tokensCached;
  return {
    ...result,
    provenance: {
      ...result.provenance,
      ...(tokensCached === undefined ? {} : { tokensCached }),
      ...(outcome?.batchId === undefined ? {} : { batchId: outcome.batchId }),
    },
  };
}
