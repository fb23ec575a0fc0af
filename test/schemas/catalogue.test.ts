/**
 * The threat catalogue as data with a test per entry: ids, layers, OWASP mappings and mitigations
 * resolve; the ASI and T lists carry the names and numbering OWASP published; cross-layer chains
 * are listed only where both ends are named on different layers; stored drafts with free-text
 * threats read as catalogue threats.
 */
import { describe, expect, it } from 'vitest';
import { layerAssessmentSchema } from '../../schemas/assessment.js';
import {
  ASI,
  ASI_IDS,
  CATALOGUE_THREATS,
  CHAIN_RULES,
  chainsFor,
  catalogueIdFor,
  MITIGATIONS,
  namedThreat,
  T_IDS,
  T_TAXONOMY,
  TAXONOMIES,
  THREAT_BY_ID,
} from '../../schemas/catalogue/index.js';

describe('OWASP taxonomies', () => {
  it('lists the Top 10 for Agentic Applications (2026) as published: ASI01 to ASI10', () => {
    expect(ASI.map((entry) => `${entry.id} ${entry.name}`)).toEqual([
      'ASI01 Agent Goal Hijack',
      'ASI02 Tool Misuse and Exploitation',
      'ASI03 Identity and Privilege Abuse',
      'ASI04 Agentic Supply Chain Vulnerabilities',
      'ASI05 Unexpected Code Execution',
      'ASI06 Memory and Context Poisoning',
      'ASI07 Insecure Inter-Agent Communication',
      'ASI08 Cascading Failures',
      'ASI09 Human-Agent Trust Exploitation',
      'ASI10 Rogue Agents',
    ]);
  });

  it('lists the Agentic AI Threats and Mitigations taxonomy v1.1 as published: T1 to T17', () => {
    expect(T_TAXONOMY.map((entry) => entry.id)).toEqual([...T_IDS]);
    expect(T_TAXONOMY.map((entry) => entry.name)).toEqual([
      'Memory Poisoning',
      'Tool Misuse',
      'Privilege Compromise',
      'Resource Overload',
      'Cascading Hallucination Attacks',
      'Intent Breaking & Goal Manipulation',
      'Misaligned & Deceptive Behaviors',
      'Repudiation & Untraceability',
      'Identity Spoofing & Impersonation',
      'Overwhelming Human in the Loop',
      'Unexpected RCE and Code Attacks',
      'Agent Communication Poisoning',
      'Rogue Agents in Multi-Agent Systems',
      'Human Attacks on Multi-Agent Systems',
      'Human Manipulation',
      'Insecure Inter-Agent Protocol Abuse',
      'Supply Chain Compromise',
    ]);
  });

  it('names every version a report depends on', () => {
    expect(TAXONOMIES).toEqual({
      catalogue: expect.stringMatching(/^threatdraft threat catalogue \d+\.\d+\.\d+$/) as unknown as string,
      aivss: 'v0.8',
      maestro: expect.stringContaining('MAESTRO') as unknown as string,
      asi: 'OWASP Top 10 for Agentic Applications 2026',
      t: 'OWASP Agentic AI Threats and Mitigations v1.1',
    });
  });
});

