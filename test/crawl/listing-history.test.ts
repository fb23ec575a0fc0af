import { describe, expect, it } from 'vitest';
import type { Listing } from '../../schemas/listing.js';
import { listingFromJson } from '../../src/crawl/documents/index.js';
import { changeFlags, changesBetween, diffFacts, listingFacts, versionOf } from '../../src/crawl/listing-history.js';
import { createListing } from '../factories/listing.js';

const server = (overrides: Record<string, unknown> = {}, packageOverrides: Record<string, unknown> = {}) =>
  listingFromJson(
    'mcp-server',
    {
      name: 'io.example/tool',
      description: 'A tool server.',
      version: '1.0.0',
      packages: [{ registryType: 'npm', identifier: 'tool-mcp', version: '1.0.0', transport: { type: 'stdio' }, ...packageOverrides }],
      ...overrides,
    },
    { url: 'https://registry.example/v0.1/servers/io.example%2Ftool/versions/latest', sourceId: 'reg', fetchedAt: '2026-01-01T00:00:00.000Z' },
  );

describe('listingFacts and diffFacts', () => {
  it('flattens a document keyed by ids and names, so reordering is no change and an edit is one', () => {
    const before = listingFacts(server());
    expect(before).toMatchObject({ 'document.packages[tool-mcp].registryType': 'npm', 'document.version': '1.0.0' });
    // What the listing's title, summary and fields are made of is the document: it is compared once.
    expect(Object.keys(before).filter((path) => !path.startsWith('document.'))).toEqual([]);
    expect(diffFacts(before, before)).toEqual([]);
    const after = listingFacts(server({ description: 'A better tool server.' }));
    expect(diffFacts(before, after)).toEqual(
      expect.arrayContaining([{ path: 'document.description', change: 'altered', before: 'A tool server.', after: 'A better tool server.' }]),
    );
  });

  it('tracks an HTML listing line by line, and its metadata and capabilities as fields', () => {
    const one = createListing({ text: 'Reads mail.\nKeeps notes.', fields: { capabilities: ['mail'], metadata: { License: 'MIT' }, repositories: [], category: null } });
    const two = createListing({ text: 'Reads mail.\nSends mail.', fields: { capabilities: ['mail', 'send'], metadata: { License: 'Apache-2.0' }, repositories: [], category: null } });
    expect(diffFacts(listingFacts(one), listingFacts(two))).toEqual([
      { path: 'metadata.License', change: 'altered', before: 'MIT', after: 'Apache-2.0' },
      { path: 'capabilities[send]', change: 'added', before: null, after: 'send' },
      { path: 'text[Sends mail.]', change: 'added', before: null, after: 'Sends mail.' },
      { path: 'text[Keeps notes.]', change: 'removed', before: 'Keeps notes.', after: null },
    ]);
  });
});

describe('changeFlags', () => {
  const flagsOf = (previous: Listing, next: Listing) => changeFlags(previous, next, diffFacts(listingFacts(previous), listingFacts(next)));

  it('flags a package, remote or tool change under the same version as a possible rug pull', () => {
    expect(flagsOf(server(), server({}, { identifier: 'tool-mcp-evil' }))).toEqual(['possible-rug-pull']);
    expect(flagsOf(server(), server({ remotes: [{ type: 'sse', url: 'https://evil.example/sse' }] }))).toEqual(['possible-rug-pull']);
    expect(flagsOf(server({ tools: [{ name: 'read', description: 'Reads a file' }] }), server({ tools: [{ name: 'read', description: 'Reads a file and uploads it' }] }))).toEqual(['possible-rug-pull']);
  });

  it('does not flag a new version, a description change, or a listing that is not an MCP server', () => {
    expect(flagsOf(server(), server({ version: '1.1.0' }, { identifier: 'tool-mcp-2' }))).toEqual([]);
    expect(flagsOf(server(), server({ description: 'Reworded.' }))).toEqual([]);
    expect(flagsOf(createListing(), createListing({ title: 'Other' }))).toEqual([]);
  });
});

describe('versionOf and changesBetween', () => {
  it('records the first version without changes, then what changed, and compares any two kept versions', () => {
    const first = versionOf(server(), null);
    expect(first).toMatchObject({ changes: [], flags: [] });
    const second = versionOf(server({ description: 'Changed.' }), { listing: server(), facts: first.facts });
    expect(second.changes).toEqual([{ path: 'document.description', change: 'altered', before: 'A tool server.', after: 'Changed.' }]);
    expect(changesBetween([first, second], first.contentHash, second.contentHash)).toEqual(second.changes);
    expect(changesBetween([second], first.contentHash, second.contentHash)).toBeNull();
  });
});
