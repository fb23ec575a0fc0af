import { z } from 'zod';

/** The ten agentic risk factors as listings (and assessments) name them, with display names. */
export const LISTING_FACTORS = {
  autonomyOfAction: 'Autonomy of Action',
  goalDrivenPlanning: 'Goal-Driven Planning',
  selfModification: 'Self-Modification',
  dynamicToolUse: 'Dynamic Tool Use',
  persistentMemory: 'Persistent Memory',
  contextualAwareness: 'Contextual Awareness',
  dynamicIdentity: 'Dynamic Identity',
  multiAgentInteractions: 'Multi-Agent Interactions',
  nonDeterminism: 'Non-Determinism',
  opacityAndReflexivity: 'Opacity & Reflexivity',
} as const;

export type ListingFactorKey = keyof typeof LISTING_FACTORS;
export const LISTING_FACTOR_KEYS = Object.keys(LISTING_FACTORS) as ListingFactorKey[];

/** The ten factor keys of the OWASP AIVSS v0.8 specification. */
export const V08_FACTOR_KEYS = [
  'autonomy',
  'tools',
  'language',
  'context',
  'nonDeterminism',
  'opacity',
  'persistence',
  'identity',
  'multiAgent',
  'selfModification',
] as const;
export type V08FactorKey = (typeof V08_FACTOR_KEYS)[number];

/** The seven CSA MAESTRO layers, numbered as CSA numbers them. */
export const MAESTRO_LAYERS = {
  1: 'Foundation Models',
  2: 'Data Operations',
  3: 'Agent Frameworks',
  4: 'Deployment & Infrastructure',
  5: 'Evaluation & Observability',
  6: 'Security & Compliance',
  7: 'Agent Ecosystem',
} as const;
export type LayerNumber = keyof typeof MAESTRO_LAYERS;
export const LAYER_NUMBERS = [1, 2, 3, 4, 5, 6, 7] as const;

/** A factor value: a number in [0, 1]. */
export const factorValueSchema = z.number().min(0).max(1);
