/**
 * Field labels and values (data). Listings state many facts as label/value pairs: table rows,
 * definition lists, bold labels, "Label: value" lines. A label is normalised to a field kind through
 * this synonym table; a value is read as stated, explicitly absent ("None", "No", "N/A", "Not
 * listed") or unknown ("Not stated", "Unknown"). An explicit absence is evidence of absence; an
 * unknown value is evidence of nothing. Each entry lists labels it must and must not take
 * (test/assess/rules/fields.test.ts).
 */

export const FIELD_KINDS = [
  'category',
  'tools',
  'integrations',
  'memory',
  'data',
  'models',
  'deployment',
  'network',
  'authentication',
  'secrets',
  'permissions',
  'logging',
  'oversight',
  'execution',
  'protocols',
  'compliance',
  'license',
  'repository',
  'skill',
  'async',
  'endpoint',
  'package',
  'config',
  'manifest',
] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldLabel {
  kind: FieldKind;
  /**
   * Matched against the whole normalised label (lower case, spaces collapsed, trailing colon
   * dropped), as written and with camelCase split (`securitySchemes` reads as `security schemes`).
   */
  pattern: RegExp;
  examples: { match: readonly string[]; noMatch: readonly string[] };
}

/** First match wins, so narrower labels come before broader ones. */
export const FIELD_LABELS: readonly FieldLabel[] = [
  {
    kind: 'category',
    pattern: /^(?:category|categories|type|kind|agent type|listing type|product type|class|application category)$/,
    examples: { match: ['Category', 'Agent type', 'applicationCategory'], noMatch: ['Data type', 'Input types'] },
  },
  {
    kind: 'execution',
    pattern: /^(?:code execution|execution|sandbox(?:ing)?|isolation|runtime isolation|execution environment)$/,
    examples: { match: ['Code execution', 'Sandbox'], noMatch: ['Execution time', 'Runtime'] },
  },
  {
    kind: 'tools',
    pattern: /^(?:tools?|tool (?:access|use|calling|calls)|tools used|actions|function calling|plugins?|skills)$/,
    examples: { match: ['Tools', 'Tool access', 'Function calling'], noMatch: ['Toolkit version', 'Integrations'] },
  },
  {
    kind: 'integrations',
    pattern: /^(?:integrations?|connectors?|connected (?:apps|services|systems)|works with|apis?|external services)$/,
    examples: { match: ['Integrations', 'Connectors', 'Works with'], noMatch: ['Integration time'] },
  },
  {
    kind: 'memory',
    pattern: /^(?:memory|state|statefulness|persistence|data retention|retention|(?:[\w-]+ )?history|session memory|long-term memory|storage)$/,
    examples: { match: ['Memory', 'Data retention', 'Storage'], noMatch: ['Memory usage', 'Storage size'] },
  },
  {
    kind: 'data',
    pattern: /^(?:data|data (?:handling|access|sources?|processing|residency|use|usage)|inputs?|input data|privacy|knowledge(?: base| sources?)?|sources|training data)$/,
    examples: { match: ['Data', 'Data handling', 'Privacy', 'Knowledge sources'], noMatch: ['Database version'] },
  },
  {
    kind: 'models',
    pattern: /^(?:models?|llms?|language models?|foundation models?|base models?|underlying models?|ai models?|model providers?|powered by|built on|engine)$/,
    examples: { match: ['Models', 'LLM', 'Powered by', 'Underlying model'], noMatch: ['Pricing model', 'Business model'] },
  },
  {
    kind: 'deployment',
    pattern: /^(?:deployment|deploy(?:ment)? options?|hosting|hosted|runs on|runs in|where it runs|where it lives|runtime|environment|availability|installation|install|platforms?|delivery|operating system)$/,
    examples: { match: ['Deployment', 'Hosting', 'Runs on', 'Where it runs', 'operatingSystem'], noMatch: ['Deployment date', 'Environment variables'] },
  },
  {
    kind: 'network',
    pattern: /^(?:internet(?: access)?|network(?: access)?|connectivity|online access|web access|offline(?: mode)?)$/,
    examples: { match: ['Internet access', 'Network', 'Web access'], noMatch: ['Network policies'] },
  },
  {
    kind: 'secrets',
    pattern: /^(?:credentials|api keys?|secrets|keys|key management|secret storage|tokens)$/,
    examples: { match: ['Credentials', 'API keys', 'Secrets'], noMatch: ['Keywords'] },
  },
  {
    kind: 'authentication',
    pattern: /^(?:authentication|auth|login|sign[- ]?in|sso|identity|accounts?|security schemes|security requirements)$/,
    examples: { match: ['Authentication', 'SSO', 'Sign-in', 'securitySchemes', 'securityRequirements'], noMatch: ['Author', 'Security'] },
  },
  {
    kind: 'permissions',
    pattern: /^(?:permissions?|access|access control|access level|scopes?|privileges|roles?)$/,
    examples: { match: ['Permissions', 'Access', 'Scopes'], noMatch: ['Accessibility'] },
  },
  {
    kind: 'logging',
    pattern: /^(?:logging|logs?|audit(?: log| trail)?|observability|monitoring|telemetry|tracing)$/,
    examples: { match: ['Logging', 'Audit trail', 'Observability'], noMatch: ['Blog'] },
  },
  {
    kind: 'oversight',
    pattern: /^(?:autonomy|human oversight|oversight|approvals?|human[- ]in[- ]the[- ]loop|supervision|human review|guardrails?|safety|controls?)$/,
    examples: { match: ['Autonomy', 'Human oversight', 'Guardrails'], noMatch: ['Remote control panel'] },
  },
  {
    kind: 'protocols',
    pattern: /^(?:protocols?|interoperability|standards|agent protocols?|interfaces?|transport)$/,
    examples: { match: ['Protocols', 'Interoperability', 'Transport'], noMatch: ['Protocol version'] },
  },
  {
    kind: 'compliance',
    pattern: /^(?:compliance|certifications?|security|security & compliance|security and compliance|regulatory)$/,
    examples: { match: ['Compliance', 'Security & compliance'], noMatch: ['Security contact email'] },
  },
  {
    kind: 'license',
    pattern: /^(?:licen[cs]e(?: \/ source)?|source|open source|source code availability)$/,
    examples: { match: ['License', 'License / source'], noMatch: ['Sources'] },
  },
  {
    kind: 'repository',
    pattern: /^(?:repository|repo|source code|github|code)$/,
    examples: { match: ['Repository', 'GitHub'], noMatch: ['Code execution'] },
  },
  // Structured documents (A2A agent cards, MCP server.json) and repository manifests, by their field names.
  {
    kind: 'skill',
    pattern: /^(?:skill|a2a skill|agent skill)$/,
    examples: { match: ['skill', 'Agent skill'], noMatch: ['Skills', 'Skill level'] },
  },
  {
    kind: 'async',
    pattern: /^(?:push notifications|pushnotifications|asynchronous tasks)$/,
    examples: { match: ['pushNotifications', 'Push notifications'], noMatch: ['Notifications', 'Email notifications'] },
  },
  {
    kind: 'endpoint',
    pattern: /^(?:remotes?|supported interfaces|endpoints?|agent endpoint|mcp endpoint)$/,
    examples: { match: ['remotes', 'supportedInterfaces', 'Endpoint'], noMatch: ['URL', 'Website', 'Endpoint security'] },
  },
  {
    kind: 'package',
    pattern: /^(?:packages|npm package|pypi package|docker image|container image)$/,
    examples: { match: ['packages', 'npm package', 'Docker image'], noMatch: ['Package', 'Pricing package'] },
  },
  {
    kind: 'config',
    pattern: /^(?:environment variables?|env vars?|env|headers|package arguments|runtime arguments)$/,
    examples: { match: ['environmentVariables', 'Environment variables', 'headers', 'packageArguments'], noMatch: ['Environment', 'Headers and footers'] },
  },
  {
    kind: 'manifest',
    pattern: /^(?:package\.json|pyproject\.toml|requirements\.txt|dockerfile|server\.json)$/,
    examples: { match: ['package.json', 'Dockerfile', 'requirements.txt'], noMatch: ['package', 'Requirements'] },
  },
];

/** A value that says the thing is not there: evidence of absence. */
export const ABSENT_VALUE =
  /^(?:none|no|nope|n\/?a|nil|nothing|zero|disabled|off|not (?:supported|available|applicable|included|used|offered|provided|listed|enabled|stored|kept|retained|needed|required)|none (?:listed|used|required|needed|stored|kept)|not any)\b(?![-‑])|^[✗×❌]/i;

/** A value that says nothing either way: evidence of nothing. */
export const UNKNOWN_VALUE = /^(?:not (?:stated|specified|disclosed|known|documented|published|mentioned)|unknown|unspecified|undisclosed|unclear|tbd|tba|n\/k|[-–—?]+|varies)\.?$/i;
