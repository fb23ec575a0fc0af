/**
 * The parts of undici the fetcher uses, loaded from their own files. undici's index loads the
 * whole package (fetch, WebSocket, cookies, mocks, cache stores) — about 100 ms of every command's
 * start-up, most of what an unchanged rerun costs besides its requests — and the fetcher needs an
 * Agent, a connector and `request`. undici declares no `exports` map, so these files are reachable
 * by design (their types: undici-lib.d.ts); package.json pins undici to 7.30.x, and
 * test/crawl/undici-parts.test.ts checks that they are the very functions the index exports. They
 * are static imports so that the CLI bundle takes them in (build/bundle-cli.ts).
 */
import type * as Undici from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import buildConnector from 'undici/lib/core/connect.js';
import apiRequest from 'undici/lib/api/api-request.js';

/** `undici.Agent`. */
export const Agent = AgentClass;

/** `undici.buildConnector`. */
export const makeConnector = buildConnector;

/** undici's `Dispatcher#request`, which its index installs on every dispatcher. */
export const dispatchRequest = apiRequest;

/** `undici.request(url, options)` for an absolute URL, through `options.dispatcher`. */
export function request(
  url: URL,
  options: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher },
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatchRequest.call(dispatcher, { ...rest, origin: url.origin, path: url.search === '' ? url.pathname : `${url.pathname}${url.search}` });
}