describe('catalogue entries', () => {
  const mitigationIds = new Set(MITIGATIONS.map((mitigation) => mitigation.id));

  it('has unique ids and names', () => {
    expect(new Set(CATALOGUE_THREATS.map((threat) => threat.id)).size).toBe(CATALOGUE_THREATS.length);
    expect(new Set(CATALOGUE_THREATS.map((threat) => threat.name)).size).toBe(CATALOGUE_THREATS.length);
    expect(new Set(MITIGATIONS.map((mitigation) => mitigation.id)).size).toBe(MITIGATIONS.length);
  });

  for (const threat of CATALOGUE_THREATS) {
    it(`${threat.id}: layers, OWASP ids, description and mitigations resolve`, () => {
      expect(threat.layers.length).toBeGreaterThan(0);
      for (const layer of threat.layers) expect([1, 2, 3, 4, 5, 6, 7]).toContain(layer);
      for (const id of threat.asi) expect(ASI_IDS).toContain(id);
      for (const id of threat.t) expect(T_IDS).toContain(id);
      expect(threat.description.length).toBeGreaterThan(20);
      expect(threat.mitigations.length).toBeGreaterThan(0);
      for (const id of threat.mitigations) expect(mitigationIds.has(id), `${threat.id}: mitigation ${id}`).toBe(true);
      // A threat maps to OWASP's lists, unless it is an observation that rules threats out.
      if (threat.asi.length + threat.t.length === 0) expect(threat.description).toMatch(/^Not a threat in itself/);
    });
  }

  it('covers every ASI category and uses every mitigation', () => {
    const asi = new Set(CATALOGUE_THREATS.flatMap((threat) => threat.asi));
    expect([...asi].sort()).toEqual([...ASI_IDS]);
    const used = new Set(CATALOGUE_THREATS.flatMap((threat) => threat.mitigations));
    expect(MITIGATIONS.filter((mitigation) => !used.has(mitigation.id))).toEqual([]);
  });

  it('stores a threat as a snapshot of its entry, mitigations in words', () => {
    expect(namedThreat('tool-misuse')).toEqual({
      id: 'tool-misuse',
      name: 'tool misuse',
      asi: ['ASI02'],
      t: ['T2'],
      mitigations: [
        { id: 'least-privilege-tools', text: expect.stringContaining('least privilege') as unknown as string },
        { id: 'human-approval', text: expect.stringContaining('human approval') as unknown as string },
        { id: 'output-validation', text: expect.stringContaining('Validate') as unknown as string },
      ],
    });
    expect(() => namedThreat('no-such-threat')).toThrow(/No threat/);
  });

  it('maps ids and names (any case) to catalogue ids, and nothing else', () => {
    expect(catalogueIdFor('Tool Misuse')).toBe('tool-misuse');
    expect(catalogueIdFor(' prompt-injection ')).toBe('prompt-injection');
    expect(catalogueIdFor('adversarial prompts')).toBeNull();
  });
});

describe('cross-layer chains', () => {
  it('refers only to catalogue threats that can sit on different layers', () => {
    for (const rule of CHAIN_RULES) {
      const from = THREAT_BY_ID.get(rule.from);
      const to = THREAT_BY_ID.get(rule.to);
      expect(from, rule.from).toBeDefined();
      expect(to, rule.to).toBeDefined();
      const apart = from!.layers.some((a) => to!.layers.some((b) => a !== b));
      expect(apart, `${rule.from} → ${rule.to} can never cross layers`).toBe(true);
    }
  });

  const layer = (n: number, ids: string[]) => ({ layer: n, threats: ids.map((id) => ({ id })) });

  it('lists a chain where both ends are named on different layers', () => {
    expect(chainsFor([layer(1, ['prompt-injection']), layer(3, ['tool-misuse'])])).toEqual([
      { from: { id: 'prompt-injection', layer: 1 }, to: { id: 'tool-misuse', layer: 3 }, how: expect.any(String) as unknown as string },
    ]);
  });

  it('lists no chain when one end is missing', () => {
    expect(chainsFor([layer(1, ['prompt-injection']), layer(3, ['api-abuse'])])).toEqual([]);
  });

  it('lists no chain when both ends sit on the same layer only', () => {
    expect(chainsFor([layer(3, ['tool-poisoning', 'tool-misuse'])])).toEqual([]);
    expect(chainsFor([layer(7, ['tool-poisoning']), layer(3, ['tool-misuse'])])).toHaveLength(1);
  });
});

describe('drafts stored before the catalogue', () => {
  it('read free-text threats that are catalogue names as catalogue threats, and the rest as other threats', () => {
    const layer = layerAssessmentSchema.parse({
      layer: 3,
      certain: true,
      threats: ['tool misuse', 'API abuse', 'prompt injection via tools'],
      text: 'Agent frameworks.',
      evidence: [],
    });
    expect(layer.threats.map((threat) => threat.id)).toEqual(['tool-misuse', 'api-abuse']);
    expect(layer.threats[0]?.asi).toEqual(['ASI02']);
    expect(layer.otherThreats).toEqual(['prompt injection via tools']);
  });
});
