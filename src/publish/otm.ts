/**
 * A published report as an Open Threat Model (OTM 0.2.0, IriusRisk's open format that threat
 * modelling tools import), pure. The agent is the project; each MAESTRO layer is a component in one
 * trust zone (the agent as its public listing describes it); the catalogue threats a layer names are
 * the component's threats, with the catalogue's mitigations; ASI and T ids are threat categories.
 * Risk figures are the report's: impact from the AIVSS score (0–100), likelihood from exploit
 * maturity. Validated against the OTM JSON Schema in test/publish/otm.test.ts.
 */
import type { PublishedAgent } from '../../schemas/published.js';
import { THREAT_BY_ID } from '../../schemas/catalogue/index.js';

export const OTM_VERSION = '0.2.0';

/** Likelihood (0–100) of a threat being exploited, from what is known of attacks on this class. */
const LIKELIHOOD: Readonly<Record<PublishedAgent['exploitMaturity']['value'], number>> = { attacked: 90, poc: 60, unreported: 30 };

type Json = Record<string, unknown>;

/** The OTM document of one report. */
export function toOtm(agent: PublishedAgent): Json {
  const zone = `${agent.id}-listing-scope`;
  const threats = new Map<string, PublishedAgent['layers'][number]['threats'][number]>();
  const mitigations = new Map<string, string>();
  for (const layer of agent.layers) {
    for (const threat of layer.threats) {
      threats.set(threat.id, threat);
      for (const mitigation of threat.mitigations) mitigations.set(mitigation.id, mitigation.text);
    }
  }
  const impact = Math.round(agent.score.value * 10);
  return {
    otmVersion: OTM_VERSION,
    project: {
      name: `${agent.title} — agentic threat model`,
      id: agent.id,
      description: agent.summary,
      tags: ['threatdraft', `aivss-${agent.score.severity.toLowerCase()}`, ...(agent.insufficientEvidence ? ['insufficient-evidence'] : [])],
      attributes: {
        aivssScore: agent.score.value,
        aivssRange: agent.score.range,
        aivssFormula: agent.score.formula,
        severity: agent.score.severity,
        cvssVector: agent.cvss.vector,
        revision: agent.revision,
        listingUrl: agent.url,
        taxonomies: agent.taxonomies,
      },
    },
    representations: [],
    trustZones: [
      {
        id: zone,
        name: 'The agent as its public listing describes it',
        type: 'agent',
        description: 'threatdraft drafts from the public listing alone; deployment boundaries are the integrator’s.',
        risk: { trustRating: 50 },
      },
    ],
    components: agent.layers.map((layer) => ({
      id: `${agent.id}-l${layer.layer}`,
      name: `L${layer.layer} ${layer.name}`,
      type: 'maestro-layer',
      description: layer.text,
      parent: { trustZone: zone },
      threats: layer.threats.map((threat) => ({
        threat: threat.id,
        state: 'EXPOSED',
        mitigations: threat.mitigations.map((mitigation) => ({ mitigation: mitigation.id, state: 'RECOMMENDED' })),
      })),
      tags: [layer.certain ? 'certain-from-listing' : 'not-certain-from-listing', ...layer.otherThreats.map((other) => `other-threat:${other}`)],
    })),
    dataflows: [],
    threats: [...threats.values()].map((threat) => ({
      id: threat.id,
      name: threat.name,
      description: THREAT_BY_ID.get(threat.id)?.description ?? null,
      categories: [...threat.asi, ...threat.t],
      risk: {
        likelihood: LIKELIHOOD[agent.exploitMaturity.value],
        likelihoodComment: `exploit maturity: ${agent.exploitMaturity.value}`,
        impact,
        impactComment: `AIVSS ${agent.score.value.toFixed(1)} (${agent.score.severity}) of the agent`,
      },
    })),
    mitigations: [...mitigations.entries()].map(([id, text]) => ({
      id,
      name: text,
      description: text,
      // The listing cannot tell how much a control reduces risk: recorded as a middle value, not an estimate.
      riskReduction: 50,
    })),
  };
}
