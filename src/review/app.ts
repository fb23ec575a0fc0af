/**
 * The review web app (hono): sign-in, the queue and draft pages, form actions, and the JSON API,
 * all calling the one ReviewService. Security: HttpOnly SameSite=Strict session cookie (Secure
 * behind https), a CSRF token bound to the session on every change, a strict CSP with scripts only
 * from this origin, and escaped output throughout.
 */
import { createHmac } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError, ConflictError, InputError, ThreatdraftError } from '../errors.js';
import { SITE_CSS } from '../publish/style.js';
import { APP_CSS, PREVIEW_JS, REVIEW_JS } from './assets.js';
import { patchFromForm } from './edit.js';
import { queueQuerySchema } from './queue.js';
import { NotFoundError, type ReviewService } from './service.js';
import { SessionStore, type Session } from './sessions.js';
import { randomSecret, sameSecret } from './tokens.js';
import { auditPage, draftPage, errorPage, loginPage, queuePage, type Notice, type Viewer } from './views.js';
import { publishPage } from './publish-views.js';
import { publishSite } from '../publish/publish.js';
import { correctionFormPage, correctionPage, correctionsQueuePage, correctionStatusPage, methodologyReviewPage, publicErrorPage, type CorrectionFormState } from './correction-views.js';
import { Corrections } from './corrections.js';
import { RateLimiter } from './rate-limit.js';
import { CORRECTION_STATUSES, correctionStatusSchema, type CorrectionStatus } from '../../schemas/correction.js';
import { parseOrFieldError } from './edit.js';
import { z } from 'zod';

const SESSION_COOKIE = 'td_session';
const LOGIN_COOKIE = 'td_login';
/** The public corrections form's double-submit CSRF cookie (path /corrections, SameSite=Strict). */
const CORRECTION_COOKIE = 'td_correction';
/** The public form's body cap: far below the app's, since anyone may send it. */
const CORRECTION_BODY_LIMIT = 16 * 1024;

/** The CSP of every page: nothing inline, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/** bull-board's UI needs inline styles; its scripts still come only from this origin. */
const ADMIN_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

type Env = { Variables: { reviewer: string | null; session: Session | null; via: 'bearer' | 'session' | null } };

export interface ReviewAppOptions {
  service: ReviewService;
  /** @default a new in-memory SessionStore */
  sessions?: SessionStore;
  /** Mounts extra routes (the bull-board dashboard) under `/admin/queues`, behind sign-in. */
  admin?: Hono | undefined;
  /**
   * Host names (lowercase, no port; IPv6 in brackets) the app answers to; any other Host header gets
   * 403 before anything else runs, so a DNS-rebinding page cannot talk to a loopback server.
   * @default undefined (no check)
   */
  allowedHosts?: readonly string[] | undefined;
  /** Where unexpected (500) errors are logged. @default stderr as JSON */
  logError?: ((error: Error, context: { method: string; path: string }) => void) | undefined;
  /** Submissions of the public corrections form per client address. @default 5 per 10 minutes */
  correctionRateLimit?: RateLimiter | undefined;
  /**
   * A corrections form sent back sooner than this after it was served is refused as automated
   * (people take longer to write a correction). @default 3000
   */
  correctionMinFillMs?: number | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
  /**
   * Publishing from the UI: the site folder `/publish` writes (null: the page previews, and says to
   * start the server with `--site DIR`), and the corrections link of agent pages.
   */
  publish?: { siteDir: string | null; correctionsUrl: string | null } | undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

/**
 * Cookie options for this request. Behind https the cookies are host-locked (`__Host-` prefix:
 * Secure, Path=/, no Domain), so no other host, subdomain or plain-http page can set or shadow
 * them; plain http allows no prefix, and the sign-in Origin check ({@link requestSite}) covers
 * cookie tossing there (other ports of the same host share its cookies).
 */
function cookieOptions(c: Context): { httpOnly: true; sameSite: 'Strict'; path: '/'; secure: boolean; prefix?: 'host' } {
  const https = isHttps(c);
  return { httpOnly: true, sameSite: 'Strict', path: '/', secure: https, ...(https ? { prefix: 'host' as const } : {}) };
}

/** Reads one of our cookies: behind https only its host-locked `__Host-` form counts. */
function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name, isHttps(c) ? 'host' : undefined);
}

