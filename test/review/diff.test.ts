import { describe, expect, it } from 'vitest';
import type { Assessment } from '../../schemas/assessment.js';
import { diffDrafts } from '../../src/review/diff.js';
import { createAssessment, scoreOf } from '../factories/draft.js';
import { namedThreat } from '../../schemas/catalogue/index.js';

/** A draft-shaped pair (assessment and its score) after `change` is applied to a copy of the base assessment. */
function revision(change: (assessment: Assessment) => void = () => undefined): { assessment: Assessment; score: ReturnType<typeof scoreOf> } {
  const assessment = structuredClone(createAssessment());
  change(assessment);
  return { assessment, score: scoreOf(assessment) };
}

describe('diffDrafts', () => {
  it('finds nothing between identical revisions', () => {
    expect(diffDrafts(revision(), revision())).toEqual([]);
  });

  it('reports a factor value with two decimals and the score it moved, score first', () => {
    const before = revision();
    const after = revision((a) => (a.factors.selfModification.value = 0.9));
    expect(diffDrafts(before, after)).toEqual([
      { path: 'score.score', label: 'AIVSS score', before: `${before.score.score.toFixed(1)} (${before.score.severity})`, after: `${after.score.score.toFixed(1)} (${after.score.severity})` },
      { path: 'factors.selfModification.value', label: 'Self-Modification value', before: '0.00', after: '0.90' },
    ]);
    expect(after.score.score).not.toBe(before.score.score);
  });

  it('reports text-only changes without a score line', () => {
    const after = revision((a) => {
      a.summary = 'A new summary.';
      a.factors.dynamicToolUse.rationale = 'Shell access is explicit.';
      a.cvss.rationale = 'A different path.';
    });
    expect(diffDrafts(revision(), after)).toEqual([
      { path: 'summary', label: 'Summary', before: createAssessment().summary, after: 'A new summary.' },
      { path: 'factors.dynamicToolUse.rationale', label: 'Dynamic Tool Use rationale', before: 'Estimated from the listing for dynamicToolUse.', after: 'Shell access is explicit.' },
      { path: 'cvss.rationale', label: 'CVSS rationale', before: 'Prompt injection through a task leads to shell commands on the host.', after: 'A different path.' },
    ]);
  });

  it('reports vector, maturity, mitigation and layer certainty, threats and text in report order', () => {
    const before = revision();
    const after = revision((a) => {
      a.layers[6]!.text = 'Agents coordinate over a public bus.';
      a.layers[0]!.certain = true;
      a.layers[0]!.threats = [namedThreat('jailbreak'), namedThreat('prompt-injection')];
      a.mitigation.value = 'strong';
      a.exploitMaturity.value = 'attacked';
      a.cvss.vector = 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N';
    });
    const diff = diffDrafts(before, after);
    expect(diff.map((entry) => entry.path)).toEqual([
      'score.score',
      'cvss.vector',
      'exploitMaturity.value',
      'mitigation.value',
      'layers.1.certain',
      'layers.1.threats',
      'layers.7.text',
    ]);
    expect(diff.slice(1)).toEqual([
      { path: 'cvss.vector', label: 'CVSS vector', before: before.assessment.cvss.vector, after: after.assessment.cvss.vector },
      { path: 'exploitMaturity.value', label: 'Exploit maturity', before: 'poc', after: 'attacked' },
      { path: 'mitigation.value', label: 'Mitigation', before: 'none', after: 'strong' },
      { path: 'layers.1.certain', label: 'L1 Foundation Models certain', before: 'no', after: 'yes' },
      { path: 'layers.1.threats', label: 'L1 Foundation Models threats', before: '', after: 'jailbreak, prompt injection' },
      { path: 'layers.7.text', label: 'L7 Agent Ecosystem text', before: 'Several agents coordinate through a message bus.', after: 'Agents coordinate over a public bus.' },
    ]);
  });

  it('leaves evidence lists out of the diff (reviewers do not edit them)', () => {
    const after = revision((a) => {
      a.layers[1]!.evidence = ['another quote'];
      a.factors.dynamicToolUse.evidence = [];
    });
    expect(diffDrafts(revision(), after)).toEqual([]);
  });
});
