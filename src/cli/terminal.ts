/**
 * Terminal safety: control characters never reach a terminal from this CLI. Listing text is
 * stripped of them at extraction, but stored data from older versions, error messages quoting a
 * URL or a file, and anything else a command prints can still carry them (an OSC 52 clipboard
 * write, a CSI screen clear, a C1 byte). Every string written through the CLI's streams has them
 * escaped as `\uXXXX`: readable to a person, and inside a JSON string the same value, so JSON
 * lines stay valid and mean the same. Tab and newline pass.
 */

import { CONTROL_CHARACTERS } from '../crawl/extract-text.js';

/** `text` with every control character but tab and newline written as `\uXXXX`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const RAW = Symbol('raw stream');

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * A view of `stream` whose `write` escapes control characters (strings and buffers alike); every
 * other member is the stream's own. Wrapping twice wraps once.
 */
export function terminalSafe<T extends Stream>(stream: T): T {
  if ((stream as { [RAW]?: unknown })[RAW] !== undefined) return stream;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : chunk;
    // The encoding argument, when given, described the original chunk: the escaped one is UTF-8 text.
    const tail = typeof rest[0] === 'string' ? rest.slice(1) : rest;
    return (stream.write as (...args: unknown[]) => boolean)(typeof text === 'string' ? escapeControls(text) : text, ...tail);
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      if (property === RAW) return target;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The unescaped stream behind {@link terminalSafe}, for progress bars that draw with their own
 * escape sequences (and print no listing data).
 */
export function rawStream<T extends Stream>(stream: T): T {
  return ((stream as { [RAW]?: T })[RAW] ?? stream) as T;
}
