/** Builds valid Drafts (per schemas/draft.ts) whose score is computed by the AIVSS module. */
import { scoreWithRange } from '../../src/assess/uncertainty.js';
import type { Assessment } from '../../schemas/assessment.js';
import { draftId, draftSchema, type Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import { namedThreat, TAXONOMIES } from '../../schemas/catalogue/index.js';

export const DEFAULT_VECTOR = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
/** A vector with a low base score, for Medium/Low drafts. */
export const LOW_VECTOR = 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N';

const FACTOR_VALUES: Record<ListingFactorKey, number> = {
  autonomyOfAction: 0.6,
  goalDrivenPlanning: 0.5,
  selfModification: 0,
  dynamicToolUse: 0.8,
  persistentMemory: 0.7,
  contextualAwareness: 0.4,
  dynamicIdentity: 0.1,
  multiAgentInteractions: 0.6,
  nonDeterminism: 0.7,
  opacityAndReflexivity: 0.6,
};

const LAYER_TEXT = [
  'The agent relies on a hosted foundation model exposed to prompt injection through the tasks it reads.',
  'Long-term memory in a vector database can be poisoned by content the agent stores.',
  'The planner calls a shell, a browser and the GitHub API on its own.',
  'Deployed as a hosted SaaS with API keys per workspace.',
  'Logs are kept for 30 days; no runtime evaluation is described.',
  'No compliance certification is mentioned.',
  'Several agents coordinate through a message bus.',
];
const LAYER_EVIDENCE: Record<number, string> = {
  2: 'long-term memory of past conversations in a vector database',
  3: 'calls external tools such as a shell, a browser and the GitHub API',
  4: 'Deployed as a hosted SaaS with API keys per workspace',
  7: 'Several agents coordinate through a message bus',
};

/** A catalogue threat that belongs to each layer, for the certain layers. */
const CATALOGUE_FIRST: Record<number, string> = { 1: 'prompt-injection', 2: 'memory-poisoning', 3: 'tool-misuse', 4: 'exposed-endpoints', 5: 'no-observability', 6: 'missing-authn', 7: 'cascading-failures' };

/** Factors the listing of `createListing()` states, with the quote: three, so the draft has enough evidence. */
const QUOTES: Partial<Record<string, string>> = {
  dynamicToolUse: 'calls external tools such as a shell',
  persistentMemory: 'long-term memory',
  multiAgentInteractions: 'Several agents coordinate through a message bus',
};

/** A valid assessment grounded in the text of `createListing()`. */
export function createAssessment(overrides: Partial<Assessment> = {}): Assessment {
  const factors = Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => [
      key,
      {
        value: FACTOR_VALUES[key],
        rationale: `Estimated from the listing for ${key}.`,
        evidence: QUOTES[key] === undefined ? [] : [QUOTES[key]],
        certainty: QUOTES[key] === undefined ? 'inferred' : 'stated',
      },
    ]),
  ) as Assessment['factors'];
  return {
    summary: 'An autonomous operations agent with shell, browser and GitHub tools and long-term memory: a broad attack surface.',
    factors,
    cvss: { vector: DEFAULT_VECTOR, rationale: 'Prompt injection through a task leads to shell commands on the host.' },
    exploitMaturity: { value: 'poc', rationale: 'Indirect prompt injection against tool-using agents is demonstrated.' },
    mitigation: { value: 'none', rationale: 'No guardrails are described.' },
    layers: LAYER_TEXT.map((text, index) => {
      const evidence = LAYER_EVIDENCE[index + 1];
      return {
        layer: index + 1,
        certain: evidence !== undefined,
        threats: (evidence !== undefined ? [CATALOGUE_FIRST[index + 1]!] : []).map(namedThreat),
        otherThreats: evidence !== undefined ? [] : ['unknown'],
        text,
        evidence: evidence === undefined ? [] : [evidence],
      };
    }),
    insufficientEvidence: false,
    taxonomies: { ...TAXONOMIES },
    ...overrides,
  };
}

/** Scores an assessment exactly as the review service does. */
export function scoreOf(assessment: Assessment): Draft['score'] {
  return scoreWithRange(assessment);
}

/** Builds a valid Draft; `id` follows `listingId` and `revision`, and `score` follows the assessment, unless overridden. */
export function createDraft(overrides: Partial<Draft> = {}): Draft {
  const listingId = overrides.listingId ?? 'acme-ops-agent';
  const revision = overrides.revision ?? 1;
  const assessment = overrides.assessment ?? createAssessment();
  const draft: Draft = {
    id: draftId(listingId, revision),
    listingId,
    revision,
    version: 1,
    status: 'draft',
    assessment,
    score: scoreOf(assessment),
    checks: { grounding: [], groundingRate: 1, injection: { suspected: false, matches: [] }, warnings: [] },
    provenance: {
      assessor: 'rules',
      assessorVersion: '1',
      model: null,
      promptId: null,
      promptHash: null,
      listingContentHash: 'a'.repeat(64),
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      cached: false,
      startedAt: '2025-01-02T00:00:00.000Z',
      finishedAt: '2025-01-02T00:00:01.000Z',
      threatdraftVersion: '0.1.0',
    },
    reviews: [],
    staleText: [],
    reviewerText: [],
    createdAt: '2025-01-02T00:00:00.000Z',
    updatedAt: '2025-01-02T00:00:00.000Z',
    ...overrides,
  };
  return draftSchema.parse(draft);
}