/**
 * Where a request comes from by the browser's own word: `same` when Sec-Fetch-Site says
 * same-origin (or none: typed by the user) or, from a browser without Fetch Metadata, Origin
 * equals this server's origin; `cross` for any other value (another site, another port of this
 * host, `Origin: null`); `unknown` without either header (not a browser). Page scripts can set
 * neither header.
 */
export function requestSite(c: Context): 'same' | 'cross' | 'unknown' {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? 'same' : 'cross';
  const origin = c.req.header('origin');
  if (origin === undefined) return 'unknown';
  const own = `${isHttps(c) ? 'https' : 'http'}://${c.req.header('host') ?? new URL(c.req.url).host}`;
  return origin.toLowerCase() === own.toLowerCase() ? 'same' : 'cross';
}

function statusFor(error: unknown): ContentfulStatusCode {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof InputError || error instanceof ConfigError) return 400;
  return 500;
}

function errorBody(error: unknown): { error: { code: string; message: string; field?: string } } {
  if (error instanceof ThreatdraftError && statusFor(error) !== 500) {
    const field = error.context['field'];
    return { error: { code: error.code, message: error.message, ...(typeof field === 'string' ? { field } : {}) } };
  }
  return { error: { code: 'E_INTERNAL', message: 'Internal error' } };
}

const formString = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The host name of a Host header, lowercased and without its port; null when absent or malformed. */
export function hostnameOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match?.[1] === undefined ? null : match[1].toLowerCase();
}

