/**
 * The threat catalogue (data): every threat a draft may name, with its MAESTRO layers, the OWASP
 * ASI and T ids it falls under, a short description and the mitigations that address it. The
 * rules assessor picks from it; the model is offered its ids as an enum. Ids never change meaning:
 * a threat that must change is a new id in a new catalogue version.
 */
import type { AsiId, TId } from './taxonomies.js';

/** A MAESTRO layer number (CSA numbering), 1 to 7. */
export type CatalogueLayer = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface CatalogueThreat {
  id: string;
  /** The name a report prints. */
  name: string;
  /** The MAESTRO layers it belongs to; a draft names it only on these. */
  layers: readonly CatalogueLayer[];
  asi: readonly AsiId[];
  t: readonly TId[];
  description: string;
  /** Mitigation ids (mitigations.ts). */
  mitigations: readonly string[];
}

type Row = [id: string, name: string, layers: CatalogueLayer[], asi: AsiId[], t: TId[], mitigations: string[], description: string];

const rows: Row[] = [
  // L1 Foundation models
  ['prompt-injection', 'prompt injection', [1], ['ASI01'], ['T6'], ['input-isolation', 'output-validation', 'human-approval'], 'Instructions in what a user types override the agent’s own instructions or goal.'],
  ['jailbreak', 'jailbreak', [1], ['ASI01'], ['T6', 'T7'], ['content-moderation', 'red-teaming'], 'Crafted prompts talk the model out of its safety rules.'],
  ['hallucinated-output', 'hallucinated or misleading output', [1], ['ASI09'], ['T5'], ['output-validation', 'user-transparency'], 'The model states false things with confidence and people or later steps act on them.'],
  ['indirect-injection-web', 'indirect prompt injection via web pages', [1, 2], ['ASI01', 'ASI06'], ['T6'], ['input-isolation', 'network-egress'], 'Web pages the agent reads carry instructions it follows.'],
  ['indirect-injection-content', 'indirect prompt injection via processed content', [1], ['ASI01'], ['T6'], ['input-isolation', 'output-validation'], 'Documents, files or messages the agent processes carry instructions it follows.'],
  ['indirect-injection-email', 'indirect prompt injection via email', [1], ['ASI01'], ['T6'], ['input-isolation', 'human-approval'], 'An email in the mailbox the agent reads tells it what to do.'],
  ['indirect-injection-code', 'indirect injection via code under review', [1], ['ASI01'], ['T6'], ['input-isolation', 'output-validation'], 'Comments or strings in the code the agent reviews steer its verdict or actions.'],
  ['visual-prompt-injection', 'visual prompt injection', [1], ['ASI01'], ['T6'], ['input-isolation', 'red-teaming'], 'Images carry text or patterns that change what a vision model does.'],
  ['image-hidden-instructions', 'instructions hidden in images', [1], ['ASI01'], ['T6'], ['input-isolation', 'content-moderation'], 'Instructions hidden in image pixels or metadata reach the model unseen by people.'],
  ['ocr-injection', 'OCR-borne injection', [1], ['ASI01'], ['T6'], ['input-isolation', 'output-validation'], 'Text recognised in scans and screenshots enters the context as instructions.'],
  ['adversarial-audio', 'adversarial audio', [1], ['ASI01'], ['T6'], ['red-teaming', 'content-moderation'], 'Audio crafted to be transcribed or understood differently from what people hear.'],
  ['voice-prompt-injection', 'voice prompt injection', [1], ['ASI01'], ['T6'], ['input-isolation', 'human-approval'], 'A caller or recording speaks instructions the voice agent obeys.'],
  ['adversarial-inputs', 'adversarial inputs', [1], ['ASI01'], ['T6'], ['red-teaming', 'output-validation'], 'Inputs crafted to make the model misclassify or misbehave.'],
  ['classifier-evasion', 'classifier evasion', [1], ['ASI01'], ['T6'], ['red-teaming', 'monitoring'], 'Malicious input reworded until a detection or safety classifier lets it through.'],
  ['safety-filter-bypass', 'safety filter bypass', [1], ['ASI01'], ['T6', 'T7'], ['content-moderation', 'red-teaming'], 'Requests that slip past the provider’s or deployer’s safety filters.'],
  ['harmful-media', 'deepfake or harmful output', [1], ['ASI09'], ['T15'], ['content-moderation', 'user-transparency'], 'Generated media used to deceive, defame or harm people.'],
  ['alignment-drift', 'fine-tuning alignment drift', [1], ['ASI10'], ['T7'], ['red-teaming', 'evaluation-integrity'], 'Fine-tuning or customisation weakens the model’s safety behaviour.'],
  ['model-reprogramming', 'model reprogramming through training data', [1], ['ASI04', 'ASI06'], ['T1', 'T17'], ['data-provenance', 'model-integrity'], 'Poisoned training or tuning data plants behaviour an attacker can trigger.'],
  ['tampered-weights', 'tampered model weights', [1, 4], ['ASI04'], ['T17'], ['model-integrity', 'supply-chain-pinning'], 'Model files altered or backdoored before they are loaded.'],
  ['passed-through-inputs', 'passed-through adversarial inputs', [1], ['ASI01'], ['T6'], ['input-isolation', 'output-validation'], 'A gateway or proxy forwards hostile prompts untouched to the models behind it.'],
  ['insecure-code-generation', 'insecure or backdoored generated code', [1], ['ASI05'], ['T11'], ['output-validation', 'sandbox'], 'Generated code carries vulnerabilities or backdoors into the user’s software.'],
  // L2 Data operations
  ['data-poisoning', 'data poisoning', [2], ['ASI06'], ['T1'], ['data-provenance', 'memory-hygiene'], 'Data the agent relies on is seeded with falsehoods or instructions.'],
  ['knowledge-base-poisoning', 'knowledge-base poisoning', [2], ['ASI06'], ['T1'], ['data-provenance', 'access-control'], 'Documents planted in a retrieval index steer answers and actions.'],
  ['unauthorized-retrieval', 'unauthorized retrieval across users', [2], ['ASI03'], ['T3'], ['access-control', 'tenant-isolation'], 'Retrieval returns documents the asking user may not see.'],
  ['memory-poisoning', 'memory poisoning', [2], ['ASI06'], ['T1'], ['memory-hygiene', 'monitoring'], 'False or hostile entries written to the agent’s memory shape later sessions.'],
  ['cross-session-leakage', 'cross-session data leakage', [2], ['ASI06'], ['T1'], ['memory-hygiene', 'tenant-isolation'], 'What one user told the agent surfaces in another user’s session.'],
  ['stored-data-exfiltration', 'stored data exfiltration', [2], ['ASI02'], ['T2'], ['data-minimisation', 'network-egress', 'access-control'], 'Data the agent keeps is read out through its tools or answers.'],
  ['pii-exposure', 'PII exposure', [2, 6], ['ASI03'], ['T3'], ['data-minimisation', 'access-control'], 'Personal data is shown, stored or sent to people or services that should not have it.'],
  ['training-data-poisoning', 'fine-tuning data poisoning', [2], ['ASI04', 'ASI06'], ['T1', 'T17'], ['data-provenance', 'evaluation-integrity'], 'Examples used to tune the model carry planted behaviour.'],
  ['poisoned-web-sources', 'poisoned web sources', [2], ['ASI06'], ['T1'], ['data-provenance', 'output-validation'], 'Web sources the agent cites or learns from are written to mislead it.'],
  ['source-exfiltration', 'source code or file exfiltration', [2], ['ASI02'], ['T2'], ['network-egress', 'least-privilege-tools'], 'Source code or local files leave through the agent’s tools or requests.'],
  ['secrets-in-context', 'secrets and configuration leaking into model context', [2], ['ASI03'], ['T3'], ['secrets-management', 'data-minimisation'], 'Keys and configuration read into the context can be repeated or sent out.'],
  ['feed-poisoning', 'data feed poisoning', [2], ['ASI06'], ['T1'], ['data-provenance', 'monitoring'], 'A market, news or telemetry feed is manipulated to trigger the agent’s decisions.'],
  ['payload-logging', 'payload logging exposure', [2], ['ASI03'], ['T3'], ['data-minimisation', 'access-control'], 'Prompts and answers kept in logs expose their contents to whoever reads the logs.'],
  ['mailbox-exfiltration', 'mailbox PII exfiltration', [2], ['ASI02'], ['T2'], ['data-minimisation', 'human-approval'], 'Personal data in a mailbox the agent reads is forwarded or summarised out.'],
  ['upload-poisoning', 'upload-based poisoning', [2], ['ASI06'], ['T1'], ['file-validation', 'input-isolation'], 'Uploaded files plant content that later answers or actions rely on.'],
  ['private-asset-exfiltration', 'exfiltration of private user uploads', [2], ['ASI02'], ['T2'], ['access-control', 'data-minimisation'], 'Files users upload become reachable by others or leave the service.'],
  ['sql-injection', 'SQL injection through generated queries', [2, 3], ['ASI05', 'ASI02'], ['T11', 'T2'], ['query-guard', 'output-validation'], 'Queries the model writes read or change data outside the request.'],
  ['temp-file-leakage', 'temporary file leakage', [2], ['ASI02'], ['T2'], ['data-minimisation', 'host-hardening'], 'Intermediate files left on disk expose the data processed.'],
  ['no-remote-exposure', 'no remote data exposure (local only)', [2], [], [], ['host-hardening'], 'Not a threat in itself: the listing says data stays on the user’s machine, so remote exposure does not apply; local access still does.'],
  // L3 Agent frameworks
  ['tool-misuse', 'tool misuse', [3], ['ASI02'], ['T2'], ['least-privilege-tools', 'human-approval', 'output-validation'], 'Legitimate tools are steered into harmful calls within the permissions they hold.'],
  ['api-abuse', 'API abuse', [3, 4], ['ASI02'], ['T2', 'T4'], ['rate-limits', 'least-privilege-tools'], 'The APIs the agent calls are used beyond their purpose, volume or budget.'],
  ['arbitrary-command-execution', 'arbitrary command execution', [3], ['ASI05'], ['T11'], ['sandbox', 'human-approval', 'least-privilege-tools'], 'The agent runs commands an attacker chose.'],
  ['plan-hijacking', 'plan hijacking', [3], ['ASI01'], ['T6'], ['human-approval', 'monitoring'], 'Injected content rewrites the agent’s plan or next steps.'],
  ['unintended-actions', 'unintended autonomous actions', [3], ['ASI10'], ['T7'], ['human-approval', 'dry-run'], 'The agent takes actions nobody asked for while pursuing its goal.'],
  ['workflow-hijacking', 'workflow hijacking', [3], ['ASI01'], ['T6'], ['input-isolation', 'human-approval'], 'A workflow’s steps are redirected by data flowing through it.'],
  ['file-overwrite', 'file overwrite or codebase poisoning via write tools', [3, 2], ['ASI02'], ['T2'], ['dry-run', 'least-privilege-tools'], 'Write access to files or repositories is used to plant or destroy content.'],
  ['destructive-changes', 'unvalidated destructive changes', [3], ['ASI02'], ['T2'], ['dry-run', 'human-approval'], 'Deletes, migrations or configuration changes run without a check.'],
  ['unauthorized-sends', 'unauthorized sends or bookings', [3], ['ASI02', 'ASI09'], ['T2'], ['human-approval', 'user-transparency'], 'Messages, posts or bookings go out that the user did not intend.'],
  ['unauthorized-transactions', 'unauthorized fund movement or purchases', [3], ['ASI02', 'ASI03'], ['T2', 'T3'], ['transaction-limits', 'human-approval'], 'Money moves or purchases happen without the owner’s intent.'],
  ['out-of-scope-attacks', 'attack tooling used against out-of-scope targets', [3], ['ASI02'], ['T2'], ['least-privilege-tools', 'human-approval'], 'Offensive tools the agent drives are pointed at systems outside the engagement.'],
  ['unintended-form-submission', 'unintended form submissions', [3], ['ASI02'], ['T2'], ['human-approval', 'user-transparency'], 'A browsing agent submits forms the user did not mean to send.'],
  ['ssrf-fetch', 'SSRF via fetch tools', [3, 4], ['ASI02'], ['T2'], ['network-egress', 'output-validation'], 'A fetch tool is pointed at internal services or cloud metadata.'],
  ['self-modification-persistence', 'self-modification persisting injected behaviour', [3], ['ASI10', 'ASI06'], ['T1', 'T7'], ['memory-hygiene', 'monitoring'], 'Changes the agent makes to its own prompts, skills or code keep an injection alive.'],
  ['malicious-generated-tools', 'malicious self-generated tools', [3], ['ASI05'], ['T11'], ['sandbox', 'tool-definition-review'], 'Tools the agent writes for itself do more than intended.'],
  ['subagent-trust', 'insecure subagent dispatch and output aggregation', [3], ['ASI07'], ['T12'], ['agent-authentication', 'output-validation'], 'Sub-agents’ output is trusted and merged without checks.'],
  ['malicious-downstream', 'routing to malicious downstream servers or agents', [3, 7], ['ASI07', 'ASI04'], ['T16', 'T17'], ['agent-authentication', 'supply-chain-pinning'], 'Requests are routed to a server or agent that is hostile or compromised.'],
  ['tool-poisoning', 'tool poisoning', [3, 7], ['ASI04', 'ASI02'], ['T17', 'T2'], ['tool-definition-review', 'supply-chain-pinning'], 'Tool descriptions or results carry hidden instructions.'],
  ['rug-pull', 'rug pull (tool definitions changed after approval)', [7], ['ASI04'], ['T17'], ['tool-definition-review', 'supply-chain-pinning'], 'A tool or server approved once changes its behaviour later.'],
  ['over-broad-scopes', 'over-broad tool scopes', [3, 6], ['ASI03'], ['T3'], ['least-privilege-tools', 'access-control'], 'Tools hold more scopes or reach than their task needs.'],
  ['host-framework-integration', 'insecure host-framework integration', [3], ['ASI04'], ['T17'], ['least-privilege-tools', 'sandbox'], 'The component inherits whatever the host agent framework lets it reach.'],
  ['no-framework', 'no agent framework of its own', [3], [], [], ['least-privilege-tools'], 'Not a threat in itself: the product ships no orchestration, so framework risks belong to whoever integrates it.'],
  ['negotiation-exploits', 'protocol negotiation exploits', [3], ['ASI07'], ['T16'], ['agent-authentication', 'output-validation'], 'Capability or consent negotiation between agents is abused to gain permissions.'],
  ['merge-gate-manipulation', 'gate decision manipulation', [3], ['ASI01', 'ASI09'], ['T6'], ['human-approval', 'input-isolation'], 'The content under review talks the agent into a pass verdict that people then trust.'],
  // L4 Deployment and infrastructure
  ['unsandboxed-code-execution', 'unsandboxed code execution', [4], ['ASI05'], ['T11'], ['sandbox', 'host-hardening'], 'Code runs with the host’s files, credentials and network.'],
  ['sandbox-escape', 'sandbox escape', [4], ['ASI05'], ['T11'], ['sandbox', 'host-hardening'], 'Code breaks out of the isolation it runs in.'],
  ['host-compromise', 'host compromise', [4], ['ASI05'], ['T11'], ['host-hardening', 'least-privilege-tools'], 'The machine the agent runs on is taken over through it.'],
  ['container-escape', 'container escape', [4], ['ASI05'], ['T11'], ['host-hardening', 'sandbox'], 'A workload escapes its container to the node.'],
  ['lateral-movement', 'lateral movement', [4], ['ASI03', 'ASI08'], ['T3'], ['network-egress', 'least-privilege-tools'], 'A foothold in the agent spreads to neighbouring systems.'],
  ['privilege-inheritance', 'inherited user or host privileges', [4], ['ASI03'], ['T3'], ['least-privilege-tools', 'host-hardening'], 'The agent acts with everything its user or host may do.'],
  ['privilege-escalation', 'privilege escalation', [4, 6], ['ASI03'], ['T3'], ['least-privilege-tools', 'access-control'], 'Permissions grow beyond what was granted.'],
  ['credential-theft', 'credential theft', [4], ['ASI03'], ['T3', 'T9'], ['secrets-management', 'host-hardening'], 'Keys and tokens the agent holds are stolen.'],
  ['credential-concentration', 'credential concentration', [4], ['ASI03'], ['T3'], ['secrets-management', 'least-privilege-tools'], 'One service holds many users’ or systems’ credentials, so one breach exposes all.'],
  ['oauth-token-exposure', 'OAuth token exposure', [4], ['ASI03'], ['T3'], ['secrets-management', 'least-privilege-tools'], 'Delegated OAuth tokens leak and are replayed.'],
  ['supply-chain-packages', 'supply-chain compromise via installed packages', [4, 7], ['ASI04'], ['T17'], ['supply-chain-pinning', 'sandbox'], 'Packages the agent installs or depends on are malicious.'],
  ['hosting-supply-chain', 'supply-chain compromise of the hosting or CDN', [4], ['ASI04'], ['T17'], ['supply-chain-pinning', 'monitoring'], 'The hosting provider or CDN serving the agent is compromised.'],
  ['multi-tenant-exposure', 'multi-tenant data exposure', [4], ['ASI03'], ['T3'], ['tenant-isolation', 'access-control'], 'One customer’s data or actions reach another’s.'],
  ['exposed-endpoints', 'exposed endpoints', [4], ['ASI03'], ['T3'], ['access-control', 'network-egress'], 'Endpoints are reachable without the protection their actions need.'],
  ['resource-exhaustion', 'resource exhaustion', [4], ['ASI08'], ['T4'], ['rate-limits', 'circuit-breakers'], 'Loops or floods exhaust compute, quotas or money.'],
  ['file-parsing-exploits', 'media file parsing exploits', [4], ['ASI05'], ['T11'], ['file-validation', 'sandbox'], 'Malformed media exploits the parsers that decode it.'],
  ['internal-network-scanning', 'internal network scanning', [4], ['ASI02'], ['T2'], ['network-egress', 'least-privilege-tools'], 'The agent’s network reach is used to map internal systems.'],
  ['telephony-fraud', 'telephony fraud and attacks', [4], ['ASI02'], ['T2', 'T4'], ['caller-verification', 'rate-limits'], 'Phone lines are abused for toll fraud, spoofed calls or floods.'],
  ['single-point-of-failure', 'single point of failure', [4], ['ASI08'], ['T4'], ['redundancy', 'circuit-breakers'], 'Everything routes through one component whose failure stops or corrupts the rest.'],
  ['local-weights-tampering', 'tampered local model files', [4], ['ASI04'], ['T17'], ['model-integrity', 'host-hardening'], 'Model files on the user’s machine are swapped or altered.'],
  // L5 Evaluation and observability
  ['guardrail-bypass', 'guardrail bypass', [5], ['ASI01'], ['T6', 'T7'], ['red-teaming', 'monitoring'], 'Inputs get past the runtime guardrails meant to stop them.'],
  ['detection-blind-spots', 'detection blind spots', [5], ['ASI10'], ['T8'], ['monitoring', 'red-teaming'], 'Attacks the monitoring was not built to see go undetected.'],
  ['unnoticed-actions', 'malicious actions unnoticed until after the fact', [5], ['ASI10'], ['T8'], ['audit-logging', 'monitoring'], 'Harmful actions are discovered only after their effects.'],
  ['no-observability', 'no observability of agent actions', [5], ['ASI10'], ['T8'], ['audit-logging', 'monitoring'], 'Nobody can see what the agent did or why.'],
  ['silent-exfiltration', 'silent data exfiltration', [5], ['ASI02', 'ASI10'], ['T2', 'T8'], ['audit-logging', 'network-egress'], 'Data leaves without any record or alert.'],
  ['no-content-moderation', 'no content moderation', [5], ['ASI09'], ['T15'], ['content-moderation', 'monitoring'], 'Harmful or manipulative output reaches people unscreened.'],
  ['log-tampering', 'log tampering or gaps in the audit trail', [5], ['ASI10'], ['T8'], ['audit-logging', 'access-control'], 'Records of actions are incomplete or can be altered.'],
  ['evaluation-gaming', 'evaluation or benchmark gaming', [5], ['ASI10'], ['T7'], ['evaluation-integrity', 'red-teaming'], 'The agent or its builders optimise for the metric rather than the behaviour it measures.'],
  // L6 Security and compliance
  ['missing-authn', 'missing authentication/authorization', [6], ['ASI03'], ['T3', 'T9'], ['access-control', 'least-privilege-tools'], 'Actions or data are reachable without proving who is asking.'],
  ['credential-misuse', 'credential misuse', [6], ['ASI03'], ['T3'], ['secrets-management', 'monitoring'], 'Valid credentials are used for purposes they were not granted for.'],
  ['over-broad-permissions', 'over-broad permissions', [6], ['ASI03'], ['T3'], ['least-privilege-tools', 'access-control'], 'Roles or grants exceed what the agent’s tasks need.'],
  ['token-delegation-abuse', 'token delegation abuse', [6], ['ASI03'], ['T3', 'T9'], ['secrets-management', 'least-privilege-tools'], 'Tokens delegated to the agent are passed on or used beyond the delegation.'],
  ['identity-spoofing', 'identity spoofing', [6, 7], ['ASI03', 'ASI07'], ['T9'], ['agent-authentication', 'access-control'], 'A user, service or agent identity is faked.'],
  ['compliance-unverified', 'compliance claims not independently verified', [6], ['ASI09'], [], ['compliance-evidence'], 'Certifications or regulatory claims in the listing carry no evidence a buyer can check.'],
  ['regulated-data-breach', 'regulated data breach (health, financial or children’s data)', [6], ['ASI03'], ['T3'], ['data-minimisation', 'access-control'], 'Data under special legal protection is exposed or misused.'],
  ['payment-fraud', 'payment fraud', [6], ['ASI02', 'ASI09'], ['T2'], ['transaction-limits', 'human-approval'], 'Payments the agent handles are redirected or forged.'],
  ['phishing-in-user-name', 'phishing or spam sent in the user’s name', [6], ['ASI09'], ['T15'], ['user-transparency', 'human-approval'], 'The agent sends deceptive messages that carry its user’s name.'],
  ['unclear-access-control', 'unclear access control', [6], ['ASI03'], ['T3'], ['access-control', 'least-privilege-tools'], 'Who may use the agent and what it may reach is not defined.'],
  ['session-misuse', 'session and credential misuse', [6], ['ASI03'], ['T3', 'T9'], ['secrets-management', 'access-control'], 'Logged-in browser or app sessions the agent uses are abused.'],
  // L7 Agent ecosystem
  ['untrusted-components', 'untrusted third-party components', [7], ['ASI04'], ['T17'], ['supply-chain-pinning', 'least-privilege-tools'], 'Third-party parts of the agent are trusted without review.'],
  ['component-supply-chain', 'supply-chain compromise of the component', [7], ['ASI04'], ['T17'], ['supply-chain-pinning', 'tool-definition-review'], 'The component itself is compromised where it is published or updated.'],
  ['malicious-integrations', 'malicious or compromised integrations', [7], ['ASI04'], ['T17', 'T16'], ['supply-chain-pinning', 'least-privilege-tools'], 'Connected apps or plugins act against the agent’s users.'],
  ['a2a-trust-abuse', 'A2A trust abuse', [3, 7], ['ASI07'], ['T12', 'T16'], ['agent-authentication', 'circuit-breakers'], 'Peer agents exploit the trust an agent-to-agent protocol gives them.'],
  ['agent-impersonation', 'malicious agent impersonation', [7], ['ASI07', 'ASI03'], ['T9', 'T13'], ['agent-authentication', 'supply-chain-pinning'], 'A hostile agent poses as a trusted one.'],
  ['cascading-failures', 'cascading failures across agents', [7], ['ASI08'], ['T5', 'T12'], ['circuit-breakers', 'monitoring'], 'One agent’s error or compromise spreads through the agents that rely on it.'],
  ['capability-metadata-tampering', 'capability metadata tampering', [2, 7], ['ASI04', 'ASI07'], ['T16', 'T17'], ['agent-authentication', 'supply-chain-pinning'], 'Agent cards or capability metadata are altered to mislead discovery or routing.'],
  ['marketplace-poisoning', 'malicious listings in a plugin or skill marketplace', [7], ['ASI04'], ['T17'], ['supply-chain-pinning', 'tool-definition-review'], 'Hostile plugins or skills are published where users install them.'],
];

export const CATALOGUE_THREATS: readonly CatalogueThreat[] = rows.map(([id, name, layers, asi, t, mitigations, description]) => ({
  id,
  name,
  layers,
  asi,
  t,
  description,
  mitigations,
}));
