/**
 * The versioned threat catalogue (data, pure): threats with MAESTRO layers, OWASP ASI and T ids,
 * descriptions and mitigations; the taxonomies and their versions; cross-layer chains. Assessors
 * pick from it, the model is offered its ids, and the review UI and the published site explain it.
 */
import { z } from 'zod';
import { CATALOGUE_THREATS, type CatalogueThreat } from './threats.js';
import { MITIGATIONS, type Mitigation } from './mitigations.js';

export * from './taxonomies.js';
export * from './threats.js';
export * from './mitigations.js';
export * from './chains.js';

export const THREAT_BY_ID: ReadonlyMap<string, CatalogueThreat> = new Map(CATALOGUE_THREATS.map((threat) => [threat.id, threat]));
export const MITIGATION_BY_ID: ReadonlyMap<string, Mitigation> = new Map(MITIGATIONS.map((mitigation) => [mitigation.id, mitigation]));
/** Every catalogue id, in catalogue order (the enum the model is offered). */
export const THREAT_IDS = CATALOGUE_THREATS.map((threat) => threat.id) as [string, ...string[]];

/** A catalogue threat as a draft stores it: a snapshot of the entry, so a later catalogue version never rewrites it. */
export const namedThreatSchema = z.object({
  id: z.string().min(1).max(80),
  name: z.string().min(1).max(120),
  asi: z.array(z.string().max(8)).max(10),
  t: z.array(z.string().max(4)).max(17),
  mitigations: z.array(z.object({ id: z.string().min(1).max(80), text: z.string().min(1).max(300) })).max(8),
});
export type NamedThreat = z.infer<typeof namedThreatSchema>;

/** The stored form of a catalogue threat. @throws Error for an id the catalogue does not hold. */
export function namedThreat(id: string): NamedThreat {
  const threat = THREAT_BY_ID.get(id);
  if (threat === undefined) throw new Error(`No threat ${JSON.stringify(id)} in the catalogue`);
  return {
    id: threat.id,
    name: threat.name,
    asi: [...threat.asi],
    t: [...threat.t],
    mitigations: threat.mitigations.map((mitigation) => ({ id: mitigation, text: MITIGATION_BY_ID.get(mitigation)?.text ?? mitigation })),
  };
}

/** The catalogue id for a threat id or name (case-insensitive), or null: how legacy and reviewer-typed names are mapped. */
export function catalogueIdFor(text: string): string | null {
  const wanted = text.trim().toLowerCase();
  if (THREAT_BY_ID.has(wanted)) return wanted;
  return CATALOGUE_THREATS.find((threat) => threat.name.toLowerCase() === wanted)?.id ?? null;
}
