/**
 * The rules assessor's layer wording (data): what an uncertain layer says the listing leaves open,
 * and the threats named for a layer no signal speaks to. Hashed into RULES_VERSION with the signals.
 */
import type { LayerNumber } from '../../../schemas/factors.js';

/** What a layer says when the listing is silent about it (after the "Not certain" prefix). */
export const LAYER_GAPS: Readonly<Record<LayerNumber, string>> = {
  1: 'the listing does not say which foundation model it runs on, how that model is aligned or which input filters sit in front of it; model-level threats depend on that choice.',
  2: 'the listing does not describe what data it stores, retrieves or trains on, or how long it keeps it; data-operation threats depend on those pipelines.',
  3: 'the listing does not describe an agent framework, tool-calling orchestration or how actions are authorised; framework-level threats depend on how it is wired.',
  4: 'hosting, sandboxing, network exposure and secret handling are not specified; they depend on the deploying environment.',
  5: 'the listing does not mention runtime evaluation, logging, guardrails or monitoring that would catch misuse or drift.',
  6: 'there is no mention of access control, compliance certifications or data-protection commitments.',
  7: 'the listing does not place it in a wider ecosystem of agents, plugins or marketplaces, so ecosystem-level threats are not established.',
};

/** Threat names for a layer when no fired signal names any. */
export const DEFAULT_THREATS: Readonly<Record<LayerNumber, readonly string[]>> = {
  1: ['prompt injection', 'jailbreak', 'hallucinated or toxic output'],
  2: ['data poisoning', 'data exfiltration'],
  3: ['tool misuse', 'API abuse', 'input validation flaws'],
  4: ['credential exposure', 'host compromise', 'supply-chain compromise'],
  5: ['no observability', 'malicious actions unnoticed', 'silent data exfiltration', 'no content moderation'],
  6: ['unclear access control'],
  7: ['untrusted third-party components'],
};