/** Builds the review app. */
export function createReviewApp(options: ReviewAppOptions): Hono<Env> {
  const { service } = options;
  const sessions = options.sessions ?? new SessionStore();
  const corrections = new Corrections(service);
  const limiter = options.correctionRateLimit ?? new RateLimiter();
  const minFillMs = options.correctionMinFillMs ?? 3_000;
  const nowMs = options.now ?? Date.now;
  const formSecret = randomSecret();
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    const admin = c.req.path.startsWith('/admin/queues');
    c.header('Content-Security-Policy', admin ? ADMIN_CSP : CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (!c.req.path.startsWith('/static/') && !admin) c.header('Cache-Control', 'no-store');
  });
  if (options.allowedHosts !== undefined) {
    const allowed = new Set(options.allowedHosts.map((name) => name.toLowerCase()));
    app.use('*', async (c, next) => {
      const host = hostnameOf(c.req.header('host'));
      if (host === null || !allowed.has(host)) {
        const message = 'Unexpected Host header: this server answers only to the names it was started for (see --allowed-host)';
        return c.req.path.startsWith('/api/') ? c.json({ error: { code: 'E_HOST', message } }, 403) : c.text(message, 403);
      }
      return next();
    });
  }
  app.use('*', bodyLimit({ maxSize: 512 * 1024, onError: (c) => c.json({ error: { code: 'E_TOO_LARGE', message: 'Request body too large' } }, 413) }));

  // Who is asking: a Bearer token (API clients) or the session cookie (browsers).
  app.use('*', async (c, next) => {
    c.set('reviewer', null);
    c.set('session', null);
    c.set('via', null);
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      const reviewer = match?.[1] === undefined ? null : await service.authenticate(match[1]);
      if (reviewer === null) return c.json({ error: { code: 'E_AUTH', message: 'Invalid or unknown token' } }, 401);
      c.set('reviewer', reviewer.name);
      c.set('via', 'bearer');
      return next();
    }
    const session = sessions.get(readCookie(c, SESSION_COOKIE));
    if (session !== null) {
      // The session belongs to a reviewer id and token: a removed (or re-added) reviewer's session
      // ends here, at once, and is never extended.
      const reviewer = await service.sessionReviewer(session);
      if (reviewer === null) sessions.delete(session.id);
      else {
        sessions.touch(session);
        c.set('reviewer', reviewer.name);
        c.set('session', session);
        c.set('via', 'session');
      }
    }
    return next();
  });

  const api = (c: Context<Env>): boolean => c.req.path.startsWith('/api/');

  // Signed in, and for a change through a session, the session's CSRF token (header or form field).
  const guard: MiddlewareHandler<Env> = async (c, next) => {
    if (c.get('reviewer') === null) {
      if (api(c)) return c.json({ error: { code: 'E_AUTH', message: 'Sign in or send Authorization: Bearer <token>' } }, 401);
      if (c.req.method === 'GET') return c.redirect('/login', 303);
      return c.html(errorPage(null, 401, 'Sign in first.'), 401);
    }
    const session = c.get('session');
    if (UNSAFE.has(c.req.method) && c.get('via') === 'session' && session !== null) {
      let token = c.req.header('x-csrf-token');
      if (token === undefined && (c.req.header('content-type') ?? '').match(/^(application\/x-www-form-urlencoded|multipart\/form-data)/)) {
        token = formString((await c.req.parseBody())['_csrf']);
      }
      if (token === undefined || !sameSecret(token, session.csrf)) {
        if (api(c)) return c.json({ error: { code: 'E_CSRF', message: 'Missing or wrong CSRF token' } }, 403);
        return c.html(errorPage(viewerOf(c), 403, 'Missing or wrong CSRF token: reload the page and try again.'), 403);
      }
    }
    return next();
  };

  const viewerOf = (c: Context<Env>): Viewer | null => {
    const session = c.get('session');
    return session === null ? null : { reviewer: session.reviewer, csrf: session.csrf, queues: options.admin !== undefined };
  };
  const actor = (c: Context<Env>): string => c.get('reviewer') ?? 'unknown';
  const channel = (c: Context<Env>): 'web' | 'api' => (api(c) ? 'api' : 'web');

  app.get('/static/app.css', (c) => c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));
  app.get('/static/report.css', (c) => c.body(SITE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));
  app.get('/static/preview.js', (c) =>
    c.body(PREVIEW_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300' }),
  );
  app.get('/static/review.js', (c) => c.body(REVIEW_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300' }));

  // Sign-in: a double-submit token in a SameSite=Strict, host-locked cookie, and the browser's word
  // that the form came from this origin, stop login CSRF (a page on another port of this host
  // shares its cookies, so it could plant a known token: the Origin check refuses its POST).
  const loginForm = (c: Context<Env>, error: string | null, status: 200 | 401 | 403): Response => {
    const csrf = randomSecret();
    setCookie(c, LOGIN_COOKIE, csrf, { ...cookieOptions(c), maxAge: 3600 });
    return c.html(loginPage(csrf, error), status);
  };
  app.get('/login', (c) => loginForm(c, null, 200));
  app.post('/login', async (c) => {
    if (requestSite(c) === 'cross') return loginForm(c, 'Sign-in refused: the form was sent from another origin. Open this page directly and sign in here.', 403);
    const body = await c.req.parseBody();
    const expected = readCookie(c, LOGIN_COOKIE);
    if (expected === undefined || !sameSecret(formString(body['_csrf']), expected)) return loginForm(c, 'The sign-in form expired; try again.', 403);
    const reviewer = await service.authenticate(formString(body['token']).trim());
    if (reviewer === null) return loginForm(c, 'Unknown token.', 401);
    const old = readCookie(c, SESSION_COOKIE);
    if (old !== undefined) sessions.delete(old);
    const session = sessions.create(reviewer);
    setCookie(c, SESSION_COOKIE, session.id, cookieOptions(c));
    deleteCookie(c, LOGIN_COOKIE, cookieOptions(c));
    await service.recordSession(reviewer, 'sign-in');
    return c.redirect('/', 303);
  });
  app.post('/logout', guard, async (c) => {
    const session = c.get('session');
    if (session !== null) {
      sessions.delete(session.id);
      await service.recordSession({ id: session.reviewerId, name: session.reviewer }, 'sign-out');
    }
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.redirect('/login', 303);
  });

  // The public corrections form: no sign-in; a double-submit CSRF token, a signed issue time, a
  // honeypot field, a body cap and a per-address rate limit; every vendor string is escaped.
  const issuedToken = (at: number): string => `${at}.${createHmac('sha256', formSecret).update(String(at)).digest('base64url')}`;
  const issuedAge = (token: string): number | null => {
    const [at, mac] = token.split('.');
    if (at === undefined || mac === undefined || !/^\d{1,16}$/.test(at) || !sameSecret(issuedToken(Number(at)), token)) return null;
    return nowMs() - Number(at);
  };
  const correctionForm = async (c: Context<Env>, agent: string, values: CorrectionFormState['values'], error: CorrectionFormState['error'], status: ContentfulStatusCode) => {
    const report = await corrections.publishedReport(agent);
    if (report === null) return c.html(publicErrorPage(404, 'There is no published report for this agent.'), 404);
    const listing = await service.store.listings.get(report.listingId);
    const csrf = randomSecret();
    setCookie(c, CORRECTION_COOKIE, csrf, { httpOnly: true, sameSite: 'Strict', path: '/corrections', secure: isHttps(c), maxAge: 86_400 });
    return c.html(correctionFormPage({ agent, title: listing?.title ?? report.listingId, csrf, issued: issuedToken(nowMs()), values, error }), status);
  };
  app.get('/corrections/new', async (c) => correctionForm(c, c.req.query('agent') ?? '', { name: '', email: '', message: '' }, null, 200));
  app.post('/corrections', bodyLimit({ maxSize: CORRECTION_BODY_LIMIT, onError: (c) => c.html(publicErrorPage(413, 'The request is too large.'), 413) }), async (c) => {
    const form = Object.fromEntries(Object.entries(await c.req.parseBody()).map(([key, value]) => [key, formString(value)]));
    const agent = form['agent'] ?? '';
    const values = { name: form['name'] ?? '', email: form['email'] ?? '', message: form['message'] ?? '' };
    const expected = getCookie(c, CORRECTION_COOKIE);
    if (expected === undefined || !sameSecret(form['_csrf'] ?? '', expected)) {
      return correctionForm(c, agent, values, { message: 'The form expired or was sent from elsewhere; check your text and send it again.' }, 403);
    }
    const age = issuedAge(form['issued'] ?? '');
    // Bots fill hidden fields and post at once; people do neither.
    if ((form['website'] ?? '') !== '' || age === null || age < minFillMs || age > 86_400_000) {
      return correctionForm(c, agent, values, { message: 'The request could not be accepted; wait a moment and send it again.' }, 400);
    }
    const limit = limiter.hit(clientAddress(c));
    if (!limit.allowed) {
      c.header('Retry-After', String(Math.ceil(limit.retryAfterMs / 1000)));
      return c.html(publicErrorPage(429, 'Too many requests from your address; try again later.'), 429);
    }
    try {
      const { correction, key } = await corrections.submit({ agent, ...values });
      deleteCookie(c, CORRECTION_COOKIE, { path: '/corrections' });
      return c.redirect(`/corrections/status/${correction.id}?key=${encodeURIComponent(key)}&filed=1`, 303);
    } catch (error) {
      if (statusFor(error) !== 400) throw error;
      const field = error instanceof ThreatdraftError ? error.context['field'] : undefined;
      return correctionForm(c, agent, values, { message: errorBody(error).error.message, field: typeof field === 'string' ? field : undefined }, 400);
    }
  });
  app.get('/corrections/status/:id', async (c) => {
    const correction = await corrections.statusFor(c.req.param('id'), c.req.query('key') ?? '');
    if (correction === null) return c.html(publicErrorPage(404, 'No such request, or the link is incomplete.'), 404);
    const listing = await service.store.listings.get(correction.listingId);
    return c.html(correctionStatusPage(correction, listing?.title ?? correction.listingId, c.req.query('filed') === '1'));
  });

  // Pages.
  app.get('/', guard, async (c) => {
    const query = queueQuerySchema.safeParse(c.req.query());
    if (!query.success) return c.html(errorPage(viewerOf(c), 400, 'Unknown filter value.'), 400);
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    return c.html(queuePage(viewer, query.data, await service.queue(query.data)));
  });
  app.post('/drafts/bulk-approve', guard, async (c) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    const form = await c.req.parseBody({ all: true });
    const raw = form['draft'];
    const picked = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((value) => formString(value));
    const entries = picked.map((value) => {
      const at = value.lastIndexOf('@');
      return { id: value.slice(0, at), version: Number(value.slice(at + 1)) };
    });
    const query = queueQuerySchema.parse({});
    if (entries.length === 0) return c.html(queuePage(viewer, query, await service.queue(query), { kind: 'error', message: 'Nothing selected: tick the Low drafts to approve.' }), 400);
    const result = await service.bulkApprove(entries, actor(c), { comment: formString(form['comment']).trim() || null }, 'web');
    const message = `Approved ${result.approved.length} draft${result.approved.length === 1 ? '' : 's'}.${
      result.skipped.length === 0 ? '' : ` Skipped ${result.skipped.map((skip) => `${skip.id} (${skip.reason})`).join('; ')}.`
    }`;
    return c.html(queuePage(viewer, query, await service.queue(query), { kind: result.skipped.length === 0 ? 'ok' : 'error', message }));
  });
  const publishSettings = options.publish ?? { siteDir: null, correctionsUrl: null };
  app.get('/publish', guard, async (c) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    return c.html(publishPage(viewer, await service.publishPlan(), publishSettings.siteDir, null));
  });
  app.post('/publish', guard, async (c) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    if (publishSettings.siteDir === null) {
      return c.html(publishPage(viewer, await service.publishPlan(), null, { kind: 'error', message: 'This server has no site folder: start it with `threatdraft review --site DIR` to publish from here, or run `threatdraft publish --out DIR`.' }), 400);
    }
    const summary = await publishSite({ store: service.store, outDir: publishSettings.siteDir, actor: actor(c), correctionsUrl: publishSettings.correctionsUrl, clock: () => service.now() });
    const message = `Published ${summary.published.length} draft${summary.published.length === 1 ? '' : 's'}; the site in ${summary.outDir} has ${summary.agents} agent${summary.agents === 1 ? '' : 's'}.${
      summary.refused.length === 0 ? '' : ` Refused ${summary.refused.map((item) => `${item.id} (stale text: ${item.staleText.join(', ')})`).join('; ')}: regenerate that text or keep it as written first.`
    }`;
    return c.html(publishPage(viewer, await service.publishPlan(), publishSettings.siteDir, { kind: summary.refused.length === 0 ? 'ok' : 'error', message }));
  });
  app.get('/methodology', guard, (c) => c.html(methodologyReviewPage(viewerOf(c))));
  const correctionTitles = async (listingIds: readonly string[]): Promise<Map<string, string>> => {
    const listings = await service.store.listings.getMany([...new Set(listingIds)]);
    return new Map(listings.filter((listing) => listing !== null).map((listing) => [listing.id, listing.title]));
  };
  app.get('/corrections', guard, async (c) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    const parsed = correctionStatusSchema.optional().safeParse(c.req.query('status') || undefined);
    if (!parsed.success) return c.html(errorPage(viewer, 400, 'Unknown status.'), 400);
    const all = await corrections.list();
    const counts = Object.fromEntries(CORRECTION_STATUSES.map((s) => [s, all.filter((item) => item.status === s).length])) as Record<CorrectionStatus, number>;
    const items = parsed.data === undefined ? all : all.filter((item) => item.status === parsed.data);
    return c.html(correctionsQueuePage(viewer, parsed.data, items, await correctionTitles(items.map((item) => item.listingId)), counts));
  });
  const renderCorrection = async (c: Context<Env>, id: string, notice: Notice | null, values: Record<string, string> | null, status: ContentfulStatusCode) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    const view = await corrections.show(id);
    const title = (await correctionTitles([view.correction.listingId])).get(view.correction.listingId) ?? view.correction.listingId;
    return c.html(correctionPage(view, viewer, title, notice, values), status);
  };
  app.get('/corrections/:id', guard, async (c) => {
    const done = c.req.query('done');
    const message = done === 'accept' ? 'Accepted: the corrected revision waits for approval.' : done === 'decline' ? 'Declined; the vendor sees your reply.' : undefined;
    return renderCorrection(c, c.req.param('id'), message === undefined ? null : { kind: 'ok', message }, null, 200);
  });
  app.post('/corrections/:id/accept', guard, async (c) => {
    const id = c.req.param('id');
    const form = Object.fromEntries(Object.entries(await c.req.parseBody()).map(([k, v]) => [k, formString(v)]));
    try {
      const { _csrf: _token, version: _version, correctionVersion, reply, ...fields } = form;
      const patch = patchFromForm(fields);
      const { draft } = await corrections.accept(id, { version: Number(correctionVersion), patch, ...(reply?.trim() ? { reply } : {}) }, actor(c), 'web');
      return c.redirect(`/drafts/${encodeURIComponent(draft.id)}?done=correction`, 303);
    } catch (error) {
      const status = statusFor(error);
      if (status === 500 || status === 404) throw error;
      return renderCorrection(c, id, { kind: 'error', message: errorBody(error).error.message }, form, status);
    }
  });
  app.post('/corrections/:id/decline', guard, async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    try {
      await corrections.decline(id, { version: Number(formString(form['version'])), reply: formString(form['reply']) }, actor(c), 'web');
      return c.redirect(`/corrections/${encodeURIComponent(id)}?done=decline`, 303);
    } catch (error) {
      const status = statusFor(error);
      if (status === 500 || status === 404) throw error;
      return renderCorrection(c, id, { kind: 'error', message: errorBody(error).error.message }, null, status);
    }
  });
  app.get('/audit', guard, async (c) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    return c.html(auditPage(viewer, await service.auditLog()));
  });
  const renderDraft = async (c: Context<Env>, id: string, notice: Notice | null, values: Record<string, string> | null, status: ContentfulStatusCode) => {
    const viewer = viewerOf(c);
    if (viewer === null) return c.redirect('/login', 303);
    const [view, neighbours] = await Promise.all([service.show(id), service.neighbours(id)]);
    return c.html(draftPage(view, viewer, notice, values, neighbours), status);
  };
  const NOTICES: Record<string, string> = {
    saved: 'Saved; the score was recomputed.',
    approve: 'Approval recorded.',
    reject: 'Rejected.',
    'request-changes': 'Changes requested.',
    regenerate: 'Regenerated from the current values.',
    'confirm-text': 'Kept as written; publish will accept it.',
    correction: 'Corrected revision created from the vendor’s request; approve it to publish it.',
  };
  app.get('/drafts/:id', guard, async (c) => {
    const done = c.req.query('done');
    const message = done === undefined ? undefined : NOTICES[done];
    return renderDraft(c, c.req.param('id'), message === undefined ? null : { kind: 'ok', message }, null, 200);
  });
  app.post('/drafts/:id/edit', guard, async (c) => {
    const id = c.req.param('id');
    const form = Object.fromEntries(Object.entries(await c.req.parseBody()).map(([k, v]) => [k, formString(v)]));
    try {
      const patch = patchFromForm(form);
      const version = Number(form['version']);
      const comment = form['comment']?.trim();
      await service.edit(id, { ...patch, version, ...(comment ? { comment } : {}) }, actor(c), 'web');
      return c.redirect(`/drafts/${encodeURIComponent(id)}?done=saved`, 303);
    } catch (error) {
      const status = statusFor(error);
      if (status === 500 || status === 404) throw error;
      // Keep the reviewer's edits in the form; on a conflict the page shows the newer version around them.
      const field = error instanceof ThreatdraftError ? error.context['field'] : undefined;
      const message =
        error instanceof ConflictError && error.code === 'E_CONFLICT'
          ? `Conflict: someone else saved this draft while you were editing. Your edits are kept below; check the current version above and save again. (${error.message})`
          : errorBody(error).error.message;
      const values = { ...form };
      if (error instanceof ConflictError) delete values['version'];
      return renderDraft(c, id, { kind: 'error', message, field: typeof field === 'string' ? field : undefined }, values, status);
    }
  });
  for (const action of ['approve', 'reject', 'request-changes'] as const) {
    app.post(`/drafts/:id/${action}`, guard, async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      // A decision in the UI is about the version the page showed: without it the server could
      // record an approval of text the reviewer never saw.
      const version = Number(formString(form['version']));
      if (!Number.isInteger(version) || version < 1) {
        const message = 'Invalid `version`: the form must carry the version of the draft you reviewed; reload the page and decide again.';
        return renderDraft(c, id, { kind: 'error', message, field: 'version' }, null, 400);
      }
      const options = { comment: formString(form['comment']), version };
      try {
        if (action === 'approve') await service.approve(id, actor(c), options, 'web');
        else if (action === 'reject') await service.reject(id, actor(c), options, 'web');
        else await service.requestChanges(id, actor(c), options, 'web');
        return c.redirect(`/drafts/${encodeURIComponent(id)}?done=${action}`, 303);
      } catch (error) {
        const status = statusFor(error);
        if (status === 500 || status === 404) throw error;
        const message =
          error instanceof ConflictError && error.code === 'E_CONFLICT'
            ? `Nothing recorded: the draft changed after you opened it. Review the current version below and decide again. (${error.message})`
            : errorBody(error).error.message;
        return renderDraft(c, id, { kind: 'error', message }, null, status);
      }
    });
  }

  for (const action of ['regenerate', 'confirm-text'] as const) {
    app.post(`/drafts/:id/${action}`, guard, async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody({ all: true });
      const version = Number(formString(form['version']));
      const raw = form['paths'];
      const paths = raw === undefined ? undefined : (Array.isArray(raw) ? raw : [raw]).map((value) => formString(value));
      try {
        const body = { version, ...(paths === undefined ? {} : { paths }) };
        if (action === 'regenerate') await service.regenerate(id, body, actor(c), 'web');
        else await service.confirmText(id, body, actor(c), 'web');
        return c.redirect(`/drafts/${encodeURIComponent(id)}?done=${action}`, 303);
      } catch (error) {
        const status = statusFor(error);
        if (status === 500 || status === 404) throw error;
        return renderDraft(c, id, { kind: 'error', message: errorBody(error).error.message }, null, status);
      }
    });
  }

  // The JSON API.
  app.use('/api/*', guard);
  app.get('/api/drafts', async (c) => {
    const query = queueQuerySchema.safeParse(c.req.query());
    if (!query.success) return c.json(errorBody(parseError(query.error)), 400);
    const result = await service.queue(query.data);
    return c.json({ drafts: result.items, counts: result.counts });
  });
  app.get('/api/drafts/:id', async (c) => {
    const view = await service.show(c.req.param('id'));
    return c.json({
      draft: view.draft,
      listing: view.listing,
      published: view.published === null ? null : { id: view.published.id, revision: view.published.revision },
      diff: view.diff,
      listingChanges: view.listingChanges,
      listingFlags: view.listingFlags,
      approvals: view.approvals,
      requiredApprovals: view.requiredApprovals,
      twoPerson: view.twoPerson.inForce,
      audit: view.audit,
    });
  });
  app.post('/api/drafts/bulk-approve', async (c) => {
    const body = parseOrFieldError(
      z.object({ drafts: z.array(z.object({ id: z.string().max(200), version: z.number().int().min(1) }).strict()).min(1).max(500), comment: z.string().max(2000).nullable().optional() }).strict(),
      await jsonBody(c),
    );
    return c.json(await service.bulkApprove(body.drafts, actor(c), { comment: body.comment ?? null }, 'api'));
  });
  app.get('/api/publish/plan', async (c) => c.json(await service.publishPlan()));
  app.patch('/api/drafts/:id', async (c) => c.json({ draft: await service.edit(c.req.param('id'), await jsonBody(c), actor(c), 'api') }));
  // An invalid form is a preview that cannot be computed, not a failed request: 200 with the error
  // naming the field, so the page says why while the reviewer types (and the console stays clean).
  app.post('/api/drafts/:id/preview', async (c) => {
    const body = parseOrFieldError(z.object({ form: z.record(z.string(), z.string()) }), await jsonBody(c));
    try {
      return c.json({ score: await service.preview(c.req.param('id'), patchFromForm(body.form)), error: null });
    } catch (error) {
      if (!(error instanceof InputError) || error instanceof NotFoundError) throw error;
      return c.json({ score: null, ...errorBody(error) });
    }
  });
  app.post('/api/drafts/:id/approve', async (c) => {
    const result = await service.approve(c.req.param('id'), actor(c), actionBody(await jsonBody(c, true)), 'api');
    return c.json(result);
  });
  app.post('/api/drafts/:id/reject', async (c) =>
    c.json({ draft: await service.reject(c.req.param('id'), actor(c), actionBody(await jsonBody(c, true)), 'api') }),
  );
  app.post('/api/drafts/:id/request-changes', async (c) =>
    c.json({ draft: await service.requestChanges(c.req.param('id'), actor(c), actionBody(await jsonBody(c, true)), channel(c)) }),
  );
  app.post('/api/drafts/:id/regenerate', async (c) => c.json({ draft: await service.regenerate(c.req.param('id'), await jsonBody(c), actor(c), 'api') }));
  app.post('/api/drafts/:id/confirm-text', async (c) => c.json({ draft: await service.confirmText(c.req.param('id'), await jsonBody(c), actor(c), 'api') }));
  app.get('/api/audit', async (c) => c.json({ entries: await service.auditLog(c.req.query('subject') || undefined) }));
  app.get('/api/corrections', async (c) => {
    const status = correctionStatusSchema.optional().safeParse(c.req.query('status') || undefined);
    if (!status.success) return c.json(errorBody(parseError(status.error)), 400);
    return c.json({ corrections: await corrections.list(status.data) });
  });
  app.get('/api/corrections/:id', async (c) => c.json(await corrections.show(c.req.param('id'))));
  app.post('/api/corrections/:id/accept', async (c) => c.json(await corrections.accept(c.req.param('id'), await jsonBody(c), actor(c), 'api')));
  app.post('/api/corrections/:id/decline', async (c) => c.json({ correction: await corrections.decline(c.req.param('id'), await jsonBody(c), actor(c), 'api') }));

  if (options.admin !== undefined) {
    // bull-board's own API sends no CSRF token: guardAdmin requires changes to be same-origin and preflighted.
    app.use('/admin/queues/*', guardAdmin);
    app.use('/admin/queues', guardAdmin);
    app.use('/admin/queues/*', sameOriginFonts);
    app.use('/admin/queues', sameOriginFonts);
    app.route('/admin/queues', options.admin);
  }

  app.notFound((c) => (api(c) ? c.json({ error: { code: 'E_NOT_FOUND', message: 'Not found' } }, 404) : c.html(errorPage(viewerOf(c), 404, 'Not found.'), 404)));
  app.onError((error, c) => {
    const status = statusFor(error);
    if (status === 500) {
      const context = { method: c.req.method, path: c.req.path };
      if (options.logError !== undefined) options.logError(error, context);
      else process.stderr.write(`${JSON.stringify({ level: 'error', msg: error.message, name: error.name, ...context })}\n`);
    }
    if (api(c)) return c.json(errorBody(error), status);
    return c.html(errorPage(viewerOf(c), status, errorBody(error).error.message), status);
  });
  return app;

  /**
   * bull-board's UI sends no CSRF token, so a change through the session cookie must prove it comes
   * from this origin, with two independent checks (see README.md): the browser's own Sec-Fetch-Site
   * (or, from browsers without it, Origin) must say same-origin, which also refuses other ports of
   * the same host where SameSite=Strict still sends the cookie; and the request must not be one a
   * page could send cross-origin without a CORS preflight (a POST needs a JSON body), since this app
   * never answers preflights. Bearer clients carry no ambient credential and skip both.
   */
  async function guardAdmin(c: Context<Env>, next: () => Promise<void>): Promise<Response | void> {
    if (c.get('reviewer') === null) return c.req.method === 'GET' ? c.redirect('/login', 303) : c.text('Sign in first', 401);
    if (UNSAFE.has(c.req.method) && c.get('via') === 'session') {
      // Unlike sign-in, a change here must prove it is same-origin: no header is refused too.
      if (requestSite(c) !== 'same' || c.req.header('sec-fetch-site') === 'none') return c.text('Cross-origin request refused', 403);
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (c.req.method === 'POST' && type !== 'application/json') return c.text('Expected a JSON body', 403);
    }
    return next();
  }
}

