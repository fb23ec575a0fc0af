/**
 * Does a summary's wording agree with the severity band its own score falls in? (pure, for any
 * assessor). A summary that calls a Critical draft "moderate risk" misleads a reader who stops at
 * the first paragraph; checks flag it and the evals count it.
 */
import type { Severity } from '../../schemas/score.js';

/** How summaries word each band. */
export const BAND_PHRASES: Readonly<Record<Severity, string>> = {
  None: 'no scored risk',
  Low: 'low risk',
  Medium: 'moderate risk',
  High: 'high risk',
  Critical: 'critical risk',
};

const LEVEL_WORDS: readonly [RegExp, Severity][] = [
  [/^(?:critical|severe|extreme)$/i, 'Critical'],
  [/^high$/i, 'High'],
  [/^(?:moderate|medium|elevated)$/i, 'Medium'],
  [/^(?:low|minimal|minor|limited)$/i, 'Low'],
  [/^(?:no scored|no|negligible)$/i, 'None'],
];

/** A level word followed by "risk" or "severity" (optionally "inherent", "agentic", "overall" between). */
const WORD_CLAIM =
  /\b(critical|severe|extreme|high|moderate|medium|elevated|low|minimal|minor|limited|no scored|negligible)(?:[- ](?:inherent|agentic|overall|residual))*[- ](?:risk|severity)\b/gi;
/** A band by its own (capitalised) name: "(Critical)", "the High band". */
const BAND_CLAIM = /\((None|Low|Medium|High|Critical)\)|\b(None|Low|Medium|High|Critical) band\b/g;

/** The severity levels a text claims, in order of appearance. */
export function claimedBands(text: string): Severity[] {
  const found: { at: number; level: Severity }[] = [];
  for (const pattern of [WORD_CLAIM, BAND_CLAIM]) {
    for (const match of text.matchAll(pattern)) {
      const word = (match[1] ?? match[2] ?? '').trim();
      const level = LEVEL_WORDS.find(([candidate]) => candidate.test(word))?.[1];
      if (level !== undefined) found.push({ at: match.index, level });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ level }) => level);
}

/** The levels a text claims that are not the band it should agree with (empty when it agrees). */
export function bandDisagreements(text: string, severity: Severity): Severity[] {
  return [...new Set(claimedBands(text).filter((level) => level !== severity))];
}
