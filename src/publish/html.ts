/**
 * Escaping helpers shared by the review UI and the static site. Every untrusted string goes
 * through hono's `html` tagged template, which escapes `& < > " '`; `raw` is never used on
 * listing or model text.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type { HtmlEscapedString };

/** `html` for synchronous content only: every interpolation is escaped unless it is itself an `h` result. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): HtmlEscapedString {
  const result = html(strings, ...values);
  if (result instanceof Promise) throw new TypeError('h`` was given a promise');
  return result;
}

/** Joins escaped fragments into one fragment (hono's `html` flattens arrays). */
export function join(parts: readonly HtmlEscapedString[]): HtmlEscapedString {
  return h`${parts}`;
}

/** An http(s) URL safe to put in an href, or null (javascript:, data:, relative and malformed URLs). */
export function safeHttpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The date part (YYYY-MM-DD) of an ISO timestamp from the data, or an em dash. */
export function day(iso: string | null): string {
  return iso === null || iso.length < 10 ? '—' : iso.slice(0, 10);
}
