/**
 * What a capability phrase means in its clause (pure): stated, negated, hypothetical, or another
 * party's. Triggers and terminators are the data table in data/context.ts; this module only applies
 * them, NegEx-style: a trigger governs the words on its side of the phrase, up to SCOPE_WORDS words,
 * never past a terminator; pseudo-triggers are masked first.
 */
import { CONTEXT_TRIGGERS, SCOPE_WORDS, type ContextTrigger } from './data/context.js';
import { globalOf } from './regex.js';

/** How a phrase stands in its sentence. */
export type Modifier = 'affirmed' | 'negated' | 'hypothetical' | 'other-party';

interface Span {
  start: number;
  end: number;
}


function spansOf(pattern: RegExp, text: string): Span[] {
  const out: Span[] = [];
  for (const match of text.matchAll(globalOf(pattern))) out.push({ start: match.index, end: match.index + match[0].length });
  return out;
}

function wordsBetween(text: string, from: number, to: number): number {
  if (to <= from) return 0;
  return (text.slice(from, to).match(/[\p{L}\p{N}'’-]+/gu) ?? []).length;
}

/** The sentence's context: terminators and triggers found once, reused for every phrase in it. */
export interface SentenceContext {
  text: string;
  terminators: Span[];
  triggers: { trigger: ContextTrigger; span: Span }[];
}

const BY_KIND = {
  pseudo: CONTEXT_TRIGGERS.filter((trigger) => trigger.kind === 'pseudo'),
  terminator: CONTEXT_TRIGGERS.filter((trigger) => trigger.kind === 'terminator'),
  modifying: CONTEXT_TRIGGERS.filter((trigger) => trigger.kind !== 'pseudo' && trigger.kind !== 'terminator'),
};

/** Finds the triggers and terminators of one sentence (pseudo-triggers masked out). */
export function sentenceContext(text: string, triggers: readonly ContextTrigger[] = CONTEXT_TRIGGERS): SentenceContext {
  const table = triggers === CONTEXT_TRIGGERS ? BY_KIND : {
    pseudo: triggers.filter((trigger) => trigger.kind === 'pseudo'),
    terminator: triggers.filter((trigger) => trigger.kind === 'terminator'),
    modifying: triggers.filter((trigger) => trigger.kind !== 'pseudo' && trigger.kind !== 'terminator'),
  };
  let masked = text;
  for (const trigger of table.pseudo) {
    for (const span of spansOf(trigger.pattern, masked)) masked = masked.slice(0, span.start) + ' '.repeat(span.end - span.start) + masked.slice(span.end);
  }
  const terminators = table.terminator.flatMap((trigger) => spansOf(trigger.pattern, text)).sort((a, b) => a.start - b.start);
  const found = table.modifying.flatMap((trigger) => spansOf(trigger.pattern, masked).map((span) => ({ trigger, span })));
  return { text, terminators, triggers: found };
}

/** The clause around [start, end): from the last terminator before it to the first after it. */
function clauseOf(context: SentenceContext, start: number, end: number): Span {
  let left = 0;
  let right = context.text.length;
  for (const terminator of context.terminators) {
    if (terminator.end <= start) left = Math.max(left, terminator.end);
    else if (terminator.start >= end) {
      right = Math.min(right, terminator.start);
      break;
    }
  }
  return { start: left, end: right };
}

/** The strongest modifier over the phrase at [start, end): negated, then another party's, then hypothetical. */
export function modifierAt(context: SentenceContext, start: number, end: number): Modifier {
  const clause = clauseOf(context, start, end);
  const applying = new Set<ContextTrigger['kind']>();
  for (const { trigger, span } of context.triggers) {
    if (span.start < clause.start || span.end > clause.end) continue;
    const before = span.end <= start;
    const after = span.start >= end;
    const governs =
      (before && trigger.position !== 'post' && wordsBetween(context.text, span.end, start) <= SCOPE_WORDS) ||
      (after && trigger.position !== 'pre' && wordsBetween(context.text, end, span.start) <= SCOPE_WORDS) ||
      (!before && !after && trigger.position === 'any');
    if (governs) applying.add(trigger.kind);
  }
  if (applying.has('negation')) return 'negated';
  if (applying.has('other-party')) return 'other-party';
  if (applying.has('hypothetical')) return 'hypothetical';
  return 'affirmed';
}
