/**
 * The texts of an assessment, addressed by path (`summary`, `factors.<key>.rationale`,
 * `cvss.rationale`, `exploitMaturity.rationale`, `mitigation.rationale`, `layers.<n>.text`), and
 * the values each is written about: what changes when a reviewer edits values, and which texts a
 * band no longer matches (pure).
 */
import type { Assessment } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import type { Severity } from '../../schemas/score.js';
import { bandDisagreements } from './summary-band.js';

/** Every text path of an assessment, in reading order. */
export function textPaths(assessment: Assessment): string[] {
  return [
    'summary',
    ...LISTING_FACTOR_KEYS.map((key) => `factors.${key}.rationale`),
    'cvss.rationale',
    'exploitMaturity.rationale',
    'mitigation.rationale',
    ...assessment.layers.map((layer) => `layers.${layer.layer}.text`),
  ];
}

/** The text at a path, or null for a path the assessment has no text at. */
export function textAt(assessment: Assessment, path: string): string | null {
  const parts = path.split('.');
  if (path === 'summary') return assessment.summary;
  if (parts[0] === 'factors' && parts[2] === 'rationale') return assessment.factors[parts[1] as ListingFactorKey]?.rationale ?? null;
  if (path === 'cvss.rationale') return assessment.cvss.rationale;
  if (path === 'exploitMaturity.rationale') return assessment.exploitMaturity.rationale;
  if (path === 'mitigation.rationale') return assessment.mitigation.rationale;
  if (parts[0] === 'layers' && parts[2] === 'text') return assessment.layers.find((layer) => layer.layer === Number(parts[1]))?.text ?? null;
  return null;
}

/** A copy of the assessment with the text at `path` replaced (an unknown path changes nothing). */
export function withText(assessment: Assessment, path: string, text: string): Assessment {
  const next = structuredClone(assessment);
  const parts = path.split('.');
  if (path === 'summary') next.summary = text;
  else if (parts[0] === 'factors' && parts[2] === 'rationale' && LISTING_FACTOR_KEYS.includes(parts[1] as ListingFactorKey)) next.factors[parts[1] as ListingFactorKey].rationale = text;
  else if (path === 'cvss.rationale') next.cvss.rationale = text;
  else if (path === 'exploitMaturity.rationale') next.exploitMaturity.rationale = text;
  else if (path === 'mitigation.rationale') next.mitigation.rationale = text;
  else if (parts[0] === 'layers' && parts[2] === 'text') {
    const layer = next.layers.find((entry) => entry.layer === Number(parts[1]));
    if (layer !== undefined) layer.text = text;
  }
  return next;
}

/**
 * The texts written about the values that differ between two assessments: the summary for any
 * value (it states the score and what drives it), a factor's rationale for its value, and the
 * rationale of the CVSS vector, maturity and mitigation for theirs.
 */
export function textsAboutChangedValues(before: Assessment, after: Assessment): string[] {
  const out: string[] = [];
  const factors = LISTING_FACTOR_KEYS.filter((key) => before.factors[key].value !== after.factors[key].value);
  for (const key of factors) out.push(`factors.${key}.rationale`);
  if (before.cvss.vector !== after.cvss.vector) out.push('cvss.rationale');
  if (before.exploitMaturity.value !== after.exploitMaturity.value) out.push('exploitMaturity.rationale');
  if (before.mitigation.value !== after.mitigation.value) out.push('mitigation.rationale');
  return out.length > 0 ? ['summary', ...out] : [];
}

/** The texts that describe the draft as another band than `severity` ("moderate risk" on a Critical draft). */
export function textsContradictingBand(assessment: Assessment, severity: Severity): string[] {
  return textPaths(assessment).filter((path) => bandDisagreements(textAt(assessment, path) ?? '', severity).length > 0);
}
