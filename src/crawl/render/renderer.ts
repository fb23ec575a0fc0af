/** The page-renderer port: HTML as a browser would have built it after running the page's scripts. */

export interface PageRenderer {
  /**
   * Loads `url` in a browser, serving `html` (already fetched through the guarded fetcher) as its
   * document, and returns the DOM serialised after the page's scripts ran.
   * @throws PermanentError `E_RENDER` (no browser, a page that exceeds the caps) or the abort reason.
   */
  render(url: string, html: string, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}
