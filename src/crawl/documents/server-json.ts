/**
 * MCP `server.json` (pure): validation field by field and the facts a server entry states, as a
 * listing. Follows the registry's server.json schema (2025-12): `name` (reverse-DNS, one slash),
 * `description`, `title`, `version`, `repository` { url, source, id, subfolder }, `websiteUrl`,
 * `packages` [{ registryType, registryBaseUrl, identifier, version, fileSha256, runtimeHint,
 * transport { type: stdio | streamable-http | sse, url, headers }, runtimeArguments,
 * packageArguments, environmentVariables [{ name, description, isRequired, isSecret, format,
 * default, value }] }], `remotes` [{ type, url, headers }], `_meta`. It lists no tools (those come
 * from a live `tools/list`); a non-standard `tools` array some registries add is read when present.
 */
import { z } from 'zod';
import type { ListingDocument } from '../../../schemas/listing.js';
import { PermanentError } from '../../errors.js';
import { canonicalRepoUrl } from '../listing-identity.js';
import { isRecord, line, validateFields, type DocumentRendering, type FieldRule } from './common.js';

const text = z.string();

const inputSchema = z.looseObject({
  name: text.min(1),
  description: text.optional(),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: text.optional(),
  default: text.optional(),
  value: text.optional(),
});
type Input = z.infer<typeof inputSchema>;

const argumentSchema = z.looseObject({
  type: text.optional(),
  name: text.optional(),
  valueHint: text.optional(),
  value: text.optional(),
  format: text.optional(),
  isSecret: z.boolean().optional(),
  description: text.optional(),
});
type Argument = z.infer<typeof argumentSchema>;

const transportSchema = z.looseObject({ type: text, url: text.optional(), headers: z.array(inputSchema).optional() });
type Transport = z.infer<typeof transportSchema>;

const packageSchema = z.looseObject({
  registryType: text,
  registryBaseUrl: text.optional(),
  identifier: text.min(1),
  version: text.optional(),
  fileSha256: text.optional(),
  runtimeHint: text.optional(),
  transport: transportSchema.optional(),
  runtimeArguments: z.array(argumentSchema).optional(),
  packageArguments: z.array(argumentSchema).optional(),
  environmentVariables: z.array(inputSchema).optional(),
});
type Package = z.infer<typeof packageSchema>;

const toolSchema = z.looseObject({ name: text.min(1), description: text.optional() });

const SERVER_RULES: Readonly<Record<string, FieldRule>> = {
  description: { schema: text, required: true },
  version: { schema: text, required: true },
  title: { schema: text },
  repository: { schema: z.looseObject({ url: text, source: text.optional(), subfolder: text.optional() }) },
  websiteUrl: { schema: text },
  packages: { schema: packageSchema, each: true },
  remotes: { schema: transportSchema, each: true },
  tools: { schema: toolSchema, each: true },
};

/** Reverse-DNS name with exactly one slash (`io.github.acme/weather`). */
export const SERVER_NAME = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;

/** A server entry read: the document as published (with its warnings) and the facts it states. */
export interface ServerReading {
  name: string;
  version: string | null;
  document: ListingDocument;
  rendering: DocumentRendering;
}

/**
 * Reads a server.json (with the registry's `_meta` of the entry, when it came from a registry). An
 * entry that is not an object, has no string `name`, or has neither a description nor a package or
 * remote is refused; other fields that break the schema are left out and named in warnings.
 * @throws PermanentError `E_SCHEMA` naming what is wrong, with where it came from.
 */
export function readServerJson(value: unknown, where: { url: string; meta?: Record<string, unknown> | undefined }): ServerReading {
  if (!isRecord(value)) throw new PermanentError('E_SCHEMA', `server.json at ${where.url} is not a JSON object`, { url: where.url });
  const rawName = value['name'];
  if (typeof rawName !== 'string' || rawName.trim() === '') {
    throw new PermanentError('E_SCHEMA', `server.json at ${where.url}: \`name\` is missing or not a string`, { url: where.url });
  }
  const name = line(rawName, 200);
  const { valid, warnings } = validateFields(value, SERVER_RULES);
  if (!SERVER_NAME.test(name)) warnings.push(`\`name\`: expected reverse-DNS with one slash (io.github.owner/name), got ${JSON.stringify(name.slice(0, 80))}`);
  const packages = (valid['packages'] as Package[] | undefined) ?? [];
  const remotes = (valid['remotes'] as Transport[] | undefined) ?? [];
  const description = typeof valid['description'] === 'string' ? line(valid['description'], 1000) : '';
  if (description === '' && packages.length === 0 && remotes.length === 0) {
    throw new PermanentError('E_SCHEMA', `server.json ${name}: neither a \`description\` nor a valid package or remote, nothing to assess`, { url: where.url });
  }
  const schema = `server.json ${typeof value['$schema'] === 'string' ? (/\/(\d{4}-\d{2}-\d{2})\//.exec(value['$schema'])?.[1] ?? 'draft') : 'unversioned'}`;
  const document: ListingDocument = {
    type: 'mcp-server',
    schema,
    data: value,
    warnings,
    ...(where.meta === undefined ? {} : { meta: where.meta }),
  };
  const version = typeof valid['version'] === 'string' ? line(valid['version'], 80) : null;
  return { name, version, document, rendering: renderServer(name, description, valid, packages, remotes, status(where.meta)) };
}

