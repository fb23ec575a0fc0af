/**
 * A2A Agent Cards (pure): validation field by field and the facts a card states, as a listing.
 *
 * Follows the A2A v1.0 `AgentCard` (lf.a2a.v1, JSON field names): `name`, `description`,
 * `supportedInterfaces` [{ url, protocolBinding, protocolVersion, tenant }], `provider`
 * { organization, url }, `version`, `documentationUrl`, `capabilities` { streaming,
 * pushNotifications, extensions [{ uri, description, required, params }], extendedAgentCard },
 * `securitySchemes` (name → one of apiKeySecurityScheme, httpAuthSecurityScheme,
 * oauth2SecurityScheme, openIdConnectSecurityScheme, mtlsSecurityScheme), `securityRequirements`
 * [{ schemes: name → { list: scopes } }], `defaultInputModes`, `defaultOutputModes`, `skills`
 * [{ id, name, description, tags, examples, inputModes, outputModes, securityRequirements }],
 * `signatures` [{ protected, signature, header }], `iconUrl`. Legacy cards (0.2/0.3, usually at
 * `/.well-known/agent.json`) are read too: `url`, `preferredTransport`, `additionalInterfaces`,
 * `protocolVersion`, `supportsAuthenticatedExtendedCard`, `security`, and OpenAPI-style security
 * schemes (`{ type: "oauth2", flows }`).
 */
import { z } from 'zod';
import type { ListingDocument } from '../../../schemas/listing.js';
import { PermanentError } from '../../errors.js';
import { canonicalRepoUrl } from '../listing-identity.js';
import { isRecord, line, validateFields, type DocumentRendering, type FieldRule } from './common.js';

const text = z.string();
const texts = z.array(z.string());
const url = z.string().refine((value) => URL.canParse(value), { message: 'expected an absolute URL' });

const interfaceSchema = z.looseObject({
  url,
  protocolBinding: text.optional(),
  /** Legacy name of `protocolBinding`. */
  transport: text.optional(),
  protocolVersion: text.optional(),
  tenant: text.optional(),
});
type AgentInterface = z.infer<typeof interfaceSchema>;

const extensionSchema = z.looseObject({ uri: text, description: text.optional(), required: z.boolean().optional() });

const capabilitiesSchema = z.looseObject({
  streaming: z.boolean().optional(),
  pushNotifications: z.boolean().optional(),
  extendedAgentCard: z.boolean().optional(),
  stateTransitionHistory: z.boolean().optional(),
  extensions: z.array(extensionSchema).optional(),
});

const skillSchema = z.looseObject({
  id: text.min(1),
  name: text.min(1),
  description: text.optional(),
  tags: texts.optional(),
  examples: texts.optional(),
  inputModes: texts.optional(),
  outputModes: texts.optional(),
});
type Skill = z.infer<typeof skillSchema>;

const CARD_RULES: Readonly<Record<string, FieldRule>> = {
  description: { schema: text, required: true },
  version: { schema: text, required: true },
  supportedInterfaces: { schema: interfaceSchema, each: true },
  url: { schema: url },
  preferredTransport: { schema: text },
  additionalInterfaces: { schema: interfaceSchema, each: true },
  protocolVersion: { schema: text },
  provider: { schema: z.looseObject({ organization: text, url: text.optional() }) },
  documentationUrl: { schema: url },
  iconUrl: { schema: url },
  capabilities: { schema: capabilitiesSchema, required: true },
  securitySchemes: { schema: z.record(z.string(), z.record(z.string(), z.unknown())) },
  securityRequirements: { schema: z.record(z.string(), z.unknown()), each: true },
  security: { schema: z.record(z.string(), z.unknown()), each: true },
  defaultInputModes: { schema: texts },
  defaultOutputModes: { schema: texts },
  skills: { schema: skillSchema, each: true, required: true },
  signatures: { schema: z.looseObject({ protected: text, signature: text }), each: true },
  supportsAuthenticatedExtendedCard: { schema: z.boolean() },
};

/** A card read: the document as published (with its warnings) and the facts it states. */
export interface AgentCardReading {
  document: ListingDocument;
  rendering: DocumentRendering;
}

/**
 * Reads an agent card. A card that is not an object, has no `name`, or has neither a description nor
 * a skill says nothing to assess and is refused; any other field that breaks the schema is left out
 * and named in `document.warnings`.
 * @throws PermanentError `E_SCHEMA` naming what is missing, with the card's URL.
 */
