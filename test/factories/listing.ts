import { listingSchema, type Listing } from '../../schemas/listing.js';
import { computeContentHash } from '../../src/crawl/extract.js';

const BASE_TEXT = [
  'Acme Ops Agent plans multi-step tasks on its own and calls external tools such as a shell, a browser and the GitHub API.',
  'It keeps long-term memory of past conversations in a vector database.',
  'Several agents coordinate through a message bus to finish a goal.',
  'Deployed as a hosted SaaS with API keys per workspace; logs are kept for 30 days.',
].join('\n');

/** Builds a valid Listing; the contentHash is computed as extraction computes it unless overridden. */
export function createListing(overrides: Partial<Listing> = {}): Listing {
  const base: Omit<Listing, 'contentHash'> = {
    id: 'acme-ops-agent',
    sourceId: 'test-directory',
    url: 'https://directory.example/agents/acme-ops-agent',
    fetchedAt: '2025-01-01T00:00:00.000Z',
    title: 'Acme Ops Agent',
    summary: 'An autonomous operations agent with tools and memory.',
    text: BASE_TEXT,
    truncated: false,
    fields: { capabilities: ['shell', 'browser', 'memory'], metadata: {}, repositories: [], category: 'devops' },
  };
  const merged = { ...base, ...overrides };
  const contentHash = overrides.contentHash ?? computeContentHash(merged);
  return listingSchema.parse({ ...merged, contentHash });
}
