import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeScheme, readAgentCard } from '../../../src/crawl/documents/agent-card.js';
import { listingFromJson } from '../../../src/crawl/documents/index.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'structured');
const card = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const where = { url: 'https://agent.example/.well-known/agent-card.json' };
const options = { url: where.url, sourceId: 'cards', fetchedAt: '2026-01-01T00:00:00.000Z' };

describe('readAgentCard', () => {
  it('reads a v1.0 card: one fact per line, the card kept whole with its unknown fields', () => {
    const { document, rendering } = readAgentCard(card('agent-card-v1.json'), where);
    expect(document).toMatchObject({ type: 'a2a-agent-card', schema: 'a2a 1.0', warnings: [] });
    expect(document.data['x-vendor-rating']).toBe(4.5);
    expect(rendering).toMatchObject({ title: 'NorthPeak Quote Agent', category: null, capabilities: ['Quote machined part', 'Book production slot'] });
    expect(rendering.lines).toEqual(
      expect.arrayContaining([
        'protocol: A2A 1.0',
        'supportedInterfaces: JSONRPC https://agents.northpeak.example/a2a/v1',
        'provider: NorthPeak Components (https://northpeak.example)',
        'securityRequirements: oauth (quotes:create)',
        'defaultOutputModes: application/pdf, application/json',
      ]),
    );
  });

  it('reads a legacy card (url, preferredTransport, security) and names each bad field in a warning', () => {
    const { document, rendering } = readAgentCard(card('agent-card-legacy.json'), where);
    expect(document.schema).toBe('a2a 0.3.0 (legacy)');
    expect(document.warnings).toEqual(['`skills[1]` left out: `id`: Invalid input: expected string, received number']);
    expect(rendering.lines).toEqual(expect.arrayContaining(['securitySchemes: http bearer (JWT)', 'securityRequirements: bearer', 'pushNotifications: not supported']));
  });

  it('says when a card declares no security scheme, and warns about missing required fields', () => {
    const { document, rendering } = readAgentCard({ name: 'Bare', description: 'An agent with nothing else.' }, where);
    expect(rendering.lines).toContain('securitySchemes: none declared');
    expect(document.warnings).toEqual(
      expect.arrayContaining(['`version`: missing (the spec requires it)', '`skills`: missing (the spec requires it)', '`supportedInterfaces`: none usable (the card says nowhere to call the agent)']),
    );
  });

  it.each([
    ['not an object', [1, 2]],
    ['no name', { description: 'x' }],
    ['a name that is not a string', { name: 7, description: 'x' }],
    ['neither a description nor a skill', { name: 'Empty', skills: [{ id: 1 }] }],
  ])('refuses a card with %s (E_SCHEMA, URL named)', (_, value) => {
    expect(() => readAgentCard(value, where)).toThrow(expect.objectContaining({ code: 'E_SCHEMA', context: { url: where.url } }));
  });

  it('drops control characters and bidi overrides from what it renders', () => {
    const { rendering } = readAgentCard({ name: 'Evil\u0007 agent\u202E', description: 'Does\u0000 things', skills: [] }, where);
    expect(rendering.title).toBe('Evil agent');
    expect(rendering.summary).toBe('Does things');
  });
});

describe('describeScheme', () => {
  it.each([
    [{ oauth2SecurityScheme: { flows: { authorizationCode: { scopes: { a: '', b: '' } }, deviceCode: { scopes: {} } } } }, 'oauth2 authorizationCode (scopes: a, b), deviceCode'],
    [{ type: 'oauth2', flows: { clientCredentials: { scopes: { read: 'Read' } } } }, 'oauth2 clientCredentials (scopes: read)'],
    [{ apiKeySecurityScheme: { location: 'header', name: 'X-Key' } }, 'apiKey in header X-Key'],
    [{ type: 'apiKey', in: 'query', name: 'key' }, 'apiKey in query key'],
    [{ httpAuthSecurityScheme: { scheme: 'Bearer', bearerFormat: 'JWT' } }, 'http bearer (JWT)'],
    [{ openIdConnectSecurityScheme: { openIdConnectUrl: 'https://id.example' } }, 'openIdConnect'],
    [{ mtlsSecurityScheme: {} }, 'mutualTLS'],
    [{ something: 1 }, 'unrecognised scheme (something)'],
  ])('describes %j as %j', (scheme, expected) => {
    expect(describeScheme(scheme as Record<string, unknown>)).toBe(expected);
  });
});

describe('listingFromJson (agent card)', () => {
  it('puts every fact in the text, hashes the card, and names the id after the agent', () => {
    const listing = listingFromJson('a2a-agent-card', card('agent-card-v1.json'), options);
    expect(listing.id).toMatch(/^cards\.northpeak-quote-agent-[0-9a-f]{12}$/);
    expect(listing.text.split('\n').slice(0, 3)).toEqual(['NorthPeak Quote Agent', 'Prepares quotes for machined parts and books production slots in the shop schedule.', 'protocol: A2A 1.0']);
    const changed = listingFromJson('a2a-agent-card', { ...card('agent-card-v1.json'), 'x-vendor-rating': 1 }, options);
    // An unknown field is part of the card, so of its hash.
    expect(changed.contentHash).not.toBe(listing.contentHash);
    const reordered = Object.fromEntries(Object.entries(card('agent-card-v1.json')).reverse());
    expect(listingFromJson('a2a-agent-card', reordered, options).contentHash).toBe(listing.contentHash);
  });
});
