/**
 * Rewrites the derived texts of a draft from its current values with the rules assessor's words
 * (pure, deterministic): what a reviewer's edit regenerates on a rules draft, and what "regenerate"
 * writes for a stale text on any draft. The listing is read again, so quotes stay verbatim.
 */
import type { Assessment } from '../../../schemas/assessment.js';
import { LAYER_NUMBERS, LISTING_FACTOR_KEYS, type LayerNumber, type ListingFactorKey } from '../../../schemas/factors.js';
import type { Listing } from '../../../schemas/listing.js';
import type { Score } from '../../../schemas/score.js';
import { DEFAULT_RULES, rulesBasis, type RulesTable } from './assess.js';
import { buildCvss } from './cvss.js';
import { describeVector, factorAssessment, layerAssessment, maturityFor, mitigationFor, nameOf, reviewerLevelRationale, summaryFor } from './prose.js';

/** New texts for the given paths (paths it cannot write are left out). */
export function regenerateTexts(listing: Listing, assessment: Assessment, score: Score, paths: readonly string[], table: RulesTable = DEFAULT_RULES): Record<string, string> {
  const basis = rulesBasis(listing, table);
  const { reading, contributions, estimates } = basis;
  const out: Record<string, string> = {};
  for (const path of paths) {
    const parts = path.split('.');
    if (path === 'summary') {
      const uncertain = assessment.layers.filter((layer) => !layer.certain).length;
      out[path] = summaryFor(listing, reading, contributions, assessment.factors, score, uncertain, assessment.insufficientEvidence);
    } else if (parts[0] === 'factors' && parts[2] === 'rationale' && LISTING_FACTOR_KEYS.includes(parts[1] as ListingFactorKey)) {
      const key = parts[1] as ListingFactorKey;
      out[path] = factorAssessment(key, assessment.factors[key].value, estimates[key], reading).rationale;
    } else if (path === 'cvss.rationale') {
      const own = buildCvss(contributions);
      out[path] = own.vector === assessment.cvss.vector ? own.rationale : describeVector(assessment.cvss.vector);
    } else if (path === 'exploitMaturity.rationale') {
      const own = maturityFor(contributions, basis.capabilityIds);
      out[path] = own.value === assessment.exploitMaturity.value ? own.rationale : reviewerLevelRationale('Exploit maturity', assessment.exploitMaturity.value, own);
    } else if (path === 'mitigation.rationale') {
      const own = mitigationFor(contributions);
      out[path] = own.value === assessment.mitigation.value ? own.rationale : reviewerLevelRationale('Mitigation', assessment.mitigation.value, own);
    } else if (parts[0] === 'layers' && parts[2] === 'text' && LAYER_NUMBERS.includes(Number(parts[1]) as LayerNumber)) {
      out[path] = layerAssessment(Number(parts[1]) as LayerNumber, nameOf(listing), contributions).text;
    }
  }
  return out;
}
