/** Browser sessions kept in memory: an opaque id in the cookie, a CSRF token bound to it, an idle expiry. */
import { randomSecret } from './tokens.js';

/** One signed-in browser. */
export interface Session {
  id: string;
  reviewer: string;
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

  /** Starts a session for `reviewer`. */
  create(reviewer: string): Session {
    const session = { id: randomSecret(), reviewer, csrf: randomSecret(), expiresAt: this.#now() + this.#ttlMs };
    this.#sessions.set(session.id, session);
    while (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    return session;
  }

  /** The live session with this id (its expiry extended), or null. */
  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const session = this.#sessions.get(id);
    if (session === undefined) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return null;
    }
    session.expiresAt = this.#now() + this.#ttlMs;
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}
