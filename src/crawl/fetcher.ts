/** The Fetcher port: one polite, guarded HTTP GET. Implemented by `UndiciFetcher`. */

export interface Conditional {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export interface FetchResult {
  /** HTTP status of the final response (304 when the conditional GET matched). */
  status: number;
  /** URL after redirects. */
  finalUrl: string;
  /** Decoded body; empty on 304. */
  body: string;
  contentType: string;
  etag: string | undefined;
  lastModified: string | undefined;
  notModified: boolean;
  fetchedAt: string;
  /** Bytes of body transferred (0 on 304). */
  bytes: number;
}

export interface FetchOptions {
  signal?: AbortSignal | undefined;
  conditional?: Conditional | undefined;
  /**
   * Which content types to accept: `page` (default) HTML, XHTML, plain text and Markdown; `xml`;
   * `text` plain text and Markdown; `json` JSON (`application/json`, `*+json`, `text/json`, plain
   * text); `asset` what a page loads in a browser (HTML, scripts, JSON, CSS, text).
   */
  accept?: 'page' | 'xml' | 'text' | 'json' | 'asset';
  /** A smaller body cap than the fetcher's for this request (bytes). */
  maxBytes?: number | undefined;
}

export interface Fetcher {
  /**
   * @throws TransientError after retries run out on 429, 5xx, timeouts and resets.
   * @throws PermanentError on other 4xx, robots disallow (code E_ROBOTS), SSRF refusal (E_SSRF),
   *   a refused content type, a body over the cap, too many redirects or a redirect loop.
   */
  fetch(url: string, options?: FetchOptions): Promise<FetchResult>;
  close(): Promise<void>;
}
