/**
 * Which signals a listing's statements fire (pure), with the exact statements as quotes. A pattern
 * match counts only where its clause does not negate it and it is not another party's capability;
 * a hypothetical one ("can be configured to", "likely") counts half. A match overlapped by one of
 * the signal's `unless` patterns is another sense of the words and does not count. Fields fire
 * signals by their state too: "Tools: None" is the absence of tools, "Models: GPT-4o" names a model.
 */
import { modifierAt, sentenceContext, type Modifier, type SentenceContext } from './context.js';
import type { Signal } from './data/types.js';
import { globalOf } from './regex.js';
import type { Statement } from './statements.js';

/** A fired signal: the statements that fired it (at most three) and how firmly it is stated. */
export interface Firing {
  signal: Signal;
  quotes: string[];
  /** 1 when some statement states it, 0.5 when every statement that fires it is hypothetical. */
  strength: 1 | 0.5;
}


/** Statements with their sentence context computed at most once. */
class Reader {
  readonly #contexts = new Map<Statement, SentenceContext>();
  context(statement: Statement): SentenceContext {
    let context = this.#contexts.get(statement);
    if (context === undefined) {
      context = sentenceContext(statement.text);
      this.#contexts.set(statement, context);
    }
    return context;
  }
}

function overlapsSense(signal: Signal, text: string, start: number, end: number): boolean {
  for (const pattern of signal.unless ?? []) {
    for (const match of text.matchAll(globalOf(pattern))) {
      if (match.index < end && match.index + match[0].length > start) return true;
    }
  }
  return false;
}

/** How the statement states the signal: affirmed, hypothetical, or null when it does not fire it. */
function reading(signal: Signal, statement: Statement, reader: Reader): 'affirmed' | 'hypothetical' | null {
  const field = statement.field;
  if (field !== null) {
    if (field.state === 'absent' && signal.absentFields?.includes(field.kind) === true) return 'affirmed';
    if (field.state === 'stated' && signal.statedFields?.includes(field.kind) === true) {
      const context = reader.context(statement);
      // A value that negates ("returns a verdict; it does not modify…") or gives the capability to
      // someone else ("your application decides whether to run them") is not a plain statement of it.
      if (!triggered(context, 'negation') && !triggered(context, 'other-party')) return triggered(context, 'hypothetical') ? 'hypothetical' : 'affirmed';
    }
    if (field.state !== 'stated') return null;
    if (signal.fields !== undefined && !signal.fields.includes(field.kind)) return null;
  } else if (signal.fields !== undefined) return null;

  if (signal.unlessStatement?.some((pattern) => pattern.test(statement.text)) === true) return null;
  let best: 'affirmed' | 'hypothetical' | null = null;
  for (const pattern of signal.patterns) {
    // Most patterns miss most statements: a plain test is far cheaper than iterating matches.
    if (!pattern.test(statement.text)) continue;
    for (const match of statement.text.matchAll(globalOf(pattern))) {
      const start = match.index;
      const end = start + match[0].length;
      if (overlapsSense(signal, statement.text, start, end)) continue;
      const modifier: Modifier = modifierAt(reader.context(statement), start, end);
      // An absence pattern carries its own negation inside the match ("No tools"); a negation
      // governing it from outside ("there is no read-only mode") cancels it like any other.
      if (modifier === 'other-party' || modifier === 'negated') continue;
      if (modifier === 'hypothetical') best ??= 'hypothetical';
      else return 'affirmed';
    }
  }
  return best;
}

/** True when a trigger of this kind appears anywhere in the statement (a hedged or negating field value). */
function triggered(context: SentenceContext, kind: 'negation' | 'hypothetical' | 'other-party'): boolean {
  return context.triggers.some(({ trigger }) => trigger.kind === kind);
}

/** Runs every signal over the statements; returns the fired ones in table order. */
export function matchSignals(statements: readonly Statement[], table: readonly Signal[]): Firing[] {
  const reader = new Reader();
  const fired: Firing[] = [];
  // Most signals match nowhere in a listing: one test over all its text rules them out at once (a
  // pattern that matches a statement matches the joined text too, so nothing is missed).
  const everything = statements.map((statement) => statement.text).join('\n');
  for (const signal of table) {
    const fieldDriven = signal.statedFields !== undefined || signal.absentFields !== undefined;
    if (!fieldDriven && !signal.patterns.some((pattern) => pattern.test(everything))) continue;
    const affirmed: string[] = [];
    const hypothetical: string[] = [];
    for (const statement of statements) {
      if (affirmed.length >= 3) break;
      const how = reading(signal, statement, reader);
      if (how === 'affirmed') affirmed.push(statement.quote);
      else if (how === 'hypothetical') hypothetical.push(statement.quote);
    }
    if (affirmed.length > 0) fired.push({ signal, quotes: [...new Set([...affirmed, ...hypothetical])].slice(0, 3), strength: 1 });
    else if (hypothetical.length > 0) fired.push({ signal, quotes: [...new Set(hypothetical)].slice(0, 3), strength: 0.5 });
  }
  return fired;
}
