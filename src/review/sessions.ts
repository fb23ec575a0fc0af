/**
 * Browser sessions kept in memory: an opaque id in the cookie, a CSRF token bound to it, an idle
 * expiry. A session belongs to a reviewer's immutable id and to the token it was signed in with,
 * never to a name: the app checks both against the store on every request (ReviewService
 * `sessionReviewer`) before it extends the expiry, so removing a reviewer, or adding the name
 * again as a new reviewer, ends the old sessions at once.
 */
import { randomSecret } from './tokens.js';

/** One signed-in browser. */
export interface Session {
  id: string;
  /** The reviewer's immutable id. */
  reviewerId: string;
  /** The reviewer's name when the session started (for display and the audit log). */
  reviewer: string;
  /** Hash of the token the session was signed in with: a replaced token ends it. */
  tokenHash: string;
  csrf: string;
  expiresAt: number;
}

export interface SessionStoreOptions {
  /** Idle lifetime. @default 8 hours */
  ttlMs?: number;
  /** Oldest sessions are dropped beyond this. @default 10000 */
  max?: number;
  /** @default Date.now */
  now?: () => number;
}

export class SessionStore {
  #sessions = new Map<string, Session>();
  #ttlMs: number;
  #max: number;
  #now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 8 * 3600_000;
    this.#max = options.max ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session for a reviewer, bound to their id and the hash of the token they signed in with. */
  create(reviewer: { id: string; name: string; tokenHash: string }): Session {
    const session: Session = {
      id: randomSecret(),
      reviewerId: reviewer.id,
      reviewer: reviewer.name,
      tokenHash: reviewer.tokenHash,
      csrf: randomSecret(),
      expiresAt: this.#now() + this.#ttlMs,
    };
    this.#sessions.set(session.id, session);
    while (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    return session;
  }

  /** The unexpired session with this id, or null. It is not extended: see {@link touch}. */
  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const session = this.#sessions.get(id);
    if (session === undefined) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return null;
    }
    return session;
  }

  /** Extends a session's idle expiry; call it only once its reviewer is known to be current. */
  touch(session: Session): void {
    session.expiresAt = this.#now() + this.#ttlMs;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}
