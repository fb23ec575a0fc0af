import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listingFromJson } from '../../../src/crawl/documents/index.js';
import { readServerJson } from '../../../src/crawl/documents/server-json.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'structured');
const entries = JSON.parse(readFileSync(join(FIXTURES, 'registry-servers.json'), 'utf8')) as Array<{ server: Record<string, unknown>; _meta: Record<string, unknown> }>;
const where = { url: 'https://registry.example/v0.1/servers/x/versions/latest' };
const options = { url: where.url, sourceId: 'registry', fetchedAt: '2026-01-01T00:00:00.000Z' };

describe('readServerJson', () => {
  it('renders packages, secret inputs, remotes and the registry status as fact lines', () => {
    const weather = readServerJson(entries[0]!.server, { ...where, meta: entries[0]!._meta });
    expect(weather).toMatchObject({ name: 'io.github.acme/weather', version: '1.4.0', document: { type: 'mcp-server', schema: 'server.json 2025-12-11', warnings: [] } });
    expect(weather.rendering).toMatchObject({ title: 'Acme Weather', category: 'MCP server', repositories: ['https://github.com/acme/weather-mcp'], slug: 'weather' });
    expect(weather.rendering.lines).toEqual([
      'category: MCP server',
      'protocol: MCP (Model Context Protocol server)',
      'name: io.github.acme/weather',
      'version: 1.4.0',
      'status: active in the registry',
      'repository: https://github.com/acme/weather-mcp',
      'packages: npm @acme/weather-mcp 1.4.0 (transport stdio, runtime npx)',
      'environmentVariables: WEATHER_API_KEY (secret, required) — OpenWeatherMap API key',
      'environmentVariables: UNITS — metric or imperial',
    ]);
    const search = readServerJson(entries[2]!.server, where);
    expect(search.rendering.lines).toEqual(expect.arrayContaining(['remotes: streamable-http https://search.example.io/mcp', 'headers: Authorization (secret, required) — Bearer API key']));
    const files = readServerJson(entries[3]!.server, where);
    expect(files.rendering.lines).toContain('packageArguments: --root (a file path) — Folder the server may read and write');
  });

  it('keeps a bad package out, named in a warning, and flags a name that is not reverse-DNS', () => {
    const reading = readServerJson({ name: 'weather', description: 'A server.', version: '1', packages: [{ registryType: 'npm' }, { registryType: 'npm', identifier: 'ok' }] }, where);
    expect(reading.document.warnings).toEqual([
      '`packages[0]` left out: `identifier`: Invalid input: expected string, received undefined',
      '`name`: expected reverse-DNS with one slash (io.github.owner/name), got "weather"',
    ]);
    expect(reading.rendering.lines).toContain('packages: npm ok (transport stdio)');
  });

  it.each([
    ['not an object', 'a string'],
    ['no name', { description: 'x' }],
    ['neither a description nor a package or remote', { name: 'io.example/empty', version: '1' }],
  ])('refuses an entry with %s (E_SCHEMA)', (_, value) => {
    expect(() => readServerJson(value, where)).toThrow(expect.objectContaining({ code: 'E_SCHEMA' }));
  });
});

describe('listingFromJson (registry entry)', () => {
  it('does not let the registry’s timestamps change the content hash, but its status does', () => {
    const listing = listingFromJson('mcp-registry-entry', entries[0], options);
    const official = entries[0]!._meta['io.modelcontextprotocol.registry/official'] as Record<string, unknown>;
    const touched = listingFromJson('mcp-registry-entry', { ...entries[0], _meta: { 'io.modelcontextprotocol.registry/official': { ...official, updatedAt: '2027-01-01T00:00:00Z' } } }, options);
    expect(touched.contentHash).toBe(listing.contentHash);
    expect(touched.document!.meta).toEqual({ 'io.modelcontextprotocol.registry/official': { ...official, updatedAt: '2027-01-01T00:00:00Z' } });
    const deprecated = listingFromJson('mcp-registry-entry', { ...entries[0], _meta: { 'io.modelcontextprotocol.registry/official': { ...official, status: 'deprecated' } } }, options);
    expect(deprecated.contentHash).not.toBe(listing.contentHash);
    expect(deprecated.text).toContain('status: deprecated in the registry');
  });

  it('reads a bare server.json the same as the server of an entry, but for the registry status', () => {
    const bare = listingFromJson('mcp-server', entries[1]!.server, options);
    expect(bare.text).not.toContain('status:');
    expect(bare.fields.metadata).toEqual({ category: 'MCP server', name: 'com.example/postgres', version: '0.8.2' });
  });
});
