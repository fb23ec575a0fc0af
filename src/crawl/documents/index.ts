/** A structured document (parsed JSON) to a listing, by what it is: one entry point for the adapters, the eval cases and `eval promote`. */
import type { Listing } from '../../../schemas/listing.js';
import { PermanentError } from '../../errors.js';
import { readAgentCard } from './agent-card.js';
import { isRecord, listingFromDocument, type DocumentListingOptions } from './common.js';
import { readServerJson } from './server-json.js';

/** What a JSON document is: an agent card, a bare server.json, or a registry entry `{ server, _meta }`. */
export type StructuredKind = 'a2a-agent-card' | 'mcp-server' | 'mcp-registry-entry';

/**
 * The listing a structured document stands for.
 * @throws PermanentError `E_SCHEMA` when the document says nothing to assess (see the readers).
 */
export function listingFromJson(kind: StructuredKind, value: unknown, options: DocumentListingOptions): Listing {
  if (kind === 'a2a-agent-card') {
    const card = readAgentCard(value, { url: options.url });
    return listingFromDocument(card.rendering, card.document, options);
  }
  let server = value;
  let meta: Record<string, unknown> | undefined;
  if (kind === 'mcp-registry-entry') {
    if (!isRecord(value) || !isRecord(value['server'])) throw new PermanentError('E_SCHEMA', `Registry entry for ${options.url} has no \`server\` object`, { url: options.url });
    server = value['server'];
    meta = isRecord(value['_meta']) ? value['_meta'] : undefined;
  }
  const reading = readServerJson(server, { url: options.url, meta });
  return listingFromDocument(reading.rendering, reading.document, options);
}
