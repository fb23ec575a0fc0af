/** Field-level diff between two drafts' assessments and scores, pure, in a stable order. */
import type { Assessment } from '../../schemas/assessment.js';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber } from '../../schemas/factors.js';

/** One changed field, with a label for people and the path for machines. */
export interface DiffEntry {
  path: string;
  label: string;
  before: string;
  after: string;
}

function flatten(assessment: Assessment, score: Draft['score']): Array<[string, string, string]> {
  const rows: Array<[string, string, string]> = [
    ['score.score', 'AIVSS score', `${score.score.toFixed(1)} (${score.severity})`],
    ['summary', 'Summary', assessment.summary],
  ];
  for (const key of LISTING_FACTOR_KEYS) {
    const factor = assessment.factors[key];
    rows.push([`factors.${key}.value`, `${LISTING_FACTORS[key]} value`, factor.value.toFixed(2)]);
    rows.push([`factors.${key}.rationale`, `${LISTING_FACTORS[key]} rationale`, factor.rationale]);
  }
  rows.push(['cvss.vector', 'CVSS vector', assessment.cvss.vector], ['cvss.rationale', 'CVSS rationale', assessment.cvss.rationale]);
  rows.push(['exploitMaturity.value', 'Exploit maturity', assessment.exploitMaturity.value]);
  rows.push(['mitigation.value', 'Mitigation', assessment.mitigation.value]);
  for (const layer of assessment.layers) {
    const name = `L${layer.layer} ${MAESTRO_LAYERS[layer.layer as LayerNumber]}`;
    rows.push([`layers.${layer.layer}.certain`, `${name} certain`, layer.certain ? 'yes' : 'no']);
    rows.push([`layers.${layer.layer}.threats`, `${name} threats`, layer.threats.map((threat) => threat.name).join(', ')]);
    rows.push([`layers.${layer.layer}.otherThreats`, `${name} other threats`, layer.otherThreats.join(', ')]);
    rows.push([`layers.${layer.layer}.text`, `${name} text`, layer.text]);
  }
  return rows;
}

/** The fields that differ between `before` and `after`, in report order. */
export function diffDrafts(before: Pick<Draft, 'assessment' | 'score'>, after: Pick<Draft, 'assessment' | 'score'>): DiffEntry[] {
  const old = new Map(flatten(before.assessment, before.score).map(([path, , value]) => [path, value]));
  return flatten(after.assessment, after.score)
    .filter(([path, , value]) => old.get(path) !== value)
    .map(([path, label, value]) => ({ path, label, before: old.get(path) ?? '', after: value }));
}
