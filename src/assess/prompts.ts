/**
 * Versioned prompts from `prompts/` (Markdown with front-matter) and the delimited listing block
 * that carries untrusted listing text into the user message. Parsing and rendering are pure;
 * only `loadPrompt` touches the file system.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CATALOGUE_THREATS, CATALOGUE_VERSION } from '../../schemas/catalogue/index.js';
import { LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber, type ListingFactorKey } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { ConfigError, formatIssues } from '../errors.js';

/** Opening delimiter of the listing data block; the id follows as `id=<listing id>`. */
export const LISTING_OPEN = '<<<LISTING';
/** Closing delimiter of the listing data block. */
export const LISTING_CLOSE = '<<<END LISTING>>>';

const frontMatterSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected a kebab-case id' }),
    version: z.coerce.number().int().positive(),
    description: z.string().min(1),
    schema: z.literal('assessment'),
    schemaVersion: z.coerce.number().int().positive(),
    placeholders: z.string().min(1),
  })
  .strict();

/** A prompt file, parsed: its id, version, sha256 of the file bytes, system text and user template. */
export interface LoadedPrompt {
  id: string;
  version: number;
  /** sha256 (hex) of the whole file: any edit changes it, and with it cache and provenance keys. */
  hash: string;
  description: string;
  system: string;
  userTemplate: string;
}

/** Finds the nearest folder at or above `from` that holds a package.json (works from src and dist). */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let current = from;
  for (;;) {
    if (existsSync(join(current, 'package.json'))) return current;
    const parent = dirname(current);
    if (parent === current) {
      throw new ConfigError('E_CONFIG', `No package.json found above ${from}`, { from });
    }
    current = parent;
  }
}

/**
 * Parses a prompt file's text (front-matter, `# System`, `# User template`) into a LoadedPrompt.
 * @throws ConfigError naming the file and the failing field when the file is malformed.
 */
