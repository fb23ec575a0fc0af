/**
 * The `a2a` adapter: `start` lists agents, each an origin or base URL (its card is at
 * `<base>/.well-known/agent-card.json`, or at the legacy `<base>/.well-known/agent.json` when the
 * first answers 404 or 410) or the URL of a card itself (a path ending in `.json`). Each card is a
 * conditional GET of JSON, capped at {@link MAX_CARD_BYTES}, read by `documents/agent-card.ts`.
 */
import { PermanentError, ThreatdraftError } from '../../errors.js';
import { parseJson } from '../documents/common.js';
import { listingFromJson } from '../documents/index.js';
import { normalizeUrl, parseHttpUrl } from '../url.js';
import { DOCUMENT_SKIP_CODES, type AdapterContext, type Discovery, type DiscoveredItem, type Loaded, type SourceAdapter } from './adapter.js';
import { listingCap } from '../discover.js';
import { loadConditionally } from './conditional.js';

/** Agent cards larger than this are refused (real cards are a few kilobytes). */
export const MAX_CARD_BYTES = 1024 * 1024;

/** Where the card of a start URL may be, in the order tried. */
export function cardUrls(start: string): string[] {
  const url = parseHttpUrl(start);
  url.hash = '';
  if (/\.json$/i.test(url.pathname)) return [url.href];
  url.search = '';
  const base = url.href.replace(/\/+$/, '');
  return [`${base}/.well-known/agent-card.json`, `${base}/.well-known/agent.json`];
}

function isGone(error: unknown): boolean {
  return error instanceof ThreatdraftError && error.code === 'E_HTTP_4XX' && (error.context['status'] === 404 || error.context['status'] === 410);
}

export const a2aAdapter: SourceAdapter = {
  skipCodes: DOCUMENT_SKIP_CODES,
  discover(context: AdapterContext): Promise<Discovery> {
    const cap = listingCap(context.source, context.limit);
    const seen = new Set<string>();
    const items: DiscoveredItem[] = [];
    for (const start of context.source.start) {
      const key = normalizeUrl(start);
      if (seen.has(key) || items.length >= cap) continue;
      seen.add(key);
      items.push({ url: start });
    }
    return Promise.resolve({ items, pagesVisited: 0, bytes: 0, errors: [], skips: [] });
  },

  async load(item: DiscoveredItem, context: AdapterContext): Promise<Loaded> {
    const candidates = cardUrls(item.url);
    for (const [index, cardUrl] of candidates.entries()) {
      try {
        const loaded = await loadConditionally(cardUrl, context, {
          accept: 'json',
          maxBytes: MAX_CARD_BYTES,
          toListing: (result) => {
            const json = parseJson(result.body);
            if (!json.ok) throw new PermanentError('E_JSON', `Agent card ${result.finalUrl} is not JSON (${json.reason})`, { url: result.finalUrl });
            // The agent, not the path its card was found at, is the listing: ids derive from the start URL.
            return listingFromJson('a2a-agent-card', json.value, {
              url: result.finalUrl,
              idUrl: context.idUrl(item.url),
              sourceId: context.source.id,
              fetchedAt: context.now().toISOString(),
              maxTokens: context.maxTokens,
            });
          },
        });
        return loaded;
      } catch (thrown) {
        // No card at the v1.0 path: try the legacy one.
        if (index === candidates.length - 1 || !isGone(thrown)) throw thrown;
      }
    }
    throw new PermanentError('E_NO_CARD', `No agent card for ${item.url}`, { url: item.url });
  },
};
