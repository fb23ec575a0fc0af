/**
 * `ChromiumRenderer`: builds a page in headless Chromium (playwright-core and the system
 * Chromium, never a downloaded browser) without letting the browser touch the network itself.
 * Every request the page makes is intercepted and, when it may be made at all, fetched through
 * the crawl's own `Fetcher` (SSRF guard on the resolved address, robots.txt, per-host politeness,
 * size caps) and handed back to the page; WebSockets, non-GET requests, other schemes and resource
 * types a listing does not need (images, fonts, media, styles, beacons) are refused. As a second
 * wall the browser is given a proxy that is a trap: a request that slipped past interception (or
 * Chromium's own background traffic) reaches only a local socket that notes it and hangs up. Each page gets a fresh context (no
 * cookies, storage or service workers carried over), a time cap, a request cap and a byte cap.
 */
import { createServer, type Server } from 'node:net';
import type { Browser, Route, WebSocketRoute } from 'playwright-core';
import { PermanentError, ThreatdraftError, toError } from '../../errors.js';
import type { Fetcher } from '../fetcher.js';
import type { PageRenderer } from './renderer.js';

/** Where Debian and Ubuntu put Chromium. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Resource types a page may load to build its content; anything else is refused. */
const ALLOWED_TYPES = new Set(['document', 'script', 'xhr', 'fetch']);

/** A request the page wanted that was not made, and why. */
export interface Refusal {
  url: string;
  reason: string;
}

/** Options of {@link ChromiumRenderer}. */
export interface ChromiumRendererOptions {
  /** Every request goes through it. */
  fetcher: Fetcher;
  /** @default /usr/bin/chromium */
  executablePath?: string | undefined;
  /** Whole page, load and settle. @default 20000 */
  timeoutMs?: number | undefined;
  /** Requests a page may make besides its document. @default 60 */
  maxRequests?: number | undefined;
  /** Bytes a page may load, its document included. @default 8 MiB */
  maxBytes?: number | undefined;
  /** Quiet time (no request in flight) that means the page is built. @default 500 */
  settleMs?: number | undefined;
  /** Told about every refused request (logs, tests). */
  onRefusal?: ((refusal: Refusal) => void) | undefined;
}

