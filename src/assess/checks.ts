/**
 * Deterministic checks run after any assessor (pure, no I/O): evidence grounding, forced layer
 * uncertainty, and suspected prompt injection in the listing text.
 */
import type { Assessment, LayerAssessment } from '../../schemas/assessment.js';
import type { Checks, Grounding, Warning } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';

/** The prefix every uncertain layer text starts with. */
export const UNCERTAIN_PREFIX = 'Not certain from the listing — ';

/**
 * A layer text without its leading "Not certain from the listing —", for renderers that show the
 * tag themselves (checks put it into the text, so adding it again would print it twice).
 */
export function stripUncertainPrefix(text: string): string {
  return text.replace(/^\s*not certain from the listing\b\s*[—–:-]?\s*/i, '');
}

/**
 * Instruction-like text that has no business in a listing: override requests, role or system-prompt
 * claims, chat-template tokens, and demands about how to score. Matched case-insensitively on
 * whitespace-normalised text.
 */
export const INJECTION_PATTERNS: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget|override|skip)\b[^.!?\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|any|your|system|the)\b[^.!?\n]{0,30}?\b(?:instructions?|prompts?|rules?|directions?|guidelines?|context|messages?)\b/i,
  /\bdisregard (?:the |everything )?(?:above|previous|prior)\b/i,
  /\byou are now\b|\bfrom now on,? you\b|\bact as (?:an? )?(?:different|new|unrestricted)\b|\bpretend (?:to be|you are)\b/i,
  /(?:^[\s#>*"'([-]*|[.!?]\s+)(?:system|assistant|developer)(?: prompt)?\s*:\s*\S/i,
  /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?system>/i,
  /\bnew (?:system )?instructions?\s*:/i,
  /\b(?:score|rate|set|mark|assign|give)\b[^.!?\n]{0,40}?\b(?:factors?|scores?|risk|agent|listing|severity)\b[^.!?\n]{0,30}?\b(?:0(?:\.0+)?|zero|low|none|minimal|safe)\b/i,
  /\b(?:rate|classify|report|consider|treat)\b[^.!?\n]{0,30}?\bas (?:low|no|zero|minimal)[- ]risk\b/i,
  /\b(?:note|instructions?) (?:to|for) (?:the )?(?:ai|assistant|model|llm|assessor|reviewer)\b/i,
];

const GLOBAL_PATTERNS = INJECTION_PATTERNS.map((pattern) => new RegExp(pattern.source, `${pattern.flags}g`));

/** Lines with their inner whitespace collapsed: patterns anchor at line starts (`system:`). */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0);
}

/** Every distinct instruction-like snippet in `text`, in order of appearance. */
export function findInjections(text: string): string[] {
  const found: { line: number; at: number; snippet: string }[] = [];
  lines(text).forEach((line, lineIndex) => {
    for (const pattern of GLOBAL_PATTERNS) {
      pattern.lastIndex = 0;
      for (const match of line.matchAll(pattern)) {
        found.push({ line: lineIndex, at: match.index, snippet: match[0].trim().slice(0, 200) });
      }
    }
  });
  found.sort((a, b) => a.line - b.line || a.at - b.at);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { snippet } of found) {
    if (seen.has(snippet.toLowerCase())) continue;
    seen.add(snippet.toLowerCase());
    out.push(snippet);
  }
  return out;
}

/** A half-open range of offsets into a string. */
export interface Span {
  start: number;
  end: number;
}

