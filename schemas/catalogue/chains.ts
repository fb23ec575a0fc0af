/**
 * Cross-layer chains (MAESTRO's cross-layer analysis): a threat on one layer that enables a threat
 * on another. A draft lists a chain only where it names both ends, on different layers.
 */

export interface ChainRule {
  from: string;
  to: string;
  /** How the first enables the second, in one clause. */
  how: string;
}

export const CHAIN_RULES: readonly ChainRule[] = [
  { from: 'prompt-injection', to: 'tool-misuse', how: 'injected instructions choose the tool calls' },
  { from: 'prompt-injection', to: 'arbitrary-command-execution', how: 'injected instructions become commands the agent runs' },
  { from: 'prompt-injection', to: 'unauthorized-sends', how: 'injected instructions make the agent send on the user’s behalf' },
  { from: 'indirect-injection-web', to: 'tool-misuse', how: 'a page the agent reads drives its tools' },
  { from: 'indirect-injection-web', to: 'ssrf-fetch', how: 'a page the agent reads points its fetches at internal addresses' },
  { from: 'indirect-injection-content', to: 'tool-misuse', how: 'a processed document drives the agent’s tools' },
  { from: 'indirect-injection-email', to: 'phishing-in-user-name', how: 'an email the agent reads makes it write to others in the user’s name' },
  { from: 'indirect-injection-email', to: 'unauthorized-sends', how: 'an email the agent reads makes it send or book' },
  { from: 'indirect-injection-code', to: 'merge-gate-manipulation', how: 'text in the code under review steers the gate’s verdict' },
  { from: 'visual-prompt-injection', to: 'tool-misuse', how: 'an image the agent sees drives its tools' },
  { from: 'voice-prompt-injection', to: 'unauthorized-transactions', how: 'a spoken instruction moves money or buys' },
  { from: 'insecure-code-generation', to: 'file-overwrite', how: 'generated code with flaws is written into the codebase' },
  { from: 'jailbreak', to: 'guardrail-bypass', how: 'a jailbroken model produces what the runtime guardrails miss' },
  { from: 'memory-poisoning', to: 'plan-hijacking', how: 'a poisoned memory entry rewrites later plans' },
  { from: 'knowledge-base-poisoning', to: 'hallucinated-output', how: 'planted documents come back as confident answers' },
  { from: 'secrets-in-context', to: 'credential-misuse', how: 'keys read into the context are repeated and reused' },
  { from: 'tool-misuse', to: 'stored-data-exfiltration', how: 'a misused tool reads out stored data' },
  { from: 'tool-misuse', to: 'silent-exfiltration', how: 'a misused tool sends data out without a record' },
  { from: 'arbitrary-command-execution', to: 'host-compromise', how: 'commands the agent runs reach the host' },
  { from: 'arbitrary-command-execution', to: 'unsandboxed-code-execution', how: 'commands run with the host’s files and credentials' },
  { from: 'over-broad-scopes', to: 'privilege-escalation', how: 'broad tool scopes give an attacker more than the task needs' },
  { from: 'unsandboxed-code-execution', to: 'credential-misuse', how: 'code on the host reads credentials that are then used elsewhere' },
  { from: 'credential-theft', to: 'credential-misuse', how: 'stolen keys are used against the systems they open' },
  { from: 'missing-authn', to: 'exposed-endpoints', how: 'endpoints answer anyone' },
  { from: 'no-observability', to: 'tool-misuse', how: 'misuse of tools goes unseen' },
  { from: 'no-observability', to: 'unintended-actions', how: 'unintended actions go unseen until their effects show' },
  { from: 'tool-poisoning', to: 'tool-misuse', how: 'a poisoned tool description steers calls to other tools' },
  { from: 'marketplace-poisoning', to: 'tool-poisoning', how: 'a hostile marketplace listing installs poisoned tools' },
  { from: 'a2a-trust-abuse', to: 'plan-hijacking', how: 'a peer agent’s message rewrites the plan' },
  { from: 'agent-impersonation', to: 'identity-spoofing', how: 'an impersonating agent passes identity checks' },
  { from: 'malicious-downstream', to: 'cascading-failures', how: 'a hostile downstream agent’s output spreads to those that rely on it' },
  { from: 'resource-exhaustion', to: 'cascading-failures', how: 'one exhausted component stalls the agents that depend on it' },
  { from: 'supply-chain-packages', to: 'host-compromise', how: 'a malicious package runs on the host' },
  { from: 'component-supply-chain', to: 'tool-misuse', how: 'a compromised component turns the tools it offers against users' },
];

/** A chain a draft lists: both ends with the layer each is named on. */
export interface Chain {
  from: { id: string; layer: number };
  to: { id: string; layer: number };
  how: string;
}

/**
 * The chains whose two ends a draft names on different layers (pure), in rule order; each end on
 * the lowest such layer.
 */
export function chainsFor(layers: readonly { layer: number; threats: readonly { id: string }[] }[]): Chain[] {
  const where = new Map<string, number[]>();
  for (const layer of layers) for (const threat of layer.threats) where.set(threat.id, [...(where.get(threat.id) ?? []), layer.layer]);
  const out: Chain[] = [];
  for (const rule of CHAIN_RULES) {
    const from = where.get(rule.from) ?? [];
    const to = where.get(rule.to) ?? [];
    const pair = from.flatMap((a) => to.filter((b) => b !== a).map((b) => [a, b] as const)).sort((x, y) => x[0] - y[0] || x[1] - y[1])[0];
    if (pair !== undefined) out.push({ from: { id: rule.from, layer: pair[0] }, to: { id: rule.to, layer: pair[1] }, how: rule.how });
  }
  return out;
}
