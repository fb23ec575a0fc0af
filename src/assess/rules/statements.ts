/**
 * A listing read as statements (pure): its fields first (table rows, definition lists, bold labels,
 * "Label: value" lines), then its sentences. Every statement's `quote` is an exact substring of the
 * listing text or a `Label: value` pair of its metadata, so the checks find it as grounded evidence.
 * Instruction-like clauses are cut out of sentences and field values before anything reads them.
 */
import type { Listing } from '../../../schemas/listing.js';
import { hasInjection, injectionSpans, normaliseForGrounding, type Span } from '../checks.js';
import { ABSENT_VALUE, FIELD_LABELS, UNKNOWN_VALUE, type FieldKind } from './data/fields.js';

/** A field of the listing: its label normalised to a kind, and how its value reads. */
export interface Field {
  label: string;
  kind: FieldKind;
  value: string;
  /** `absent`: "None", "No", "N/A", "Not listed"; `unknown`: "Not stated", "Unknown"; else `stated`. */
  state: 'stated' | 'absent' | 'unknown';
}

export interface Statement {
  /** The evidence quote: a sentence, or `Label: value` for a field. */
  quote: string;
  /** What signals read: the sentence, or the field's value without its label. */
  text: string;
  field: Field | null;
  /** True for the title, the summary and the listing's first paragraph: what the listing says it is. */
  lead: boolean;
}

const MAX_QUOTE = 600;
const LIST_MARKER = /^(?:[-*•·–]\s+|\d{1,2}[.)]\s+)/;
const SENTENCE_BREAK = /(?<=[.!?])\s+(?=[A-Z0-9"“'(])/g;
/** "Label: value" on one line: a short label of words, a colon, then the value. */
const LABELLED_LINE = /^([A-Za-z][A-Za-z0-9 /&()+'’.-]{0,40}?)\s*[:：]\s+(\S.*)$/;

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

/** The field kind of a label, or null when the label is not one the table knows (tried as written, then with camelCase split). */
export function fieldKindOf(label: string): FieldKind | null {
  for (const form of [label, label.replace(/([a-z0-9])([A-Z])/g, '$1 $2')]) {
    const normalised = form.toLowerCase().replace(/[:：]\s*$/, '').replace(/\s+/g, ' ').trim();
    const kind = FIELD_LABELS.find((entry) => entry.pattern.test(normalised))?.kind;
    if (kind !== undefined) return kind;
  }
  return null;
}

/** How a field's value reads: explicitly absent, unknown, or stated. */
export function valueState(value: string): Field['state'] {
  const trimmed = value.trim().replace(/^[("'“]+/, '');
  if (trimmed === '' || UNKNOWN_VALUE.test(trimmed)) return 'unknown';
  return ABSENT_VALUE.test(trimmed) ? 'absent' : 'stated';
}

function fieldOf(label: string, value: string): Field | null {
  const kind = fieldKindOf(label);
  if (kind === null) return null;
  return { label: label.trim(), kind, value: value.trim(), state: valueState(value) };
}

/** A "Label: value" line of the text as a field, when its label is a known one. */
export function labelledLine(line: string): { label: string; value: string } | null {
  const match = LABELLED_LINE.exec(line);
  if (match === null) return null;
  const [, label, value] = match;
  if (label === undefined || value === undefined || fieldKindOf(label) === null) return null;
  return { label, value };
}

/**
 * The statements signals read: fields (metadata pairs and labelled lines of the text), then the
 * text's sentences (the bare title line and field lines left out, instruction-like clauses cut),
 * then summary and capabilities not already in the text. Duplicates (normalised) appear once.
 */
export function readStatements(listing: Listing): Statement[] {
  const title = normaliseForGrounding(listing.title);
  // Most listings carry no instruction-like text at all: one look at the whole saves one per sentence.
  const injected = hasInjection([listing.summary, listing.text, ...listing.fields.capabilities, ...Object.values(listing.fields.metadata)].join('\n'));
  const cut = (text: string): string[] => (injected ? withoutInjections(text) : [text]);
  const seen = new Set<string>();
  const out: Statement[] = [];
  const push = (statement: Statement): void => {
    const key = `${statement.field === null ? 's' : 'f'}:${normaliseForGrounding(statement.quote)}`;
    if (seen.has(key) || normaliseForGrounding(statement.quote) === title) return;
    seen.add(key);
    out.push(statement);
  };
  const leadText = normaliseForGrounding([listing.title, listing.summary].join(' '));
  let firstSentence = true;
  // The summary, and the text's first sentence when there is no summary to say what it is.
  const isLead = (sentence: string): boolean => {
    if (normaliseForGrounding(sentence) === title) return false;
    const lead = leadText.includes(normaliseForGrounding(sentence)) || (firstSentence && listing.summary.trim() === '');
    firstSentence = false;
    return lead;
  };

  for (const [label, value] of Object.entries(listing.fields.metadata)) {
    const field = fieldOf(label, value);
    if (field === null) continue;
    for (const clean of cut(field.value)) push({ quote: `${label}: ${value}`, text: clean, field: { ...field, value: clean }, lead: false });
  }
  // The linked repository's manifests, one `<file>: …` line each (the README is not read as statements).
  for (const manifest of listing.repo?.manifests ?? []) {
    const labelled = labelledLine(manifest.facts);
    const field = labelled === null ? null : fieldOf(labelled.label, labelled.value);
    if (labelled === null || field === null) continue;
    for (const clean of withoutInjections(field.value)) push({ quote: manifest.facts, text: clean, field: { ...field, value: clean }, lead: false });
  }
  const sentences: string[] = [];
  // A labelled line or sentence ("Tools: None", "Where it runs: inside ChatGPT.") is a field.
  for (const sentence of segments(listing.text)) {
    const labelled = labelledLine(sentence);
    const field = labelled === null ? null : fieldOf(labelled.label, labelled.value);
    if (labelled === null || field === null) {
      sentences.push(sentence);
      continue;
    }
    for (const clean of cut(labelled.value)) push({ quote: sentence, text: clean, field: { ...field, value: clean, state: valueState(clean) }, lead: false });
  }
  const normalisedText = normaliseForGrounding(listing.text);
  const extras = [listing.summary, ...listing.fields.capabilities]
    .filter((value) => value.trim().length > 0 && !normalisedText.includes(normaliseForGrounding(value)))
    .flatMap((value) => segments(value));
  const name = titlePattern(listing.title);
  for (const sentence of [...sentences, ...extras]) {
    for (const piece of cut(sentence)) {
      push({ quote: piece, text: name === null ? piece : piece.replace(name, 'It'), field: null, lead: isLead(piece) });
    }
  }
  return out;
}

/**
 * The listing's own name, to read past: a product called "Text-to-Speech Studio" states no
 * capability by its name alone, so signals read its sentences with the name replaced by "It".
 */
function titlePattern(title: string): RegExp | null {
  const trimmed = title.trim();
  if (trimmed.length < 3) return null;
  return new RegExp(trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
}