export function readAgentCard(value: unknown, where: { url: string }): AgentCardReading {
  if (!isRecord(value)) throw new PermanentError('E_SCHEMA', `Agent card ${where.url} is not a JSON object`, { url: where.url });
  const name = typeof value['name'] === 'string' ? line(value['name'], 200) : '';
  if (name === '') throw new PermanentError('E_SCHEMA', `Agent card ${where.url}: \`name\` is missing or not a string`, { url: where.url });
  const { valid, warnings } = validateFields(value, CARD_RULES);
  const skills = (valid['skills'] as Skill[] | undefined) ?? [];
  const description = typeof valid['description'] === 'string' ? line(valid['description'], 1000) : '';
  if (description === '' && skills.length === 0) {
    throw new PermanentError('E_SCHEMA', `Agent card ${where.url}: neither a \`description\` nor a valid skill, nothing to assess`, { url: where.url });
  }
  const legacy = valid['supportedInterfaces'] === undefined && (valid['url'] !== undefined || valid['protocolVersion'] !== undefined);
  const interfaces = interfacesOf(valid, legacy);
  if (interfaces.length === 0) warnings.push('`supportedInterfaces`: none usable (the card says nowhere to call the agent)');
  const protocolVersion = interfaces.find((entry) => entry.protocolVersion !== undefined)?.protocolVersion ?? (valid['protocolVersion'] as string | undefined);
  const schema = legacy ? `a2a ${protocolVersion ?? '0.x'} (legacy)` : `a2a ${protocolVersion ?? '1.0'}`;
  const document: ListingDocument = { type: 'a2a-agent-card', schema, data: value, warnings };
  return { document, rendering: renderCard(name, description, valid, interfaces, skills, legacy, protocolVersion) };
}

function interfacesOf(valid: Record<string, unknown>, legacy: boolean): AgentInterface[] {
  if (!legacy) return (valid['supportedInterfaces'] as AgentInterface[] | undefined) ?? [];
  const primary: AgentInterface[] =
    typeof valid['url'] === 'string'
      ? [{ url: valid['url'], protocolBinding: (valid['preferredTransport'] as string | undefined) ?? 'JSONRPC', ...(typeof valid['protocolVersion'] === 'string' ? { protocolVersion: valid['protocolVersion'] } : {}) }]
      : [];
  return [...primary, ...((valid['additionalInterfaces'] as AgentInterface[] | undefined) ?? [])];
}

