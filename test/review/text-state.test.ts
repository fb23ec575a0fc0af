import { describe, expect, it } from 'vitest';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { regenerateTexts } from '../../src/assess/rules/regenerate.js';
import { scoreAssessment } from '../../src/assess/assess.js';
import { bandDisagreements } from '../../src/assess/summary-band.js';
import { textAt, textPaths } from '../../src/assess/text-paths.js';
import { previewEdit } from '../../src/review/edit.js';
import { reconcileEdit, regenerateStale } from '../../src/review/text-state.js';
import { createListing } from '../factories/listing.js';
import { createDraft } from '../factories/draft.js';

const listing = createListing({
  title: 'Forge Agent',
  summary: '',
  text: 'Forge Agent: Autonomous coding agent. Runs bash commands and edits files on its own.\n- Stores API keys for connected services\n- Sends pull-request comments to reviewers',
  fields: { capabilities: [], metadata: {}, repositories: [], category: null },
});
const rulesDraft = () => {
  const assessment = assessWithRules(listing);
  return createDraft({ listingId: listing.id, assessment, score: scoreAssessment(assessment) });
};
const regenerate = (assessment: Parameters<typeof regenerateTexts>[1], score: Parameters<typeof regenerateTexts>[2], paths: readonly string[]) =>
  regenerateTexts(listing, assessment, score, paths);

/** An edit that moves the draft from Critical to Medium: a local, low-impact vector and a human approval step. */
const DOWN = { cvss: { vector: 'CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' }, mitigation: { value: 'partial' as const }, factors: { autonomyOfAction: { value: 0.2 } } };

describe('texts follow a reviewer’s edit of the values', () => {
  it('rewrites the summary and the rationales of changed values on a rules draft, deterministically', () => {
    const draft = rulesDraft();
    expect(draft.score.severity).toBe('Critical');
    const edited = previewEdit(draft, DOWN);
    expect(edited.score.severity).toBe('Medium');
    const state = reconcileEdit(draft, edited.assessment, edited.score, regenerate);
    expect(state.regenerated.sort()).toEqual(['cvss.rationale', 'factors.autonomyOfAction.rationale', 'mitigation.rationale', 'summary']);
    expect(state.staleText).toEqual([]);
    expect(state.assessment.summary).toContain(`(${edited.score.severity})`);
    expect(state.assessment.factors.autonomyOfAction.rationale).toMatch(/^Autonomy of Action 0\.20, set by a reviewer/);
    expect(state.assessment.cvss.rationale).toContain('set by a reviewer');
    // No text anywhere still calls it Critical.
    for (const path of textPaths(state.assessment)) expect(bandDisagreements(textAt(state.assessment, path)!, 'Medium'), path).toEqual([]);
    expect(reconcileEdit(draft, edited.assessment, edited.score, regenerate)).toEqual(state);
  });

  it('marks the texts stale instead when a model wrote them', () => {
    const draft = rulesDraft();
    const edited = previewEdit(draft, DOWN);
    const state = reconcileEdit(draft, edited.assessment, edited.score, null);
    expect(state.staleText).toEqual(['cvss.rationale', 'factors.autonomyOfAction.rationale', 'mitigation.rationale', 'summary']);
    expect(state.assessment.summary).toBe(draft.assessment.summary);
  });

  it('keeps a reviewer’s own text, and marks it stale when a later edit changes the values under it', () => {
    const draft = rulesDraft();
    const written = previewEdit(draft, { summary: 'A coding agent with shell access; review before use.' });
    const first = reconcileEdit(draft, written.assessment, written.score, regenerate);
    expect(first).toMatchObject({ reviewerText: ['summary'], staleText: [], regenerated: [] });
    const withText = { ...draft, assessment: first.assessment, reviewerText: first.reviewerText, staleText: first.staleText };
    const moved = previewEdit(withText, DOWN);
    const second = reconcileEdit(withText, moved.assessment, moved.score, regenerate);
    expect(second.assessment.summary).toBe('A coding agent with shell access; review before use.');
    expect(second.staleText).toEqual(['summary']);
    // Regenerating makes it the assessor's words again, no longer stale or hand-written.
    const again = regenerateStale({ ...withText, assessment: second.assessment, score: moved.score, staleText: second.staleText, reviewerText: second.reviewerText }, ['summary'], regenerate);
    expect([again.staleText, again.reviewerText, again.assessment.summary.includes('(Medium)')]).toEqual([[], [], true]);
  });

  it('flags hand-written text that names another band than the score', () => {
    const draft = rulesDraft();
    const edited = previewEdit(draft, { summary: 'Low risk: a harmless helper.' });
    expect(reconcileEdit(draft, edited.assessment, edited.score, regenerate).staleText).toEqual(['summary']);
  });
});
