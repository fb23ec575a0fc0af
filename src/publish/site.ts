/**
 * Builds the whole static site in memory (pure): same drafts, listings and options in, same bytes
 * out. Paths are sorted; nothing reads the clock; dates come from the drafts.
 */
import { z } from 'zod';
import type { Draft } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import {
  PUBLISHED_SCHEMA_VERSION,
  publishedAgentSchema,
  publishedIndexSchema,
  type PublishedAgent,
  type PublishedIndex,
} from '../../schemas/published.js';
import { diffDrafts } from '../review/diff.js';
import { directoryCsv } from './csv.js';
import { methodologyPage, type MethodFacts } from './methodology.js';
import { agentPaths, reviewFacts, toPublishedAgent } from './model.js';
import { toOtm } from './otm.js';
import { agentMarkdown } from './render-markdown.js';
import { agentPage, indexPage } from './render-html.js';
import { SITE_CSS } from './style.js';

/** The marker file that says a directory is a threatdraft site (so publish may replace it). */
export const SITE_MARKER = '.threatdraft-site';

export interface SiteOptions {
  /** `publish --corrections-url`: where agent pages send vendors; null: the review server's `/corrections/new`. */
  correctionsUrl?: string | null;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The fields `after` changed from `before`, as people name them, once each in report order. */
export function changedFields(before: Draft | undefined, after: Draft): string[] {
  return before === undefined ? [] : [...new Set(diffDrafts(before, after).map((entry) => entry.label))];
}

/** Every file of the site, path → content, for the published and superseded drafts given. */
export function buildSite(drafts: readonly Draft[], listings: ReadonlyMap<string, Listing>, options: SiteOptions = {}): Map<string, string> {
  const correctionsUrl = options.correctionsUrl ?? null;
  const files = new Map<string, string>();
  const byListing = new Map<string, Draft[]>();
  for (const draft of drafts) {
    if (draft.status !== 'published' && draft.status !== 'superseded') continue;
    byListing.set(draft.listingId, [...(byListing.get(draft.listingId) ?? []), draft]);
  }
  const index: PublishedIndex = { schemaVersion: PUBLISHED_SCHEMA_VERSION, agents: [] };
  const method: MethodFacts = { assessors: new Set(), models: new Set(), prompts: new Set() };
  for (const listingId of [...byListing.keys()].sort()) {
    const revisions = (byListing.get(listingId) ?? []).sort((a, b) => b.revision - a.revision);
    const listing = listings.get(listingId) ?? null;
    // Each revision with what it changed from the one published before it (newest first).
    const history: PublishedAgent['previous'] = revisions.map((draft, position) => ({
      revision: draft.revision,
      publishedAt: reviewFacts(draft).publishedAt,
      score: draft.score.score,
      severity: draft.score.severity,
      corrected: draft.correction !== undefined,
      changes: changedFields(revisions[position + 1], draft),
      paths: agentPaths(draft.listingId, draft.revision),
    }));
    for (const [position, draft] of revisions.entries()) {
      const own = { previous: history.slice(position + 1), changes: history[position]?.changes ?? [], correctionsUrl };
      writeAgent(files, publishedAgentSchema.parse(toPublishedAgent(draft, listing, own)), '../../../');
    }
    const position = revisions.findIndex((draft) => draft.status === 'published');
    const current = revisions[position];
    if (current === undefined) continue;
    method.assessors.add(`${current.provenance.assessor} ${current.provenance.assessorVersion}`);
    if (current.provenance.model !== null) method.models.add(current.provenance.model);
    if (current.provenance.promptId !== null) method.prompts.add(`${current.provenance.promptId} (${(current.provenance.promptHash ?? '').slice(0, 12)})`);
    const agent = publishedAgentSchema.parse(
      toPublishedAgent(current, listing, { current: true, previous: history.slice(position + 1), changes: history[position]?.changes ?? [], correctionsUrl }),
    );
    writeAgent(files, agent, '../../');
    index.agents.push({
      id: agent.id,
      title: agent.title,
      category: agent.category,
      source: agent.source,
      revision: agent.revision,
      score: agent.score.value,
      range: agent.score.range,
      severity: agent.score.severity,
      formula: agent.score.formula,
      insufficientEvidence: agent.insufficientEvidence,
      asi: [...new Set(agent.layers.flatMap((layer) => layer.threats.flatMap((threat) => threat.asi)))].sort(),
      publishedAt: agent.review.publishedAt,
      paths: agent.paths,
    });
  }
  index.agents.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  files.set('agents.json', json(publishedIndexSchema.parse(index)));
  files.set('agents.csv', directoryCsv(index));
  files.set('index.html', indexPage(index));
  files.set('methodology.html', methodologyPage(method));
  files.set('style.css', SITE_CSS);
  files.set('schema/agent.schema.json', json(z.toJSONSchema(publishedAgentSchema)));
  files.set('schema/agents.schema.json', json(z.toJSONSchema(publishedIndexSchema)));
  files.set(SITE_MARKER, 'Generated by threatdraft publish; the whole directory is replaced on each run.\n');
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function writeAgent(files: Map<string, string>, agent: PublishedAgent, root: string): void {
  files.set(agent.paths.html, agentPage(agent, root));
  files.set(agent.paths.json, json(agent));
  files.set(agent.paths.markdown, agentMarkdown(agent));
  files.set(agent.paths.otm, json(toOtm(agent)));
}