/** Renders pages in one headless Chromium, started on first use and closed by `close()`. */
export class ChromiumRenderer implements PageRenderer {
  readonly #options: {
    fetcher: Fetcher;
    executablePath: string;
    timeoutMs: number;
    maxRequests: number;
    maxBytes: number;
    settleMs: number;
    onRefusal: ((refusal: Refusal) => void) | undefined;
  };
  #starting: Promise<{ browser: Browser; trap: Server }> | undefined;
  #trapped: string[] = [];

  constructor(options: ChromiumRendererOptions) {
    this.#options = {
      fetcher: options.fetcher,
      executablePath: options.executablePath ?? DEFAULT_CHROMIUM_PATH,
      timeoutMs: options.timeoutMs ?? 20_000,
      maxRequests: options.maxRequests ?? 60,
      maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
      settleMs: options.settleMs ?? 500,
      onRefusal: options.onRefusal,
    };
  }

  /**
   * The first line of every request that reached the trap proxy instead of the network: Chromium's
   * own background traffic (component updates, sign-in), and any page request that escaped
   * interception (none should: every page request is routed).
   */
  get trappedRequests(): readonly string[] {
    return this.#trapped;
  }

  /** {@inheritDoc PageRenderer.render} */
  async render(url: string, html: string, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const { browser } = await this.#start();
    const options = this.#options;
    const deadline = Date.now() + options.timeoutMs;
    const stop = new AbortController();
    const requestSignal = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false, javaScriptEnabled: true, bypassCSP: false });
    let requests = 0;
    let bytes = Buffer.byteLength(html);
    let inFlight = 0;
    let lastActivity = Date.now();
    let documentServed = false;
    const refuse = async (route: Route, refusal: Refusal): Promise<void> => {
      lastActivity = Date.now();
      options.onRefusal?.(refusal);
      await route.abort('blockedbyclient').catch(() => undefined);
    };
    const timer = setTimeout(() => stop.abort(), options.timeoutMs);
    try {
      await context.routeWebSocket(/.*/, (socket: WebSocketRoute) => {
        options.onRefusal?.({ url: socket.url(), reason: 'WebSocket refused' });
        // Never connected to the server: closing the route ends the page's socket.
        void socket.close({ code: 1008, reason: 'refused' }).catch(() => undefined);
      });
      await context.route('**/*', async (route) => {
        const request = route.request();
        const target = request.url();
        if (!documentServed && request.isNavigationRequest() && request.frame().parentFrame() === null) {
          documentServed = true;
          await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }).catch(() => undefined);
          return;
        }
        if (!/^https?:/i.test(target)) return refuse(route, { url: target, reason: 'only http(s) is fetched' });
        if (request.method() !== 'GET') return refuse(route, { url: target, reason: `${request.method()} is not fetched` });
        if (!ALLOWED_TYPES.has(request.resourceType())) return refuse(route, { url: target, reason: `${request.resourceType()} is not needed for content` });
        if (requests >= options.maxRequests) return refuse(route, { url: target, reason: `over the ${options.maxRequests}-request cap` });
        requests += 1;
        inFlight += 1;
        lastActivity = Date.now();
        try {
          const result = await options.fetcher.fetch(target, {
            signal: requestSignal,
            accept: request.resourceType() === 'document' ? 'page' : 'asset',
            maxBytes: Math.max(1, options.maxBytes - bytes),
          });
          bytes += result.bytes;
          const contentType = result.contentType === '' ? 'application/octet-stream' : result.contentType.replace(/;\s*charset=[^;]*/i, '');
          // The body was decoded to text: it is handed back as UTF-8.
          await route.fulfill({ status: 200, contentType: `${contentType}; charset=utf-8`, body: result.body }).catch(() => undefined);
        } catch (thrown) {
          const error = toError(thrown);
          await refuse(route, { url: target, reason: error instanceof ThreatdraftError ? `${error.code}: ${error.message}` : error.message });
        } finally {
          inFlight -= 1;
          lastActivity = Date.now();
        }
      });
      const page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.dismiss().catch(() => undefined));
      context.on('page', (popup) => {
        if (popup !== page) void popup.close().catch(() => undefined);
      });
      try {
        await page.goto(url, { waitUntil: 'load', timeout: options.timeoutMs });
        // Built when the network is idle and nothing has been in flight for the settle time, or at the deadline.
        await page.waitForLoadState('networkidle', { timeout: Math.max(1, deadline - Date.now()) }).catch(() => undefined);
        while (Date.now() < deadline && !requestSignal.aborted && (inFlight > 0 || Date.now() - lastActivity < options.settleMs)) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        signal?.throwIfAborted();
        return await page.content();
      } catch (thrown) {
        signal?.throwIfAborted();
        throw new PermanentError('E_RENDER', `Could not render ${url} in Chromium: ${toError(thrown).message.split('\n')[0] ?? ''}`, { url });
      }
    } finally {
      clearTimeout(timer);
      stop.abort();
      await context.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const starting = this.#starting;
    this.#starting = undefined;
    if (starting === undefined) return;
    const started = await starting.catch(() => undefined);
    if (started === undefined) return;
    await started.browser.close().catch(() => undefined);
    await new Promise<void>((resolve) => started.trap.close(() => resolve()));
  }

  #start(): Promise<{ browser: Browser; trap: Server }> {
    this.#starting ??= (async () => {
      const trap = createServer((socket) => {
        socket.setTimeout(2000, () => socket.destroy());
        socket.on('error', () => undefined);
        socket.once('data', (chunk: Buffer) => {
          if (this.#trapped.length < 200) this.#trapped.push(chunk.toString('latin1').split('\r\n')[0]?.slice(0, 200) ?? '');
          socket.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        trap.once('error', reject);
        trap.listen(0, '127.0.0.1', () => resolve());
      });
      const port = (trap.address() as { port: number }).port;
      try {
        const { chromium } = await import('playwright-core');
        const browser = await chromium.launch({
          executablePath: this.#options.executablePath,
          args: [
            // Chromium's sandbox cannot start as root.
            ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--no-first-run',
            '--disable-component-update',
            '--disable-sync',
            '--disable-extensions',
            '--disable-domain-reliability',
            '--disable-client-side-phishing-detection',
            '--no-pings',
            `--proxy-server=http://127.0.0.1:${port}`,
            '--proxy-bypass-list=<-loopback>',
          ],
        });
        return { browser, trap };
      } catch (thrown) {
        trap.close();
        throw new PermanentError(
          'E_RENDER',
          `Cannot start Chromium at ${this.#options.executablePath} (set THREATDRAFT_CHROMIUM_PATH, or install chromium): ${toError(thrown).message.split('\n')[0] ?? ''}`,
          { executablePath: this.#options.executablePath },
        );
      }
    })();
    // A failed start is not kept, so the next page tries again and reports it again.
    this.#starting.catch(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }
}
