/**
 * The threats the rules assessor names (data): an id, the name a report prints, and the MAESTRO
 * layers it belongs to. Kinds and signals refer to threats by id; `suppressedBy` names signals whose
 * presence makes a threat wrong for the listing (a stated sandbox rules out "unsandboxed code
 * execution"). test/assess/rules/tables.test.ts checks every reference resolves and every threat is used.
 */
import type { LayerNumber } from '../../../../schemas/factors.js';

export interface Threat {
  id: string;
  name: string;
  layers: readonly LayerNumber[];
  /** Signal ids that, when they fire, make this threat inapplicable. */
  suppressedBy?: readonly string[];
}

export const THREATS: readonly Threat[] = [
  // L1 Foundation models
  { id: 'prompt-injection', name: 'prompt injection', layers: [1] },
  { id: 'jailbreak', name: 'jailbreak', layers: [1] },
  { id: 'hallucinated-output', name: 'hallucinated or misleading output', layers: [1] },
  { id: 'indirect-injection-web', name: 'indirect prompt injection via web pages', layers: [1, 2] },
  { id: 'indirect-injection-content', name: 'indirect prompt injection via processed content', layers: [1] },
  { id: 'indirect-injection-email', name: 'indirect prompt injection via email', layers: [1] },
  { id: 'indirect-injection-code', name: 'indirect injection via code under review', layers: [1] },
  { id: 'visual-prompt-injection', name: 'visual prompt injection', layers: [1] },
  { id: 'image-hidden-instructions', name: 'instructions hidden in images', layers: [1] },
  { id: 'ocr-injection', name: 'OCR-borne injection', layers: [1] },
  { id: 'adversarial-audio', name: 'adversarial audio', layers: [1] },
  { id: 'voice-prompt-injection', name: 'voice prompt injection', layers: [1] },
  { id: 'adversarial-inputs', name: 'adversarial inputs', layers: [1] },
  { id: 'classifier-evasion', name: 'classifier evasion', layers: [1] },
  { id: 'safety-filter-bypass', name: 'safety filter bypass', layers: [1] },
  { id: 'harmful-media', name: 'deepfake or harmful output', layers: [1] },
  { id: 'alignment-drift', name: 'fine-tuning alignment drift', layers: [1] },
  { id: 'model-reprogramming', name: 'model reprogramming through training data', layers: [1] },
  { id: 'tampered-weights', name: 'tampered model weights', layers: [1, 4] },
  { id: 'passed-through-inputs', name: 'passed-through adversarial inputs', layers: [1] },
  { id: 'insecure-code-generation', name: 'insecure or backdoored generated code', layers: [1] },
  // L2 Data operations
  { id: 'data-poisoning', name: 'data poisoning', layers: [2] },
  { id: 'knowledge-base-poisoning', name: 'knowledge-base poisoning', layers: [2] },
  { id: 'unauthorized-retrieval', name: 'unauthorized retrieval across users', layers: [2] },
  { id: 'memory-poisoning', name: 'memory poisoning', layers: [2], suppressedBy: ['stateless', 'local-only'] },
  { id: 'cross-session-leakage', name: 'cross-session data leakage', layers: [2], suppressedBy: ['stateless', 'local-only'] },
  { id: 'stored-data-exfiltration', name: 'stored data exfiltration', layers: [2], suppressedBy: ['stateless', 'local-only'] },
  { id: 'pii-exposure', name: 'PII exposure', layers: [2, 6] },
  { id: 'training-data-poisoning', name: 'fine-tuning data poisoning', layers: [2] },
  { id: 'poisoned-web-sources', name: 'poisoned web sources', layers: [2] },
  { id: 'source-exfiltration', name: 'source code or file exfiltration', layers: [2] },
  { id: 'secrets-in-context', name: 'secrets and configuration leaking into model context', layers: [2] },
  { id: 'feed-poisoning', name: 'data feed poisoning', layers: [2] },
  { id: 'payload-logging', name: 'payload logging exposure', layers: [2] },
  { id: 'mailbox-exfiltration', name: 'mailbox PII exfiltration', layers: [2] },
  { id: 'upload-poisoning', name: 'upload-based poisoning', layers: [2] },
  { id: 'private-asset-exfiltration', name: 'exfiltration of private user uploads', layers: [2] },
  { id: 'sql-injection', name: 'SQL injection through generated queries', layers: [2, 3] },
  { id: 'temp-file-leakage', name: 'temporary file leakage', layers: [2] },
  { id: 'no-remote-exposure', name: 'no remote data exposure (local only)', layers: [2] },
  // L3 Agent frameworks
  { id: 'tool-misuse', name: 'tool misuse', layers: [3] },
  { id: 'api-abuse', name: 'API abuse', layers: [3, 4] },
  { id: 'arbitrary-command-execution', name: 'arbitrary command execution', layers: [3] },
  { id: 'plan-hijacking', name: 'plan hijacking', layers: [3] },
  { id: 'unintended-actions', name: 'unintended autonomous actions', layers: [3] },
  { id: 'workflow-hijacking', name: 'workflow hijacking', layers: [3] },
  { id: 'file-overwrite', name: 'file overwrite or codebase poisoning via write tools', layers: [3, 2] },
  { id: 'destructive-changes', name: 'unvalidated destructive changes', layers: [3] },
  { id: 'unauthorized-sends', name: 'unauthorized sends or bookings', layers: [3] },
  { id: 'unauthorized-transactions', name: 'unauthorized fund movement or purchases', layers: [3] },
  { id: 'out-of-scope-attacks', name: 'attack tooling used against out-of-scope targets', layers: [3] },
  { id: 'unintended-form-submission', name: 'unintended form submissions', layers: [3] },
  { id: 'ssrf-fetch', name: 'SSRF via fetch tools', layers: [3, 4] },
  { id: 'self-modification-persistence', name: 'self-modification persisting injected behaviour', layers: [3] },
  { id: 'malicious-generated-tools', name: 'malicious self-generated tools', layers: [3] },
  { id: 'subagent-trust', name: 'insecure subagent dispatch and output aggregation', layers: [3] },
  { id: 'malicious-downstream', name: 'routing to malicious downstream servers or agents', layers: [3, 7] },
  { id: 'tool-poisoning', name: 'tool poisoning', layers: [3, 7] },
  { id: 'rug-pull', name: 'rug pull (tool definitions changed after approval)', layers: [7] },
  { id: 'over-broad-scopes', name: 'over-broad tool scopes', layers: [3, 6] },
  { id: 'host-framework-integration', name: 'insecure host-framework integration', layers: [3] },
  { id: 'no-framework', name: 'no agent framework of its own', layers: [3] },
  { id: 'negotiation-exploits', name: 'protocol negotiation exploits', layers: [3] },
  { id: 'merge-gate-manipulation', name: 'gate decision manipulation', layers: [3] },
  // L4 Deployment and infrastructure
  { id: 'unsandboxed-code-execution', name: 'unsandboxed code execution', layers: [4], suppressedBy: ['sandboxed'] },
  { id: 'sandbox-escape', name: 'sandbox escape', layers: [4] },
  { id: 'host-compromise', name: 'host compromise', layers: [4] },
  { id: 'container-escape', name: 'container escape', layers: [4] },
  { id: 'lateral-movement', name: 'lateral movement', layers: [4] },
  { id: 'privilege-inheritance', name: 'inherited user or host privileges', layers: [4] },
  { id: 'privilege-escalation', name: 'privilege escalation', layers: [4, 6] },
  { id: 'credential-theft', name: 'credential theft', layers: [4] },
  { id: 'credential-concentration', name: 'credential concentration', layers: [4] },
  { id: 'oauth-token-exposure', name: 'OAuth token exposure', layers: [4] },
  { id: 'supply-chain-packages', name: 'supply-chain compromise via installed packages', layers: [4, 7] },
  { id: 'hosting-supply-chain', name: 'supply-chain compromise of the hosting or CDN', layers: [4] },
  { id: 'multi-tenant-exposure', name: 'multi-tenant data exposure', layers: [4] },
  { id: 'exposed-endpoints', name: 'exposed endpoints', layers: [4] },
  { id: 'resource-exhaustion', name: 'resource exhaustion', layers: [4] },
  { id: 'file-parsing-exploits', name: 'media file parsing exploits', layers: [4] },
  { id: 'internal-network-scanning', name: 'internal network scanning', layers: [4] },
  { id: 'telephony-fraud', name: 'telephony fraud and attacks', layers: [4] },
  { id: 'single-point-of-failure', name: 'single point of failure', layers: [4] },
  { id: 'local-weights-tampering', name: 'tampered local model files', layers: [4] },
  // L5 Evaluation and observability
  { id: 'guardrail-bypass', name: 'guardrail bypass', layers: [5] },
  { id: 'detection-blind-spots', name: 'detection blind spots', layers: [5] },
  { id: 'unnoticed-actions', name: 'malicious actions unnoticed until after the fact', layers: [5] },
  { id: 'no-observability', name: 'no observability of agent actions', layers: [5] },
  { id: 'silent-exfiltration', name: 'silent data exfiltration', layers: [5] },
  { id: 'no-content-moderation', name: 'no content moderation', layers: [5] },
  { id: 'log-tampering', name: 'log tampering or gaps in the audit trail', layers: [5] },
  { id: 'evaluation-gaming', name: 'evaluation or benchmark gaming', layers: [5] },
  // L6 Security and compliance
  { id: 'missing-authn', name: 'missing authentication/authorization', layers: [6] },
  { id: 'credential-misuse', name: 'credential misuse', layers: [6] },
  { id: 'over-broad-permissions', name: 'over-broad permissions', layers: [6] },
  { id: 'token-delegation-abuse', name: 'token delegation abuse', layers: [6] },
  { id: 'identity-spoofing', name: 'identity spoofing', layers: [6, 7] },
  { id: 'compliance-unverified', name: 'compliance claims not independently verified', layers: [6] },
  { id: 'regulated-data-breach', name: 'regulated data breach (health, financial or children’s data)', layers: [6] },
  { id: 'payment-fraud', name: 'payment fraud', layers: [6] },
  { id: 'phishing-in-user-name', name: 'phishing or spam sent in the user’s name', layers: [6] },
  { id: 'unclear-access-control', name: 'unclear access control', layers: [6] },
  { id: 'session-misuse', name: 'session and credential misuse', layers: [6] },
  // L7 Agent ecosystem
  { id: 'untrusted-components', name: 'untrusted third-party components', layers: [7] },
  { id: 'component-supply-chain', name: 'supply-chain compromise of the component', layers: [7] },
  { id: 'malicious-integrations', name: 'malicious or compromised integrations', layers: [7] },
  { id: 'a2a-trust-abuse', name: 'A2A trust abuse', layers: [3, 7] },
  { id: 'agent-impersonation', name: 'malicious agent impersonation', layers: [7] },
  { id: 'cascading-failures', name: 'cascading failures across agents', layers: [7] },
  { id: 'capability-metadata-tampering', name: 'capability metadata tampering', layers: [2, 7] },
  { id: 'marketplace-poisoning', name: 'malicious listings in a plugin or skill marketplace', layers: [7] },
];

/** Threat names per layer when neither the kind nor any signal names one. */
export const DEFAULT_THREATS: Readonly<Record<LayerNumber, readonly string[]>> = {
  1: ['prompt-injection', 'jailbreak', 'hallucinated-output'],
  2: ['data-poisoning', 'stored-data-exfiltration'],
  3: ['tool-misuse', 'api-abuse'],
  4: ['host-compromise', 'exposed-endpoints', 'hosting-supply-chain'],
  5: ['no-observability', 'unnoticed-actions', 'silent-exfiltration'],
  6: ['unclear-access-control'],
  7: ['untrusted-components'],
};
