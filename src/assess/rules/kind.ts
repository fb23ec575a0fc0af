/**
 * What kind of thing a listing describes (pure), decided before anything is scored: from its
 * category field when it has one, else from the head of its lead sentence ("Name: Open-source
 * reasoning foundation model."). Among the kinds whose cues match, the one named first wins (the
 * head noun of a category usually leads: "security operations multi-agent platform"); the next
 * one, from the category or the lead, is the secondary kind.
 */
import { GENERIC_KIND, KINDS } from './data/kinds.js';
import type { Kind } from './data/types.js';
import type { Statement } from './statements.js';

export interface KindReading {
  primary: Kind;
  secondary: Kind | null;
  /** The statement the primary kind was read from (null for the generic kind). */
  quote: string | null;
}

interface Candidate {
  kind: Kind;
  at: number;
  end: number;
  order: number;
}

function candidates(text: string, kinds: readonly Kind[]): Candidate[] {
  const found: Candidate[] = [];
  kinds.forEach((kind, order) => {
    let best: { at: number; end: number } | null = null;
    for (const cue of kind.cues) {
      const match = cue.exec(text);
      if (match !== null && (best === null || match.index < best.at)) best = { at: match.index, end: match.index + match[0].length };
    }
    if (best !== null) found.push({ kind, ...best, order });
  });
  return found.sort((a, b) => a.at - b.at || a.order - b.order);
}

/** The head of a lead sentence: without the "Name:" or "Name is a" that introduces it. */
export function leadHead(sentence: string, title: string): string {
  const trimmedTitle = title.trim();
  let head = sentence.trim();
  if (trimmedTitle !== '' && head.toLowerCase().startsWith(trimmedTitle.toLowerCase())) head = head.slice(trimmedTitle.length);
  return head.replace(/^\s*(?:[:\-–—]|is (?:an?|the)|are (?:an?|the)?)\s*/i, '').trim();
}

/** Reads the kind of a listing from its statements (category fields, then lead sentences). */
export function readKind(statements: readonly Statement[], title: string, kinds: readonly Kind[] = KINDS): KindReading {
  const categories = statements.filter((statement) => statement.field?.kind === 'category' && statement.field.state === 'stated');
  const leads = statements.filter((statement) => statement.field === null && statement.lead).slice(0, 1);
  const ranked: { candidate: Candidate; quote: string; source: string }[] = [];
  for (const statement of categories) for (const candidate of candidates(statement.text, kinds)) ranked.push({ candidate, quote: statement.quote, source: statement.text });
  for (const statement of leads) {
    const head = leadHead(statement.text, title);
    for (const candidate of candidates(head, kinds)) ranked.push({ candidate, quote: statement.quote, source: head });
  }
  // What a thing does outranks the form it takes: a "Claude Code plugin (infra)" is an operations agent first.
  ranked.sort((a, b) => Number(a.candidate.kind.form === true) - Number(b.candidate.kind.form === true));
  const first = ranked[0];
  if (first === undefined) return { primary: GENERIC_KIND, secondary: null, quote: null };
  // A second kind must be named by other words: "coding assistant" is not also an "assistant"
  // (a match inside the primary's), though "coding agent skill" is also a skill.
  const overlaps = ({ candidate, source }: (typeof ranked)[number]): boolean =>
    source === first.source && candidate.at >= first.candidate.at && candidate.end <= first.candidate.end;
  const secondary = ranked.slice(1).find((entry) => entry.candidate.kind.id !== first.candidate.kind.id && !overlaps(entry));
  return { primary: first.candidate.kind, secondary: secondary?.candidate.kind ?? null, quote: first.quote };
}
