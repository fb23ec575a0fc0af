/**
 * The threats the rules assessor names: the entries of the threat catalogue
 * (schemas/catalogue/threats.ts: id, name, MAESTRO layers, ASI and T ids, description,
 * mitigations), each with the signals whose presence makes it wrong for a listing (`suppressedBy`: a
 * stated sandbox rules out "unsandboxed code execution"), and the threats a layer gets when
 * nothing the listing says names one. Kinds and signals refer to threats by id;
 * test/assess/rules/tables.test.ts checks every reference resolves, every threat is used and every
 * threat is named only on its layers.
 */
import { CATALOGUE_THREATS, CHAIN_RULES, MITIGATIONS, TAXONOMIES, type CatalogueThreat } from '../../../../schemas/catalogue/index.js';
import type { LayerNumber } from '../../../../schemas/factors.js';

export interface Threat extends CatalogueThreat {
  /** Signal ids that, when they fire, make this threat inapplicable. */
  suppressedBy?: readonly string[];
}

/** Signals that rule a threat out (rules-specific knowledge, kept beside the catalogue, not in it). */
const SUPPRESSED_BY: Readonly<Record<string, readonly string[]>> = {
  'memory-poisoning': ['stateless', 'local-only'],
  'cross-session-leakage': ['stateless', 'local-only'],
  'stored-data-exfiltration': ['stateless', 'local-only'],
  'unsandboxed-code-execution': ['sandboxed'],
};

export const THREATS: readonly Threat[] = CATALOGUE_THREATS.map((threat) => {
  const suppressedBy = SUPPRESSED_BY[threat.id];
  return suppressedBy === undefined ? threat : { ...threat, suppressedBy };
});

/** Everything of the catalogue besides its threats that a draft depends on (hashed into RULES_VERSION). */
export const CATALOGUE = { taxonomies: TAXONOMIES, mitigations: MITIGATIONS, chains: CHAIN_RULES };

/** Threat ids per layer when neither the kind nor any signal names one. */
export const DEFAULT_THREATS: Readonly<Record<LayerNumber, readonly string[]>> = {
  1: ['prompt-injection', 'jailbreak', 'hallucinated-output'],
  2: ['data-poisoning', 'stored-data-exfiltration'],
  3: ['tool-misuse', 'api-abuse'],
  4: ['host-compromise', 'exposed-endpoints', 'hosting-supply-chain'],
  5: ['no-observability', 'unnoticed-actions', 'silent-exfiltration'],
  6: ['unclear-access-control'],
  7: ['untrusted-components'],
};
