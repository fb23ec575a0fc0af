/**
 * What a MAESTRO layer is about, as aspects a listing can speak to (data). Signals and kinds say
 * which aspects their statements cover; a layer text names what the listing covers (quoting it) and
 * lists the aspects it leaves open, so a layer never claims the listing is silent on something it
 * states ("does not say which model" next to a Models row).
 */
import type { LayerNumber } from '../../../../schemas/factors.js';

export const ASPECTS = {
  1: {
    model: 'which foundation model it runs on',
    alignment: 'how that model is aligned, filtered or evaluated for safety',
  },
  2: {
    storage: 'what data it keeps and for how long',
    retrieval: 'which knowledge sources it retrieves from',
    training: 'what it learns from or is fine-tuned on',
    inputs: 'which untrusted content flows into its context',
  },
  3: {
    framework: 'which agent framework or orchestration it runs in',
    tools: 'which tools or actions it can invoke',
    authorisation: 'how its actions are authorised or approved',
  },
  4: {
    hosting: 'where and how it is hosted',
    isolation: 'how execution is sandboxed or isolated',
    network: 'how it is exposed on the network',
    secrets: 'how credentials and secrets are held',
  },
  5: {
    logging: 'what is logged or audited',
    evaluation: 'how its behaviour is evaluated or tested',
    guardrails: 'which runtime guardrails or moderation apply',
    monitoring: 'what monitoring would catch misuse or drift',
  },
  6: {
    access: 'who may use it and how they authenticate',
    compliance: 'which compliance certifications it holds',
    privacy: 'what data-protection commitments it makes',
  },
  7: {
    ecosystem: 'which agents, plugins, protocols or marketplaces it interoperates with',
    supplyChain: 'which third-party components it depends on',
  },
} as const satisfies Record<LayerNumber, Record<string, string>>;

export type AspectOf<L extends LayerNumber> = keyof (typeof ASPECTS)[L] & string;
/** What a statement tells about each layer: aspect names per layer number. */
export type Tells = { readonly [L in LayerNumber]?: readonly AspectOf<L>[] };