function renderCard(
  name: string,
  description: string,
  valid: Record<string, unknown>,
  interfaces: readonly AgentInterface[],
  skills: readonly Skill[],
  legacy: boolean,
  protocolVersion: string | undefined,
): DocumentRendering {
  const lines: string[] = [];
  const metadata: Record<string, string> = {};
  const fact = (label: string, value: string, single = false): void => {
    const clean = line(value);
    if (clean === '') return;
    lines.push(`${label}: ${clean}`);
    if (single) metadata[label] = clean;
  };
  fact('protocol', `A2A ${protocolVersion ?? (legacy ? '0.x' : '1.0')}`, true);
  for (const entry of interfaces) {
    const binding = entry.protocolBinding ?? entry.transport ?? 'JSONRPC';
    fact('supportedInterfaces', `${binding} ${entry.url}${legacy ? ' (from the legacy url fields)' : ''}`);
  }
  const provider = valid['provider'] as { organization: string; url?: string } | undefined;
  if (provider !== undefined) fact('provider', `${provider.organization}${provider.url === undefined ? '' : ` (${provider.url})`}`, true);
  if (typeof valid['version'] === 'string') fact('version', valid['version'], true);
  if (typeof valid['documentationUrl'] === 'string') fact('documentationUrl', valid['documentationUrl'], true);

  const capabilities = (valid['capabilities'] as z.infer<typeof capabilitiesSchema> | undefined) ?? {};
  const flag = (label: string, value: boolean | undefined): void => {
    if (value !== undefined) fact(label, value ? 'supported' : 'not supported');
  };
  flag('streaming', capabilities.streaming);
  flag('pushNotifications', capabilities.pushNotifications);
  flag('extendedAgentCard', capabilities.extendedAgentCard ?? (valid['supportsAuthenticatedExtendedCard'] as boolean | undefined));
  for (const extension of capabilities.extensions ?? []) {
    fact('extensions', `${extension.uri}${extension.required === true ? ' (required)' : ''}${extension.description === undefined ? '' : ` — ${extension.description}`}`);
  }

  const schemes = (valid['securitySchemes'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  const described = Object.values(schemes).map(describeScheme);
  if (described.length === 0) fact('securitySchemes', 'none declared');
  for (const scheme of described) fact('securitySchemes', scheme);
  const requirements = [...((valid['securityRequirements'] as Record<string, unknown>[] | undefined) ?? []), ...((valid['security'] as Record<string, unknown>[] | undefined) ?? [])];
  for (const requirement of requirements) {
    const text = describeRequirement(requirement);
    if (text !== '') fact('securityRequirements', text);
  }

  const modes = (key: string): void => {
    const value = valid[key];
    if (Array.isArray(value) && value.length > 0) fact(key, value.join(', '));
  };
  modes('defaultInputModes');
  modes('defaultOutputModes');

  for (const skill of skills) {
    const parts = [`${line(skill.name, 120)} (${line(skill.id, 80)})${skill.description === undefined ? '' : `: ${sentence(skill.description)}`}`];
    if (skill.tags !== undefined && skill.tags.length > 0) parts.push(`Tags: ${skill.tags.map((tag) => line(tag, 60)).join(', ')}.`);
    if (skill.examples !== undefined && skill.examples.length > 0) parts.push(`Examples: ${skill.examples.slice(0, 5).map((example) => `“${line(example, 160)}”`).join(', ')}.`);
    lines.push(`skill: ${parts.join(' ')}`);
  }

  const signatures = (valid['signatures'] as unknown[] | undefined) ?? [];
  if (signatures.length > 0) fact('signatures', `signed agent card (${signatures.length} JWS signature${signatures.length === 1 ? '' : 's'})`);

  const repositories = [provider?.url, valid['documentationUrl']]
    .filter((value): value is string => typeof value === 'string')
    .map((value) => canonicalRepoUrl(value))
    .filter((value): value is string => value !== undefined);
  return {
    title: name,
    summary: description,
    category: null,
    capabilities: skills.map((skill) => line(skill.name, 120)),
    metadata,
    repositories: [...new Set(repositories)],
    lines,
    slug: name,
  };
}

/** A description as one sentence-ended line (so the next part of the line starts a new sentence). */
function sentence(value: string): string {
  const clean = line(value, 600);
  return /[.!?…]$/.test(clean) ? clean : `${clean}.`;
}

const FLOWS = ['authorizationCode', 'clientCredentials', 'deviceCode', 'implicit', 'password'] as const;

/** `oauth2 clientCredentials (scopes: a, b)`, `apiKey in header X-API-Key`, `http bearer (JWT)`, … (v1.0 and OpenAPI-style legacy schemes). */
export function describeScheme(scheme: Record<string, unknown>): string {
  const inner = (key: string): Record<string, unknown> | undefined => (isRecord(scheme[key]) ? scheme[key] : undefined);
  const type = typeof scheme['type'] === 'string' ? scheme['type'] : undefined;
  const apiKey = inner('apiKeySecurityScheme') ?? (type === 'apiKey' ? scheme : undefined);
  if (apiKey !== undefined) {
    const where = stringOf(apiKey['location']) ?? stringOf(apiKey['in']);
    const name = stringOf(apiKey['name']);
    return `apiKey${where === undefined ? '' : ` in ${where}`}${name === undefined ? '' : ` ${name}`}`;
  }
  const http = inner('httpAuthSecurityScheme') ?? (type === 'http' ? scheme : undefined);
  if (http !== undefined) {
    const format = stringOf(http['bearerFormat']);
    return `http ${(stringOf(http['scheme']) ?? 'auth').toLowerCase()}${format === undefined ? '' : ` (${format})`}`;
  }
  const oauth = inner('oauth2SecurityScheme') ?? (type === 'oauth2' ? scheme : undefined);
  if (oauth !== undefined) {
    const flows = isRecord(oauth['flows']) ? oauth['flows'] : {};
    const parts = FLOWS.filter((flow) => isRecord(flows[flow])).map((flow) => {
      const scopes = isRecord((flows[flow] as Record<string, unknown>)['scopes']) ? Object.keys((flows[flow] as Record<string, Record<string, unknown>>)['scopes'] ?? {}) : [];
      return `${flow}${scopes.length === 0 ? '' : ` (scopes: ${scopes.slice(0, 12).join(', ')})`}`;
    });
    return `oauth2${parts.length === 0 ? '' : ` ${parts.join(', ')}`}`;
  }
  if (inner('openIdConnectSecurityScheme') !== undefined || type === 'openIdConnect') return 'openIdConnect';
  if (inner('mtlsSecurityScheme') !== undefined || type === 'mutualTLS') return 'mutualTLS';
  return `unrecognised scheme (${Object.keys(scheme).slice(0, 3).join(', ') || 'empty'})`;
}

/** `oauth (quotes:create)` from a v1.0 `{ schemes: { oauth: { list: [...] } } }` or a legacy `{ oauth: [...] }`. */
function describeRequirement(requirement: Record<string, unknown>): string {
  const schemes = isRecord(requirement['schemes']) ? requirement['schemes'] : requirement;
  return Object.entries(schemes)
    .map(([name, scopes]) => {
      const list = Array.isArray(scopes) ? scopes : isRecord(scopes) && Array.isArray(scopes['list']) ? scopes['list'] : [];
      const names = list.filter((scope): scope is string => typeof scope === 'string');
      return `${name}${names.length === 0 ? '' : ` (${names.join(', ')})`}`;
    })
    .join(' and ');
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? line(value, 120) : undefined;
}
