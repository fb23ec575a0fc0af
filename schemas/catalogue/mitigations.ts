/** Mitigations the catalogue's threats point to: an id (stable, used in OTM exports) and what to do. */

export interface Mitigation {
  id: string;
  text: string;
}

export const MITIGATIONS: readonly Mitigation[] = [
  { id: 'least-privilege-tools', text: 'Give each tool and credential the least privilege the task needs, scoped per user.' },
  { id: 'human-approval', text: 'Require human approval for consequential or irreversible actions.' },
  { id: 'input-isolation', text: 'Treat retrieved and user-supplied content as data: keep it apart from instructions and filter instruction-like text.' },
  { id: 'output-validation', text: 'Validate and constrain model output before it reaches tools, queries, code or people.' },
  { id: 'sandbox', text: 'Run generated or untrusted code in an isolated sandbox without host credentials, with limited network and resources.' },
  { id: 'network-egress', text: 'Allow outbound requests only to an allow-list; block internal, loopback and metadata addresses.' },
  { id: 'memory-hygiene', text: 'Validate, attribute and expire what is written to memory; keep memory separate per user and tenant.' },
  { id: 'data-provenance', text: 'Track where knowledge and training data come from; review and sign what is ingested.' },
  { id: 'access-control', text: 'Authenticate every caller and authorise each data access and action per user.' },
  { id: 'secrets-management', text: 'Keep secrets out of prompts and context; use short-lived, narrowly scoped tokens from a secrets manager.' },
  { id: 'audit-logging', text: 'Log every tool call, decision and data access to a tamper-evident audit trail.' },
  { id: 'monitoring', text: 'Monitor runtime behaviour for drift, abuse and anomalous actions, with alerts a person answers.' },
  { id: 'rate-limits', text: 'Cap rate, spend and resource use per task, user and tenant; stop runaway loops.' },
  { id: 'supply-chain-pinning', text: 'Pin and verify third-party models, packages, tools and servers by hash or signature; review them again when they change.' },
  { id: 'agent-authentication', text: 'Authenticate agents and their messages (mutual TLS, signed cards or messages) and verify the capabilities they claim.' },
  { id: 'tool-definition-review', text: 'Review tool descriptions before approval and alert when a definition changes.' },
  { id: 'content-moderation', text: 'Screen input and output with moderation and safety classifiers.' },
  { id: 'red-teaming', text: 'Red-team the agent against jailbreaks and adversarial inputs before release and after each change.' },
  { id: 'dry-run', text: 'Preview destructive changes (dry run, diff) and keep backups and a rollback path.' },
  { id: 'transaction-limits', text: 'Set per-transaction and daily limits, payee allow-lists and step-up confirmation for payments.' },
  { id: 'circuit-breakers', text: 'Put validation, timeouts and circuit breakers between agents so one failure cannot cascade.' },
  { id: 'tenant-isolation', text: 'Isolate tenants’ data, sessions and compute from each other.' },
  { id: 'host-hardening', text: 'Harden and patch the host or container; run unprivileged with a read-only file system where possible.' },
  { id: 'compliance-evidence', text: 'Ask for independent evidence (audit reports, certificates) behind compliance claims.' },
  { id: 'data-minimisation', text: 'Collect, keep and pass on only the data the task needs; redact personal data.' },
  { id: 'user-transparency', text: 'Show people what the agent does in their name and let them review it before it is sent.' },
  { id: 'model-integrity', text: 'Load models only from trusted sources after verifying checksums or signatures.' },
  { id: 'evaluation-integrity', text: 'Keep evaluation data and metrics apart from what the agent can see or influence.' },
  { id: 'file-validation', text: 'Parse uploaded media in isolated, patched parsers with size and type limits.' },
  { id: 'query-guard', text: 'Use read-only database roles and parameterised or allow-listed queries.' },
  { id: 'redundancy', text: 'Plan for graceful degradation and redundancy of critical dependencies.' },
  { id: 'caller-verification', text: 'Verify callers, rate-limit calls and watch for toll fraud.' },
];