/** The registry's lifecycle status of an entry (`active`, `deprecated`, `deleted`), when it says. */
export function status(meta: Record<string, unknown> | undefined): string | undefined {
  if (meta === undefined) return undefined;
  for (const value of Object.values(meta)) {
    if (isRecord(value) && typeof value['status'] === 'string') return value['status'];
  }
  return undefined;
}

/** The fact lines of any server.json-shaped object (a repository's own server.json): its valid packages and remotes. */
export function serverJsonFacts(value: Record<string, unknown>): string[] {
  const { valid } = validateFields(value, { packages: SERVER_RULES['packages'] as FieldRule, remotes: SERVER_RULES['remotes'] as FieldRule });
  return serverFacts((valid['packages'] as Package[] | undefined) ?? [], (valid['remotes'] as Transport[] | undefined) ?? []);
}

/** Server-json facts as lines: packages, configuration inputs, remotes. */
export function serverFacts(packages: readonly Package[], remotes: readonly Transport[]): string[] {
  const lines: string[] = [];
  for (const entry of packages) {
    const transport = entry.transport?.type ?? 'stdio';
    const runtime = entry.runtimeHint === undefined ? '' : `, runtime ${line(entry.runtimeHint, 40)}`;
    lines.push(`packages: ${line(entry.registryType, 40)} ${line(entry.identifier, 200)}${entry.version === undefined ? '' : ` ${line(entry.version, 60)}`} (transport ${line(transport, 40)}${runtime})`);
    for (const variable of entry.environmentVariables ?? []) lines.push(`environmentVariables: ${describeInput(variable)}`);
    for (const argument of [...(entry.runtimeArguments ?? []), ...(entry.packageArguments ?? [])]) {
      const described = describeArgument(argument);
      if (described !== '') lines.push(`packageArguments: ${described}`);
    }
    for (const header of entry.transport?.headers ?? []) lines.push(`headers: ${describeInput(header)}`);
  }
  for (const remote of remotes) {
    lines.push(`remotes: ${line(remote.type, 40)}${remote.url === undefined ? '' : ` ${line(remote.url, 300)}`}`);
    for (const header of remote.headers ?? []) lines.push(`headers: ${describeInput(header)}`);
  }
  return lines;
}

function renderServer(
  name: string,
  description: string,
  valid: Record<string, unknown>,
  packages: readonly Package[],
  remotes: readonly Transport[],
  lifecycle: string | undefined,
): DocumentRendering {
  const metadata: Record<string, string> = { category: 'MCP server', name };
  const lines: string[] = ['category: MCP server', 'protocol: MCP (Model Context Protocol server)', `name: ${name}`];
  if (typeof valid['version'] === 'string') {
    metadata['version'] = line(valid['version'], 80);
    lines.push(`version: ${metadata['version']}`);
  }
  if (lifecycle !== undefined) lines.push(`status: ${line(lifecycle, 40)} in the registry`);
  const repository = valid['repository'] as { url: string; source?: string; subfolder?: string } | undefined;
  if (repository !== undefined) {
    metadata['repository'] = line(repository.url, 300);
    lines.push(`repository: ${metadata['repository']}${repository.subfolder === undefined ? '' : ` (${line(repository.subfolder, 120)})`}`);
  }
  if (typeof valid['websiteUrl'] === 'string') lines.push(`websiteUrl: ${line(valid['websiteUrl'], 300)}`);
  lines.push(...serverFacts(packages, remotes));
  for (const tool of (valid['tools'] as z.infer<typeof toolSchema>[] | undefined) ?? []) {
    lines.push(`tool: ${line(tool.name, 120)}${tool.description === undefined ? '' : ` — ${line(tool.description, 400)}`}`);
  }
  const title = typeof valid['title'] === 'string' && valid['title'].trim() !== '' ? line(valid['title'], 200) : name;
  const repo = repository === undefined ? undefined : canonicalRepoUrl(repository.url);
  return {
    title,
    summary: description,
    category: 'MCP server',
    capabilities: [],
    metadata,
    repositories: repo === undefined ? [] : [repo],
    lines,
    slug: name.split('/').pop() ?? name,
  };
}

/** `DATABASE_URL (secret, required) — connection string` */
function describeInput(input: Input): string {
  const traits = [input.isSecret === true ? 'secret' : '', input.isRequired === true ? 'required' : '', input.format === 'filepath' ? 'a file path' : ''].filter((trait) => trait !== '');
  return `${line(input.name, 120)}${traits.length === 0 ? '' : ` (${traits.join(', ')})`}${input.description === undefined ? '' : ` — ${line(input.description, 300)}`}`;
}

/** `--root (a file path)`; positional arguments by their hint. */
function describeArgument(argument: Argument): string {
  const label = argument.name ?? argument.valueHint ?? argument.value;
  if (label === undefined) return '';
  const traits = [argument.isSecret === true ? 'secret' : '', argument.format === 'filepath' ? 'a file path' : ''].filter((trait) => trait !== '');
  return `${line(label, 120)}${traits.length === 0 ? '' : ` (${traits.join(', ')})`}${argument.description === undefined ? '' : ` — ${line(argument.description, 300)}`}`;
}