/**
 * bull-board's page links its fonts from Google: a request from the reviewer's browser to a third
 * party (that the CSP refuses, and that an offline machine cannot make). The link is dropped, so the
 * dashboard uses the system's fonts and every request stays on this origin.
 */
const sameOriginFonts: MiddlewareHandler = async (c, next) => {
  await next();
  if (!(c.res.headers.get('content-type') ?? '').includes('text/html')) return;
  const html = await c.res.text();
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(html.replace(/<link[^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^>]*>/g, ''), { status: c.res.status, headers });
};

function parseError(error: z.ZodError): InputError {
  const issue = error.issues[0];
  const field = issue === undefined ? 'query' : issue.path.map(String).join('.');
  return new InputError('E_INPUT', `Invalid \`${field}\`: ${issue?.message ?? 'invalid'}`, { field });
}

async function jsonBody(c: Context<Env>, optional = false): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return {};
    throw new InputError('E_INPUT', 'Invalid `(body)`: expected a JSON object', { field: '(body)' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InputError('E_JSON', 'Invalid `(body)`: malformed JSON', { field: '(body)' });
  }
}

function actionBody(body: unknown): { comment?: string | null; version?: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('E_INPUT', 'Invalid `(body)`: expected a JSON object', { field: '(body)' });
  }
  return body as { comment?: string | null; version?: number };
}

/** The client's address for rate limiting: the socket's peer (a reverse proxy's, behind one). */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