export function parsePromptFile(text: string, file = 'prompt'): LoadedPrompt {
  const normalised = text.replace(/\r\n/g, '\n');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(normalised);
  if (!match) throw new ConfigError('E_PROMPT', `${file}: expected front-matter between --- lines`, { file });
  const [, head = '', body = ''] = match;
  const fields: Record<string, string> = {};
  for (const line of head.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ConfigError('E_PROMPT', `${file}: front-matter line is not "key: value": ${line}`, { file });
    fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const parsed = frontMatterSchema.safeParse(fields);
  if (!parsed.success) {
    throw new ConfigError('E_PROMPT', `${file}: invalid front-matter: ${formatIssues(parsed.error.issues)}`, { file });
  }
  const sections = /^\s*# System\n([\s\S]*?)\n# User template\n([\s\S]*)$/.exec(body);
  if (!sections) {
    throw new ConfigError('E_PROMPT', `${file}: expected a "# System" then a "# User template" section`, { file });
  }
  const system = (sections[1] ?? '').trim();
  const userTemplate = (sections[2] ?? '').trim();
  if (!userTemplate.includes('{{listing}}')) {
    throw new ConfigError('E_PROMPT', `${file}: the user template has no {{listing}} placeholder`, { file });
  }
  return {
    id: parsed.data.id,
    version: parsed.data.version,
    hash: createHash('sha256').update(text).digest('hex'),
    description: parsed.data.description,
    system,
    userTemplate,
  };
}

/** The prompt version used unless configured otherwise (`THREATDRAFT_PROMPT_VERSION`). */
export const DEFAULT_PROMPT_VERSION = 2;

/**
 * Loads `prompts/<id>.v<version>.md` from the package root (or `dir`) and checks its id and version.
 * @throws ConfigError when the file is missing or malformed.
 */
export function loadPrompt(id = 'assess-listing', version = DEFAULT_PROMPT_VERSION, options: { dir?: string } = {}): LoadedPrompt {
  const dir = options.dir ?? join(findPackageRoot(), 'prompts');
  const file = join(dir, `${id}.v${version}.md`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('E_PROMPT', `Cannot read prompt file ${file}`, { file }, { cause: error });
  }
  const prompt = parsePromptFile(text, file);
  if (prompt.id !== id || prompt.version !== version) {
    throw new ConfigError(
      'E_PROMPT',
      `${file}: front-matter says ${prompt.id} v${prompt.version}, expected ${id} v${version}`,
      { file },
    );
  }
  return prompt;
}

/** Replaces any run of three or more `<` or `>` so data can never open or close a block. */
export function neutraliseDelimiters(text: string): string {
  return text.replace(/<{3,}/g, (run) => '‹'.repeat(run.length)).replace(/>{3,}/g, (run) => '›'.repeat(run.length));
}

const oneLine = (value: string): string => neutraliseDelimiters(value.replace(/\s+/g, ' ').trim());

/** Formats a listing as the delimited, untrusted data block of the user message. */
export function formatListingBlock(listing: Listing): string {
  const lines = [
    `${LISTING_OPEN} id=${listing.id}>>>`,
    `Title: ${oneLine(listing.title)}`,
    `URL: ${oneLine(listing.url)}`,
    `Summary: ${oneLine(listing.summary)}`,
    `Category: ${oneLine(listing.fields.category ?? 'not stated')}`,
    `Capabilities: ${listing.fields.capabilities.map(oneLine).join('; ') || 'not stated'}`,
    `Repositories: ${listing.fields.repositories.map(oneLine).join(' ') || 'none'}`,
    ...(listing.truncated ? ['Note: the text below was cut to fit a token budget.'] : []),
    'Text:',
    neutraliseDelimiters(listing.text),
  ];
  if (listing.document !== undefined) {
    const json = JSON.stringify(listing.document.data, null, 1);
    lines.push(
      `${DOCUMENT_HEADER} (${listing.document.type}, ${oneLine(listing.document.schema)}):`,
      neutraliseDelimiters(json.length <= MAX_DOCUMENT_CHARS ? json : `${json.slice(0, MAX_DOCUMENT_CHARS)}\n[… truncated]`),
    );
  }
  const manifests = listing.repo?.manifests ?? [];
  if (manifests.length > 0) lines.push(MANIFESTS_HEADER, ...manifests.map((manifest) => oneLine(manifest.facts)));
  if (listing.repo?.readme) {
    lines.push('Repository README:', neutraliseDelimiters(listing.repo.readme));
  }
  lines.push(LISTING_CLOSE);
  return lines.join('\n');
}

/** Starts the structured document (agent card, server.json) in a listing block, after the text. */
const DOCUMENT_HEADER = 'Structured document';
/** Starts the repository manifests' facts in a listing block. */
const MANIFESTS_HEADER = 'Repository manifests:';
/** The structured document's JSON is cut here in the data block (its facts are in the text already). */
const MAX_DOCUMENT_CHARS = 16_000;

/** The parts of a listing block, read back (the fake server uses this to answer). */
export interface ListingBlock {
  id: string;
  title: string;
  summary: string;
  capabilities: string[];
  /** The text section, exactly as sent (delimiters already neutralised). */
  text: string;
}

/** Finds and parses the first listing block in a message; null when there is none. */
export function parseListingBlock(message: string): ListingBlock | null {
  const match = /<<<LISTING id=([a-z0-9._-]+)>>>\n([\s\S]*?)\n<<<END LISTING>>>/.exec(message);
  if (!match) return null;
  const [, id = '', body = ''] = match;
  const textAt = body.indexOf('\nText:\n');
  const head = textAt >= 0 ? body.slice(0, textAt) : body;
  let text = textAt >= 0 ? body.slice(textAt + '\nText:\n'.length) : '';
  // The text ends where the first section after it starts.
  for (const header of [`\n${DOCUMENT_HEADER} (`, `\n${MANIFESTS_HEADER}\n`, '\nRepository README:\n']) {
    const at = text.indexOf(header);
    if (at >= 0) text = text.slice(0, at);
  }
  const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(head)?.[1] ?? '';
  const capabilities = field('Capabilities');
  return {
    id,
    title: field('Title'),
    summary: field('Summary'),
    capabilities: capabilities === 'not stated' || capabilities === '' ? [] : capabilities.split('; '),
    text,
  };
}

/** Rules-assessor factor values offered to the model as hints (heuristics, not facts). */
export type FactorHints = Partial<Record<ListingFactorKey, number>>;

/** Formats factor hints as a short block; empty when there are none. */
export function formatHintsBlock(hints: FactorHints | null): string {
  if (!hints) return '';
  const entries = Object.entries(hints) as [ListingFactorKey, number][];
  if (entries.length === 0) return '';
  return [
    'Hints from a deterministic rules engine (heuristic factor values; verify against the listing):',
    ...entries.map(([key, value]) => `- ${key} (${LISTING_FACTORS[key]}): ${value.toFixed(2)}`),
  ].join('\n');
}

/**
 * The threat catalogue as the model reads it: per MAESTRO layer, the ids it may name there with
 * their names (the answer schema offers the ids as an enum).
 */
export function renderCatalogueBlock(): string {
  const lines = [`Threat catalogue ${CATALOGUE_VERSION} (id: name), by the layer each id may be named on:`];
  for (const [number, name] of Object.entries(MAESTRO_LAYERS)) {
    const layer = Number(number) as LayerNumber;
    lines.push(`Layer ${layer} ${name}:`, ...CATALOGUE_THREATS.filter((threat) => (threat.layers as readonly number[]).includes(layer)).map((threat) => `- ${threat.id}: ${threat.name}`));
  }
  return lines.join('\n');
}

/** Whether a prompt shows the model the threat catalogue (its `{{catalogue}}` placeholder): the catalogue is then part of its hash. */
export function usesCatalogue(prompt: LoadedPrompt): boolean {
  return prompt.system.includes('{{catalogue}}');
}

/**
 * Renders the system message: the prompt's static text with the threat catalogue in place of
 * `{{catalogue}}` and the few-shot block (drawn from approved drafts, static for a run) in place of
 * `{{examples}}`, or that placeholder dropped. The same for every listing, so it is the cached
 * prefix of every request.
 */
export function renderSystemMessage(prompt: LoadedPrompt, fewShot: string | null = null): string {
  const system = usesCatalogue(prompt) ? prompt.system.replace('{{catalogue}}', () => renderCatalogueBlock()) : prompt.system;
  if (!system.includes('{{examples}}')) return system;
  if (fewShot === null || fewShot.trim() === '') return system.replace(/\n*\{\{examples\}\}/, '');
  return system.replace('{{examples}}', () => fewShot.trim());
}

/** Renders the user message: the template with the listing block and optional hints filled in. */
export function renderUserMessage(prompt: LoadedPrompt, listing: Listing, hints: FactorHints | null = null): string {
  // A function replacer, so `$` sequences in listing text are never read as replacement patterns.
  const hintsBlock = formatHintsBlock(hints);
  const template = hintsBlock === '' ? prompt.userTemplate.replace(/\n*\{\{hints\}\}/, '') : prompt.userTemplate;
  return template.replace('{{hints}}', () => hintsBlock).replace('{{listing}}', () => formatListingBlock(listing));
}
