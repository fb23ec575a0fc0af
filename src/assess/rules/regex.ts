/** Compiled-once global twins of table patterns (tables hold non-global RegExps; matchAll needs `g`). */
const cache = new WeakMap<RegExp, RegExp>();

/** The pattern with the `g` flag, compiled once per table entry. */
export function globalOf(pattern: RegExp): RegExp {
  let global = cache.get(pattern);
  if (global === undefined) {
    global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    cache.set(pattern, global);
  }
  return global;
}
