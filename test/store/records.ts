/** Valid records for the store tests, built from a base with overrides. */
import type { Correction } from '../../schemas/correction.js';
import { createHash } from 'node:crypto';
import { draftId, type Draft, type DraftStatus } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import type { Assessment } from '../../schemas/assessment.js';
import type { AuditEntry, Reviewer } from '../../src/store/store.js';
import { namedThreat, TAXONOMIES } from '../../schemas/catalogue/index.js';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function makeListing(overrides: Partial<Listing> = {}): Listing {
  const id = overrides.id ?? 'demo.agent-one';
  return {
    id,
    sourceId: 'demo',
    url: `https://agents.example/${id}`,
    fetchedAt: '2025-01-01T00:00:00.000Z',
    contentHash: sha256(`listing ${id}`),
    title: `Agent ${id}`,
    summary: 'An agent that reads mail.',
    text: 'It reads your mail and calls tools.',
    truncated: false,
    fields: { capabilities: ['mail'], metadata: {}, repositories: [], category: null },
    ...overrides,
  };
}

function makeAssessment(): Assessment {
  const factors = Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => [key, { value: 0.5, rationale: `Because of ${key}.`, evidence: ['calls tools'], certainty: 'stated' as const }]),
  ) as Assessment['factors'];
  return {
    summary: 'Reads mail and calls tools.',
    factors,
    cvss: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', rationale: 'Remote.' },
    exploitMaturity: { value: 'poc', rationale: 'Known technique.' },
    mitigation: { value: 'none', rationale: 'None stated.' },
    layers: [1, 2, 3, 4, 5, 6, 7].map((layer) => ({
      layer,
      certain: false,
      threats: [namedThreat(layer === 1 ? 'prompt-injection' : 'tool-misuse')].filter(() => layer === 1 || layer === 3),
      otherThreats: [],
      text: 'Not certain from the listing.',
      evidence: [],
    })),
    insufficientEvidence: false,
    taxonomies: { ...TAXONOMIES },
  };
}

export function makeDraft(overrides: Partial<Draft> & { listingId?: string; revision?: number; status?: DraftStatus } = {}): Draft {
  const listingId = overrides.listingId ?? 'demo.agent-one';
  const revision = overrides.revision ?? 1;
  return {
    id: draftId(listingId, revision),
    listingId,
    revision,
    version: 1,
    status: 'draft',
    assessment: makeAssessment(),
    score: {
      formula: 'v0.8',
      cvssBase: 9.3,
      cvssVector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      factorSum: 5,
      aars: 0.34,
      thm: 0.97,
      mf: 1,
      raw: 9.64,
      score: 9.6,
      severity: 'Critical',
      rounding: 'half-up',
    },
    checks: { grounding: [], groundingRate: 1, injection: { suspected: false, matches: [] }, warnings: [] },
    provenance: {
      assessor: 'rules',
      assessorVersion: '1',
      model: null,
      promptId: null,
      promptHash: null,
      listingContentHash: sha256(`listing ${listingId}`),
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      cached: false,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:01.000Z',
      threatdraftVersion: '0.1.0',
    },
    reviews: [],
    staleText: [],
    reviewerText: [],
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function makeReviewer(name: string): Reviewer {
  return { id: `rv_${name}`, name, tokenHash: sha256(`token for ${name}`), createdAt: '2025-01-01T00:00:00.000Z' };
}

export function makeAuditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at: '2025-01-01T00:00:00.000Z', actor: 'alice', action: 'approve', subject: 'demo.agent-one.r1', ...overrides };
}

/** A valid open correction request (override any field). */
export function makeCorrection(overrides: Partial<Correction> = {}): Correction {
  return {
    id: `c-${'0'.repeat(23)}1`,
    listingId: 'acme-agent',
    draftId: 'acme-agent.r1',
    status: 'open',
    name: 'Acme Corp',
    email: null,
    message: 'The agent does not keep any memory between sessions.',
    keyHash: sha256('key'),
    createdAt: '2025-03-01T00:00:00.000Z',
    version: 1,
    decision: null,
    ...overrides,
  };
}
