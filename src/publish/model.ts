/** Builds the published record of a draft (pure): what the JSON, HTML, Markdown and OTM render from. */
import { chainsFor } from '../../schemas/catalogue/index.js';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { PUBLISHED_SCHEMA_VERSION, type PublishedAgent } from '../../schemas/published.js';
import { factorRange, scoreWithRange } from '../assess/uncertainty.js';

/** Site-relative paths of a listing's current report or of one revision. */
export function agentPaths(listingId: string, revision: number | null): PublishedAgent['paths'] {
  const base = revision === null ? `agents/${listingId}/` : `agents/${listingId}/v${revision}/`;
  return { html: `${base}index.html`, json: `${base}index.json`, markdown: `${base}index.md`, otm: `${base}index.otm.json` };
}

/** Reviewers who approved this revision, in order, and when the last approval and the publication happened. */
export function reviewFacts(draft: Draft): PublishedAgent['review'] {
  const reviewers: string[] = [];
  let approvedAt: string | null = null;
  let publishedAt: string | null = null;
  for (const action of draft.reviews) {
    if (action.action === 'edit' || action.action === 'request-changes' || action.action === 'reject') reviewers.length = 0;
    if (action.action === 'approve') {
      if (!reviewers.includes(action.reviewer)) reviewers.push(action.reviewer);
      approvedAt = action.at;
    }
    if (action.action === 'publish' && publishedAt === null) publishedAt = action.at;
  }
  return { reviewers, approvedAt, publishedAt };
}

/** Where a vendor asks for a correction: `--corrections-url` with the agent id, or the review server's public form. */
export function correctionsLink(base: string | null, agentId: string): string {
  if (base === null) return `/corrections/new?agent=${encodeURIComponent(agentId)}`;
  const url = new URL(base);
  url.searchParams.set('agent', agentId);
  return url.href;
}

/**
 * The published record of `draft`. `paths` point at the versioned copy unless `current` is set;
 * `previous` lists earlier published revisions (newest first); `changes` names the fields this
 * revision changed from the one before it.
 */
export function toPublishedAgent(
  draft: Draft,
  listing: Listing | null,
  options: { current?: boolean; previous?: PublishedAgent['previous']; changes?: string[]; correctionsUrl?: string | null } = {},
): PublishedAgent {
  const { assessment } = draft;
  // Drafts stored before ranges were recorded get theirs from the same pure module.
  const score = draft.score.range === undefined ? { ...draft.score, range: scoreWithRange(assessment, draft.score.formula).range } : draft.score;
  const range = score.range ?? { low: score.score, high: score.score };
  return {
    schemaVersion: PUBLISHED_SCHEMA_VERSION,
    id: draft.listingId,
    draftId: draft.id,
    revision: draft.revision,
    status: draft.status,
    title: listing?.title ?? draft.listingId,
    url: listing?.url ?? '',
    source: listing?.sourceId ?? '',
    category: listing?.fields.category ?? null,
    summary: assessment.summary,
    insufficientEvidence: assessment.insufficientEvidence,
    taxonomies: { ...assessment.taxonomies },
    score: {
      value: score.score,
      range: { low: range.low, high: range.high },
      severity: score.severity,
      formula: score.formula,
      cvssBase: score.cvssBase,
      cvssVector: score.cvssVector,
      factorSum: score.factorSum,
      aars: score.aars,
      thm: score.thm,
      mf: score.mf,
      raw: score.raw,
      rounding: score.rounding,
    },
    factors: LISTING_FACTOR_KEYS.map((key) => ({
      key,
      name: LISTING_FACTORS[key],
      value: assessment.factors[key].value,
      certainty: assessment.factors[key].certainty,
      range: factorRange(assessment.factors[key].value, assessment.factors[key].certainty),
      rationale: assessment.factors[key].rationale,
      evidence: [...assessment.factors[key].evidence],
    })),
    cvss: { ...assessment.cvss },
    exploitMaturity: { ...assessment.exploitMaturity },
    mitigation: { ...assessment.mitigation },
    layers: assessment.layers.map((layer) => ({
      layer: layer.layer,
      name: MAESTRO_LAYERS[layer.layer as LayerNumber],
      certain: layer.certain,
      threats: structuredClone(layer.threats),
      otherThreats: [...layer.otherThreats],
      text: layer.text,
      evidence: [...layer.evidence],
    })),
    chains: chainsFor(assessment.layers),
    provenance: {
      assessor: draft.provenance.assessor,
      assessorVersion: draft.provenance.assessorVersion,
      model: draft.provenance.model,
      promptId: draft.provenance.promptId,
      promptHash: draft.provenance.promptHash,
      listingContentHash: draft.provenance.listingContentHash,
      assessedAt: draft.provenance.finishedAt,
      threatdraftVersion: draft.provenance.threatdraftVersion,
    },
    review: reviewFacts(draft),
    paths: agentPaths(draft.listingId, options.current === true ? null : draft.revision),
    correction: draft.correction === undefined ? null : { id: draft.correction.id, correctedAt: draft.correction.acceptedAt },
    correctionsUrl: correctionsLink(options.correctionsUrl ?? null, draft.listingId),
    previous: options.previous ?? [],
    changes: options.changes ?? [],
  };
}