/** A match's own leading context (a line start's markers, the end of a previous sentence), not part of the instruction. */
const LEADING_CONTEXT = /^[\s#>*"'([.!?-]+/;

/**
 * Where instruction-like text occurs in one line of text: offsets into `text` itself, sorted, with
 * overlapping matches merged. Patterns see whitespace collapsed, as `findInjections` does.
 */
export function injectionSpans(text: string): Span[] {
  let collapsed = '';
  const origin: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      if (collapsed.endsWith(' ')) continue;
      collapsed += ' ';
    } else collapsed += char;
    origin.push(index);
  }
  const spans: Span[] = [];
  for (const pattern of GLOBAL_PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of collapsed.matchAll(pattern)) {
      const lead = LEADING_CONTEXT.exec(match[0])?.[0].length ?? 0;
      const last = match.index + match[0].length - 1;
      if (lead >= match[0].length) continue;
      spans.push({ start: origin[match.index + lead]!, end: origin[last]! + 1 });
    }
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Span[] = [];
  for (const span of spans) {
    const previous = merged.at(-1);
    if (previous !== undefined && span.start <= previous.end) previous.end = Math.max(previous.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/** True when `text` carries instruction-like content. */
export function hasInjection(text: string): boolean {
  return lines(text).some((line) => INJECTION_PATTERNS.some((pattern) => pattern.test(line)));
}

/** Lower-cases, unifies quotes and dashes, and collapses whitespace, for substring matching. */
export function normaliseForGrounding(value: string): string {
  return value
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** The texts an evidence quote may come from: the listing text, title, summary and fields. */
function groundingHaystacks(listing: Listing): string[] {
  const { fields } = listing;
  const metadata = Object.entries(fields.metadata).flatMap(([key, value]) => [value, `${key}: ${value}`]);
  const manifests = (listing.repo?.manifests ?? []).map((manifest) => manifest.facts);
  return [listing.text, listing.title, listing.summary, ...fields.capabilities, ...metadata, fields.category ?? '', ...manifests]
    .map(normaliseForGrounding)
    .filter((value) => value.length > 0);
}

/** Whether a quote occurs in the listing (normalised whitespace and case). */
export function isGrounded(quote: string, listing: Listing): boolean {
  const needle = normaliseForGrounding(quote);
  if (needle.length === 0) return false;
  return groundingHaystacks(listing).some((haystack) => haystack.includes(needle));
}

function withUncertainPrefix(text: string): string {
  if (text.startsWith(UNCERTAIN_PREFIX) || /^not certain from the listing\b/i.test(text)) return text;
  return `${UNCERTAIN_PREFIX}${text}`.slice(0, 2000);
}

/**
 * Checks an assessment against its listing and returns the checks plus the adjusted assessment:
 * ungrounded quotes are flagged (and kept, for the reviewer to see), certain layers without any
 * grounded quote become uncertain, factors said to be pinned by a field or a sentence without a
 * grounded quote become inferred, and instruction-like listing text is reported.
 */
export function runChecks(listing: Listing, assessment: Assessment): { checks: Checks; assessment: Assessment } {
  const haystacks = groundingHaystacks(listing);
  const grounded = (quote: string): boolean => {
    const needle = normaliseForGrounding(quote);
    return needle.length > 0 && haystacks.some((haystack) => haystack.includes(needle));
  };
  const grounding: Grounding[] = [];
  const warnings: Warning[] = [];

  const factors = { ...assessment.factors };
  for (const key of LISTING_FACTOR_KEYS) {
    let anyGrounded = false;
    for (const quote of assessment.factors[key].evidence) {
      const ok = grounded(quote);
      anyGrounded ||= ok;
      grounding.push({ where: `factors.${key}`, quote, grounded: ok });
      if (!ok) {
        warnings.push({
          code: 'ungrounded-evidence',
          message: `Evidence for ${key} does not occur in the listing: "${quote.slice(0, 120)}"`,
          where: `factors.${key}`,
        });
      }
    }
    // A factor the listing pins must show it: without a grounded quote it is at most inferred.
    const { certainty } = assessment.factors[key];
    if ((certainty === 'field' || certainty === 'stated') && !anyGrounded) {
      factors[key] = { ...assessment.factors[key], certainty: 'inferred' };
      warnings.push({
        code: 'certainty-demoted',
        message: `${key} was marked ${certainty} without a grounded quote; marked inferred`,
        where: `factors.${key}`,
      });
    }
  }

  const layers: LayerAssessment[] = assessment.layers.map((layer) => {
    let anyGrounded = false;
    for (const quote of layer.evidence) {
      const ok = grounded(quote);
      anyGrounded ||= ok;
      grounding.push({ where: `layers.${layer.layer}`, quote, grounded: ok });
      if (!ok) {
        warnings.push({
          code: 'ungrounded-evidence',
          message: `Evidence for layer ${layer.layer} does not occur in the listing: "${quote.slice(0, 120)}"`,
          where: `layers.${layer.layer}`,
        });
      }
    }
    if (layer.certain && !anyGrounded) {
      warnings.push({
        code: 'layer-forced-uncertain',
        message: `Layer ${layer.layer} was marked certain without grounded evidence; marked not certain`,
        where: `layers.${layer.layer}`,
      });
      return { ...layer, certain: false, text: withUncertainPrefix(layer.text) };
    }
    return layer;
  });

  const matches = findInjections([listing.title, listing.summary, listing.text].join('\n'));
  if (matches.length > 0) {
    warnings.push({
      code: 'prompt-injection',
      message: `The listing contains instruction-like text (${matches.length} match${matches.length === 1 ? '' : 'es'}); it was treated as data`,
      where: 'listing.text',
    });
  }
  if (listing.truncated) {
    warnings.push({ code: 'listing-truncated', message: 'The listing text was cut at the token cap', where: 'listing.text' });
  }
  // Extraction left markup out of a hostile or broken page: the reviewer should know what is missing.
  for (const warning of listing.warnings ?? []) {
    warnings.push({ code: 'listing-capped', message: warning.message, where: 'listing' });
  }
  if (listing.document !== undefined && listing.document.warnings.length > 0) {
    const count = listing.document.warnings.length;
    warnings.push({
      code: 'document-fields',
      message: `The ${listing.document.schema} document had ${count} field${count === 1 ? '' : 's'} left out for breaking its schema: ${listing.document.warnings.slice(0, 3).join('; ')}`,
      where: 'listing.document',
    });
  }

  const groundedCount = grounding.filter((entry) => entry.grounded).length;
  const checks: Checks = {
    grounding,
    groundingRate: grounding.length === 0 ? 1 : groundedCount / grounding.length,
    injection: { suspected: matches.length > 0, matches },
    warnings,
  };
  return { checks, assessment: { ...assessment, factors, layers } };
}
