/** Finds evidence quotes in listing text (case and whitespace insensitive) and splits it into marked segments. */

/** A run of listing text, marked when it is part of an evidence quote. */
export interface Segment {
  text: string;
  mark: boolean;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The [start, end) ranges of every occurrence of every quote, merged and sorted. */
export function evidenceRanges(text: string, quotes: readonly string[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const quote of new Set(quotes.map((q) => q.trim()).filter((q) => q.length >= 3))) {
    const pattern = new RegExp(quote.split(/\s+/).map(escapeRegExp).join('\\s+'), 'gi');
    for (const match of text.matchAll(pattern)) {
      if (match.index !== undefined && match[0].length > 0) ranges.push([match.index, match.index + match[0].length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Splits `text` into segments, marking the evidence; the segments concatenate back to `text`. */
export function highlightEvidence(text: string, quotes: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (const [start, end] of evidenceRanges(text, quotes)) {
    if (start > at) segments.push({ text: text.slice(at, start), mark: false });
    segments.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) segments.push({ text: text.slice(at), mark: false });
  return segments;
}
