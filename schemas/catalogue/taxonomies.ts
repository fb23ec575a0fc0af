/**
 * The public taxonomies a threat model names, each at a fixed version. A new ASI list, a new T
 * taxonomy or another MAESTRO layer set is a new version here (and a new catalogue version), never
 * an edit of what an earlier draft recorded: every assessment stores the `TAXONOMIES` it was made
 * with. Names and numbering were checked against OWASP's published lists (see the catalogue README).
 */

/** The version of threatdraft's own threat catalogue (threats, mappings, mitigations, chains). */
export const CATALOGUE_VERSION = '1.0.0';

/** OWASP Top 10 for Agentic Applications (2026), ASI01–ASI10. */
export const ASI_VERSION = 'OWASP Top 10 for Agentic Applications 2026';
/** OWASP GenAI Security Project, Agentic AI – Threats and Mitigations v1.1 (T1–T17). */
export const T_VERSION = 'OWASP Agentic AI Threats and Mitigations v1.1';
/** CSA MAESTRO (Ken Huang, 2025), the seven-layer agentic reference architecture. */
export const MAESTRO_VERSION = 'CSA MAESTRO 2025 (7 layers)';

/** Where the OWASP documents are published (the methodology page links them). */
export const ASI_SOURCE_URL = 'https://genai.owasp.org/resource/owasp-top-10-for-agentic-applications-for-2026/';
export const T_SOURCE_URL = 'https://genai.owasp.org/resource/agentic-ai-threats-and-mitigations/';
export const MAESTRO_SOURCE_URL = 'https://cloudsecurityalliance.org/blog/2025/02/06/agentic-ai-threat-modeling-framework-maestro';

export interface TaxonomyEntry<Id extends string> {
  id: Id;
  name: string;
  /** One sentence in our words: what the category covers. */
  description: string;
}

export const ASI_IDS = ['ASI01', 'ASI02', 'ASI03', 'ASI04', 'ASI05', 'ASI06', 'ASI07', 'ASI08', 'ASI09', 'ASI10'] as const;
export type AsiId = (typeof ASI_IDS)[number];

export const ASI: readonly TaxonomyEntry<AsiId>[] = [
  { id: 'ASI01', name: 'Agent Goal Hijack', description: 'Content the agent reads or is given redirects its goals, plans or decisions.' },
  { id: 'ASI02', name: 'Tool Misuse and Exploitation', description: 'The agent uses legitimate tools in harmful or unintended ways, within the permissions it holds.' },
  { id: 'ASI03', name: 'Identity and Privilege Abuse', description: 'Credentials, delegated identities or privileges are reused, escalated or exposed beyond what the task needs.' },
  { id: 'ASI04', name: 'Agentic Supply Chain Vulnerabilities', description: 'Models, tools, plugins, servers, agents or packages the agent depends on are malicious, compromised or change after review.' },
  { id: 'ASI05', name: 'Unexpected Code Execution', description: 'Generated or injected code runs where it can reach the host, its data or its network.' },
  { id: 'ASI06', name: 'Memory and Context Poisoning', description: 'What the agent remembers or retrieves is corrupted, so later decisions rest on false context.' },
  { id: 'ASI07', name: 'Insecure Inter-Agent Communication', description: 'Messages between agents are spoofed, tampered with or trusted without verification.' },
  { id: 'ASI08', name: 'Cascading Failures', description: 'One fault, error or compromise propagates across agents, tools and workflows.' },
  { id: 'ASI09', name: 'Human-Agent Trust Exploitation', description: 'People over-trust the agent, or the agent is used to mislead, pressure or act in the name of people.' },
  { id: 'ASI10', name: 'Rogue Agents', description: 'An agent acts outside its intended behaviour or oversight, unnoticed or unchecked.' },
];

export const T_IDS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12', 'T13', 'T14', 'T15', 'T16', 'T17'] as const;
export type TId = (typeof T_IDS)[number];

export const T_TAXONOMY: readonly TaxonomyEntry<TId>[] = [
  { id: 'T1', name: 'Memory Poisoning', description: 'False or malicious data planted in short- or long-term memory or knowledge stores.' },
  { id: 'T2', name: 'Tool Misuse', description: 'Authorised tools manipulated into harmful use.' },
  { id: 'T3', name: 'Privilege Compromise', description: 'Permissions escalated, misused or exposed beyond the intended scope.' },
  { id: 'T4', name: 'Resource Overload', description: 'Compute, memory, quotas or money exhausted by the agent or through it.' },
  { id: 'T5', name: 'Cascading Hallucination Attacks', description: 'False output accepted as fact and propagated into further decisions.' },
  { id: 'T6', name: 'Intent Breaking & Goal Manipulation', description: 'Direct or indirect prompt injection that changes what the agent pursues.' },
  { id: 'T7', name: 'Misaligned & Deceptive Behaviors', description: 'The agent pursues its objective by harmful or deceptive means.' },
  { id: 'T8', name: 'Repudiation & Untraceability', description: 'Actions cannot be traced or reconstructed for lack of trustworthy logs.' },
  { id: 'T9', name: 'Identity Spoofing & Impersonation', description: 'An agent, user or service is impersonated to gain trust or access.' },
  { id: 'T10', name: 'Overwhelming Human in the Loop', description: 'Reviewers are flooded or fatigued until approvals become rubber stamps.' },
  { id: 'T11', name: 'Unexpected RCE and Code Attacks', description: 'Generated or injected code executes with the agent’s reach.' },
  { id: 'T12', name: 'Agent Communication Poisoning', description: 'False information injected into messages between agents.' },
  { id: 'T13', name: 'Rogue Agents in Multi-Agent Systems', description: 'A compromised or misaligned agent operates inside a multi-agent system.' },
  { id: 'T14', name: 'Human Attacks on Multi-Agent Systems', description: 'People exploit delegation and trust between agents.' },
  { id: 'T15', name: 'Human Manipulation', description: 'The agent is used to deceive or manipulate the people it talks to.' },
  { id: 'T16', name: 'Insecure Inter-Agent Protocol Abuse', description: 'Weaknesses of agent protocols (A2A, MCP) exploited: spoofed cards, injected tool descriptions, consent flows.' },
  { id: 'T17', name: 'Supply Chain Compromise', description: 'Upstream models, prompts, tools, plugins or framework updates compromised.' },
];

/** The versions an assessment was made with, stored in it (`taxonomies`) and printed on every report. */
export interface Taxonomies {
  /** threatdraft's threat catalogue. */
  catalogue: string;
  /** The AIVSS formula the score was computed with (v0.8 by default). */
  aivss: string;
  maestro: string;
  asi: string;
  t: string;
}

/** The taxonomies of this catalogue version; `aivss` is set to the formula a draft is scored with. */
export const TAXONOMIES: Taxonomies = {
  catalogue: `threatdraft threat catalogue ${CATALOGUE_VERSION}`,
  aivss: 'v0.8',
  maestro: MAESTRO_VERSION,
  asi: ASI_VERSION,
  t: T_VERSION,
};
