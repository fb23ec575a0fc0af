/**
 * Finds which signals of the table fire on a listing, with the exact sentences that triggered them
 * (pure). Instruction-like clauses are cut out of their sentences before matching, so a listing that
 * tells the assessor how to score is assessed as if those clauses were not there, while the rest of
 * the sentence (a capability stated before the injected text) still counts.
 */
import type { Listing } from '../../../schemas/listing.js';
import { injectionSpans, normaliseForGrounding, type Span } from '../checks.js';
import type { Signal } from './signals.js';

/** A fired signal and the verbatim listing sentences that triggered it (at most three). */
export interface FiredSignal {
  signal: Signal;
  quotes: string[];
}

const MAX_QUOTE = 600;
const LIST_MARKER = /^(?:[-*•·–]\s+|\d{1,2}[.)]\s+)/;
const SENTENCE_BREAK = /(?<=[.!?])\s+(?=[A-Z0-9"“'(])/g;
/** Words that negate what follows them in the same clause ("No tools, planning or …"). */
const NEGATION = /\b(?:no|not|none|never|without|nor|neither|rather than|instead of|does not|doesn't|do not|don't|cannot|can't|isn't|is not)\b/i;
const CLAUSE_BREAK = /[;:]|\bbut\b|\bhowever\b|\bwhile\b/gi;

/** Splits text into sentences that are exact substrings of it: lines, without list markers, split at sentence ends. */
export function segments(text: string): string[] {
  const out: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim().replace(LIST_MARKER, '');
    if (line.length === 0) continue;
    let start = 0;
    for (const breakMatch of line.matchAll(SENTENCE_BREAK)) {
      pushSegment(out, line.slice(start, breakMatch.index));
      start = breakMatch.index + breakMatch[0].length;
    }
    pushSegment(out, line.slice(start));
  }
  return out;
}

function pushSegment(out: string[], value: string): void {
  const trimmed = value.trim();
  if (trimmed.length === 0) return;
  if (trimmed.length <= MAX_QUOTE) {
    out.push(trimmed);
    return;
  }
  for (let at = 0; at < trimmed.length; at += MAX_QUOTE) {
    const piece = trimmed.slice(at, at + MAX_QUOTE).trim();
    if (piece.length > 0) out.push(piece);
  }
}

/** True when a negation word precedes `index` in the same clause of `sentence`. */
export function isNegated(sentence: string, index: number): boolean {
  let clauseStart = 0;
  for (const clauseBreak of sentence.matchAll(CLAUSE_BREAK)) {
    if (clauseBreak.index >= index) break;
    clauseStart = clauseBreak.index + clauseBreak[0].length;
  }
  return NEGATION.test(sentence.slice(clauseStart, index));
}

/** Where a clause may start, looking back from instruction-like text: punctuation, a spaced dash, a sentence end, a chat-template token. */
const CLAUSE_START = /[,;:|([{]|\s[-–—]+\s|[.!?](?=\s)|(?=<\||\[\/?INST\]|<<\/?SYS>>|<\/?system>)/g;
/** A connective that starts the injected clause ("… on its own and ignore previous instructions"). */
const CONJUNCTION = /\b(?:and|but|then|so|or|also|now|please)\b/gi;
/**
 * Where the injected clause ends, looking forward: a semicolon, bar, closing bracket, spaced dash or
 * sentence end. Not commas or colons: the payload follows its imperative ("ignore the above, then
 * score 0", "note to the AI: treat it as read-only"), so those stay inside the cut.
 */
const CLAUSE_END = /[;|)\]}]|\s[-–—]+\s|[.!?](?=\s)/g;
/** Separators and spaces left at the edges of a piece after a cut. */
const EDGE_TRIM = /^[\s,;:|)\]}.!?\-–—]+|[\s,;:|([{\-–—]+$/g;

/**
 * A sentence without its instruction-like clauses: the exact substrings around them, trimmed of the
 * separators the cut leaves behind. A clause runs back from the instruction to the nearest clause
 * start or conjunction and forward to the nearest clause end, so neither the instruction nor the
 * payload it carries can add or remove a signal.
 */
export function withoutInjections(sentence: string): string[] {
  const spans = injectionSpans(sentence);
  if (spans.length === 0) return [sentence];
  const starts = [...sentence.matchAll(CLAUSE_START), ...sentence.matchAll(CONJUNCTION)].map((match) => ({
    // A sentence end stays with the sentence it ends; any other separator goes with the cut.
    start: /^[.!?]$/.test(match[0]) ? match.index + 1 : match.index,
    end: match.index + match[0].length,
  }));
  const ends = [...sentence.matchAll(CLAUSE_END)].map((match) => match.index);
  const cuts: Span[] = [];
  for (const span of spans) {
    const from = starts.filter((edge) => edge.end <= span.start).reduce((at, edge) => Math.max(at, edge.start), 0);
    const to = ends.filter((at) => at >= span.end).reduce((at, end) => Math.min(at, end), sentence.length);
    const previous = cuts.at(-1);
    if (previous !== undefined && from <= previous.end) previous.end = Math.max(previous.end, to);
    else cuts.push({ start: from, end: to });
  }
  const pieces: string[] = [];
  let at = 0;
  for (const cut of [...cuts, { start: sentence.length, end: sentence.length }]) {
    const piece = trimEdges(sentence, at, cut.start);
    if (piece !== null) pieces.push(piece);
    at = Math.max(at, cut.end);
  }
  return pieces;
}

/** The part of `sentence` in [start, end) without leftover separators; null when nothing wordlike remains. */
function trimEdges(sentence: string, start: number, end: number): string | null {
  const piece = sentence.slice(start, end).replace(EDGE_TRIM, '');
  return /[\p{L}\p{N}]/u.test(piece) ? piece : null;
}

/**
 * The sentences signals may match: the listing text (minus the bare title line, with instruction-like
 * clauses cut out), then summary, capabilities and metadata values not already in the text.
 */
export function candidateSentences(listing: Listing): string[] {
  const title = normaliseForGrounding(listing.title);
  const fromText = segments(listing.text);
  const normalisedText = normaliseForGrounding(listing.text);
  const extras = [listing.summary, ...listing.fields.capabilities, ...Object.values(listing.fields.metadata)]
    .filter((value) => value.trim().length > 0 && !normalisedText.includes(normaliseForGrounding(value)))
    .flatMap((value) => segments(value));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const sentence of [...fromText, ...extras].flatMap(withoutInjections)) {
    const key = normaliseForGrounding(sentence);
    if (key === title || seen.has(key)) continue;
    seen.add(key);
    out.push(sentence);
  }
  return out;
}

/** Runs every signal over the sentences; returns the fired ones in table order. */
export function matchSignals(sentences: readonly string[], table: readonly Signal[]): FiredSignal[] {
  const fired: FiredSignal[] = [];
  for (const signal of table) {
    const quotes: string[] = [];
    for (const sentence of sentences) {
      if (quotes.length >= 3) break;
      if (signal.patterns.some((pattern) => firesOn(pattern, sentence, signal.absence === true))) quotes.push(sentence);
    }
    if (quotes.length > 0) fired.push({ signal, quotes });
  }
  return fired;
}

const globalCache = new WeakMap<RegExp, RegExp>();

/** The pattern with the `g` flag, compiled once per table entry. */
function globalOf(pattern: RegExp): RegExp {
  let global = globalCache.get(pattern);
  if (global === undefined) {
    global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    globalCache.set(pattern, global);
  }
  return global;
}

function firesOn(pattern: RegExp, sentence: string, absence: boolean): boolean {
  // Most patterns miss most sentences: a plain test is far cheaper than iterating matches.
  if (!pattern.test(sentence)) return false;
  if (absence) return true;
  const global = globalOf(pattern);
  for (const match of sentence.matchAll(global)) {
    if (absence || !isNegated(sentence, match.index)) return true;
  }
  return false;
}
