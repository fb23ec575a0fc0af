/**
 * What a repository's manifests say (pure): the packages it depends on (package.json,
 * pyproject.toml, requirements.txt), how its container is built (Dockerfile), and the MCP
 * server.json it publishes. Each becomes one line of facts, `<file>: …`, that the assessors read
 * like any other field (a dependency on an MCP SDK, a model client, an agent framework or a
 * code-execution library is evidence quoted from that line). Bounded and never throws.
 */
import { isRecord, line } from './documents/common.js';
import { serverJsonFacts } from './documents/server-json.js';

/** The manifest files read next to the README, in the order they are fetched. */
export const MANIFEST_FILES = ['package.json', 'pyproject.toml', 'requirements.txt', 'Dockerfile', 'server.json'] as const;
export type ManifestFile = (typeof MANIFEST_FILES)[number];

/** Bytes read of one manifest. */
export const MAX_MANIFEST_BYTES = 256 * 1024;
const MAX_DEPENDENCIES = 60;
const MAX_FACTS_CHARS = 1500;

/** The facts line of one manifest, or null when it says nothing usable (unparsable, empty). */
export function manifestFacts(file: ManifestFile, text: string): string | null {
  try {
    const facts = FACTS[file](text.slice(0, MAX_MANIFEST_BYTES));
    return facts === null || facts === '' ? null : `${file}: ${line(facts, MAX_FACTS_CHARS)}`;
  } catch {
    return null;
  }
}

const FACTS: Readonly<Record<ManifestFile, (text: string) => string | null>> = {
  'package.json': (text) => {
    const value = JSON.parse(text) as unknown;
    if (!isRecord(value)) return null;
    // What ships with it: development tools (test runners, browsers for tests) are left out.
    const names = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((key) =>
      isRecord(value[key]) ? Object.keys(value[key]) : [],
    );
    const bin = isRecord(value['bin']) || typeof value['bin'] === 'string';
    return dependencies(names, bin ? 'installs a command-line program' : null);
  },
  'pyproject.toml': (text) => dependencies(pyprojectDependencies(text), /^\[project\.scripts\]/m.test(text) ? 'installs a command-line program' : null),
  'requirements.txt': (text) =>
    dependencies(
      text
        .split(/\r?\n/)
        .map((entry) => entry.replace(/#.*$/, '').trim())
        .filter((entry) => entry !== '' && !entry.startsWith('-'))
        .map(requirementName),
      null,
    ),
  Dockerfile: (text) => {
    const instructions = text
      .replace(/\\\r?\n/g, ' ')
      .split(/\r?\n/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '' && !entry.startsWith('#'));
    const images = instructions.filter((entry) => /^FROM\s/i.test(entry)).map((entry) => entry.split(/\s+/)[1] ?? '');
    const ports = instructions.filter((entry) => /^EXPOSE\s/i.test(entry)).flatMap((entry) => entry.split(/\s+/).slice(1));
    const user = instructions.filter((entry) => /^USER\s/i.test(entry)).map((entry) => entry.split(/\s+/)[1] ?? '').at(-1);
    const parts = [`builds a container image from ${images.filter((image) => image !== '').join(', ') || 'an unnamed base'}`];
    if (ports.length > 0) parts.push(`exposes port ${ports.join(', ')}`);
    parts.push(user === undefined || user === 'root' || user === '0' ? 'runs as root (no USER)' : `runs as user ${user}`);
    return parts.join('; ');
  },
  'server.json': (text) => {
    const value = JSON.parse(text) as unknown;
    if (!isRecord(value)) return null;
    const lines = serverJsonFacts(value);
    return `publishes an MCP server${typeof value['name'] === 'string' ? ` ${value['name']}` : ''}${lines.length === 0 ? '' : `; ${lines.join('; ')}`}`;
  },
};

function dependencies(names: readonly string[], extra: string | null): string | null {
  const unique = [...new Set(names.map((name) => name.trim()).filter((name) => /^[@\w.\-/]{1,120}$/.test(name)))];
  const parts: string[] = [];
  if (unique.length > 0) parts.push(`depends on ${unique.slice(0, MAX_DEPENDENCIES).join(', ')}${unique.length > MAX_DEPENDENCIES ? ` and ${unique.length - MAX_DEPENDENCIES} more` : ''}`);
  if (extra !== null) parts.push(extra);
  return parts.length === 0 ? null : parts.join('; ');
}

/** `langchain-openai>=0.1 ; python_version>"3.9"` → `langchain-openai`. */
function requirementName(requirement: string): string {
  return requirement.split(/[\s<>=~!;[(@]/)[0] ?? '';
}

/** Runtime dependency names of a pyproject.toml: PEP 621 `[project] dependencies` and Poetry's main table (not dev groups or extras). */
function pyprojectDependencies(text: string): string[] {
  const names: string[] = [];
  let section = '';
  let inArray = false;
  const quoted = (entry: string): string[] => [...entry.matchAll(/["']([^"']+)["']/g)].map((match) => requirementName(match[1] ?? ''));
  for (const raw of text.split(/\r?\n/)) {
    const entry = raw.replace(/(^|\s)#.*$/, '').trim();
    if (entry === '') continue;
    if (inArray) {
      names.push(...quoted(entry));
      if (entry.includes(']')) inArray = false;
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(entry);
    if (header !== null) {
      section = header[1]?.trim() ?? '';
      continue;
    }
    if (section === 'project' && /^dependencies\s*=\s*\[/.test(entry)) {
      const list = entry.slice(entry.indexOf('['));
      names.push(...quoted(list));
      inArray = !list.includes(']');
      continue;
    }
    if (section === 'tool.poetry.dependencies') {
      const key = /^([\w.-]+)\s*=/.exec(entry)?.[1];
      if (key !== undefined && key !== 'python') names.push(key);
    }
  }
  return names;
}
