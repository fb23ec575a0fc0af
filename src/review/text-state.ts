/**
 * Keeping a draft's words true to its values when a reviewer edits them (pure). After an edit, the
 * texts written about the changed values (the summary, a changed factor's rationale, the CVSS,
 * maturity and mitigation rationales) and any text that now names another band than the score's
 * are regenerated when the assessor's words can be (the rules assessor's, deterministically), or
 * marked stale when a reviewer wrote them by hand or a model did. Stale text blocks publication
 * until it is regenerated or a reviewer confirms it.
 */
import type { Assessment } from '../../schemas/assessment.js';
import type { Draft } from '../../schemas/draft.js';
import type { Score } from '../../schemas/score.js';
import { textAt, textPaths, textsAboutChangedValues, textsContradictingBand, withText } from '../assess/text-paths.js';

/** Writes new texts for paths from the draft's current values; leaves out paths it cannot write. */
export type Regenerator = (assessment: Assessment, score: Score, paths: readonly string[]) => Record<string, string>;

export interface TextState {
  assessment: Assessment;
  staleText: string[];
  reviewerText: string[];
  /** Paths this step rewrote from the values. */
  regenerated: string[];
  /** Paths this step marked stale. */
  staled: string[];
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * Reconciles the texts of an edited draft. `assessment` and `score` are the edit's result;
 * `regenerate` is null when nothing may rewrite the draft's words (a model's draft).
 */
export function reconcileEdit(before: Pick<Draft, 'assessment' | 'staleText' | 'reviewerText'>, assessment: Assessment, score: Score, regenerate: Regenerator | null): TextState {
  const authored = textPaths(assessment).filter((path) => textAt(assessment, path) !== textAt(before.assessment, path));
  const reviewerText = new Set([...before.reviewerText, ...authored]);
  const stale = new Set(before.staleText.filter((path) => !authored.includes(path)));
  const affected = sorted([...textsAboutChangedValues(before.assessment, assessment), ...textsContradictingBand(assessment, score.severity)]).filter(
    (path) => !authored.includes(path),
  );
  const rewritable = regenerate === null ? [] : affected.filter((path) => !reviewerText.has(path));
  const texts = rewritable.length === 0 || regenerate === null ? {} : regenerate(assessment, score, rewritable);
  let next = assessment;
  const regenerated: string[] = [];
  const staled: string[] = [];
  for (const path of affected) {
    const text = texts[path];
    if (text !== undefined) {
      next = withText(next, path, text);
      stale.delete(path);
      regenerated.push(path);
    } else if (!stale.has(path)) {
      stale.add(path);
      staled.push(path);
    }
  }
  // A text the reviewer just wrote that names another band is flagged too: they may confirm it.
  for (const path of textsContradictingBand(next, score.severity)) {
    if (!stale.has(path)) {
      stale.add(path);
      staled.push(path);
    }
  }
  return { assessment: next, staleText: sorted(stale), reviewerText: sorted(reviewerText), regenerated, staled };
}

/** Regenerates stale (or the given) texts: they become the assessor's words again, no longer stale. */
export function regenerateStale(draft: Pick<Draft, 'assessment' | 'score' | 'staleText' | 'reviewerText'>, paths: readonly string[], regenerate: Regenerator): TextState {
  const texts = regenerate(draft.assessment, draft.score, paths);
  let next = draft.assessment;
  const regenerated: string[] = [];
  for (const [path, text] of Object.entries(texts)) {
    next = withText(next, path, text);
    regenerated.push(path);
  }
  return {
    assessment: next,
    staleText: sorted(draft.staleText.filter((path) => !regenerated.includes(path))),
    reviewerText: sorted(draft.reviewerText.filter((path) => !regenerated.includes(path))),
    regenerated: regenerated.sort(),
    staled: [],
  };
}
