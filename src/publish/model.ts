/** Builds the published record of a draft (pure): what the JSON, HTML and Markdown render from. */
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { PUBLISHED_SCHEMA_VERSION, type PublishedAgent } from '../../schemas/published.js';

/** Site-relative paths of a listing's current report or of one revision. */
export function agentPaths(listingId: string, revision: number | null): PublishedAgent['paths'] {
  const base = revision === null ? `agents/${listingId}/` : `agents/${listingId}/v${revision}/`;
  return { html: `${base}index.html`, json: `${base}index.json`, markdown: `${base}index.md` };
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

/**
 * The published record of `draft`. `paths` point at the versioned copy unless `current` is set;
 * `previous` lists earlier published revisions (newest first).
 */
export function toPublishedAgent(
  draft: Draft,
  listing: Listing | null,
  options: { current?: boolean; previous?: PublishedAgent['previous'] } = {},
): PublishedAgent {
  const { assessment, score } = draft;
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
    score: {
      value: score.score,
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
      threats: [...layer.threats],
      text: layer.text,
      evidence: [...layer.evidence],
    })),
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
    previous: options.previous ?? [],
  };
}
