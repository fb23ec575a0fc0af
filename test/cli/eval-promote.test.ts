import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSchema } from '../../evals/runner/case-schema.js';
import type { Draft } from '../../schemas/draft.js';
import type { Listing } from '../../schemas/listing.js';
import { assessListing } from '../../src/assess/assess.js';
import { createRulesAssessor } from '../../src/assess/rules/assess.js';
import { main } from '../../src/cli/main.js';
import { listingFromJson } from '../../src/crawl/documents/index.js';
import { extractListing } from '../../src/crawl/extract.js';
import { openStore } from '../../src/store/open-store.js';
import { createDraft } from '../factories/draft.js';
import { captureIo } from '../helpers/io.js';

const ROOT = join(import.meta.dirname, '..', '..');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'td-promote-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(args, io);
  const lines = io
    .out()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines, err: io.err() };
}

/** A page listing, as the crawl would extract it. */
function pageListing() {
  const html = readFileSync(join(ROOT, 'evals', 'cases', 'hw-pentest-agent', 'listing.html'), 'utf8');
  return extractListing(html, { url: 'https://agents.example/redshift', sourceId: 'acme', fetchedAt: '2026-01-01T00:00:00.000Z' });
}

/** A file store holding one listing and the rules assessor's draft of it, as `run` would leave it. */
async function seedStore(data: string, listing: Listing = pageListing(), status: Draft['status'] = 'draft') {
  const assessed = await assessListing(listing, { assessor: createRulesAssessor(), now: () => new Date('2026-01-01T00:00:00.000Z') });
  const draft = createDraft({ listingId: listing.id, status, assessment: assessed.assessment, score: assessed.score, checks: assessed.checks, provenance: assessed.provenance });
  const store = await openStore({ dataDir: data });
  try {
    await store.listings.put(listing);
    await store.drafts.save(draft, null);
  } finally {
    await store.close();
  }
  return { listing, draft };
}

describe('threatdraft eval promote', () => {
  it('promotes a draft approved from the CLI into a case that the next eval runs', async () => {
    const data = join(work, 'data');
    const cases = join(work, 'cases');
    const { draft } = await seedStore(data);

    const added = await cli(['reviewers', 'add', 'ana', '--data', data, '--json']);
    expect(added.code).toBe(0);
    const token = added.lines[0]?.['token'];
    expect(typeof token).toBe('string');

    // Not approved yet: refused, nothing written.
    const early = await cli(['eval', 'promote', draft.id, '--cases', cases, '--data', data, '--json']);
    expect(early.code).toBe(2);
    expect(early.err).toContain(`Draft ${draft.id} is draft: only approved or published drafts can be promoted`);
    expect(existsSync(cases)).toBe(false);

    const approved = await cli(['drafts', 'approve', draft.id, '--comment', 'checked against the listing', '--data', data, '--json'], {
      THREATDRAFT_REVIEWER_TOKEN: token as string,
    });
    expect(approved.err).toBe('');
    expect(approved.code).toBe(0);

    const promoted = await cli(['eval', 'promote', draft.id, '--cases', cases, '--data', data, '--json']);
    expect(promoted.err).toBe('');
    expect(promoted.code).toBe(0);
    const caseId = promoted.lines[0]?.['case'] as string;
    expect(promoted.lines[0]).toEqual({ case: caseId, dir: join(cases, caseId) });
    const expected = expectedSchema.parse(JSON.parse(readFileSync(join(cases, caseId, 'expected.json'), 'utf8')));
    expect(expected).toMatchObject({ id: caseId, origin: 'promoted', url: 'https://agents.example/redshift', score: { band: draft.score.severity, value: draft.score.score } });
    expect(expected.rationale).toContain('approved by ana');

    const store = await openStore({ dataDir: data });
    try {
      expect((await store.audit.list()).filter((entry) => entry.action === 'eval-promote').map((entry) => entry.subject)).toEqual([draft.id]);
    } finally {
      await store.close();
    }

    // The next eval over that folder runs the new case, and the rules assessor reproduces the
    // reviewed values it was promoted from.
    const evaluated = await cli(['eval', '--cases', cases, '--data', join(work, 'eval-data'), '--baseline', join(work, 'promoted.json'), '--update-baseline', '--json']);
    expect(evaluated.err).toBe('');
    expect(evaluated.code).toBe(0);
    expect(evaluated.lines.at(-1)).toMatchObject({ cases: 1, assessed: 1, reused: 0, passed: true });
    expect(evaluated.lines[0]).toMatchObject({
      case: caseId,
      score: draft.score.score,
      severity: draft.score.severity,
      metrics: { factorMae: 0, withinTolerance: 1, bandAccuracy: 1, scoreMae: 0, layerCertaintyAccuracy: 1 },
    });
  }, 30_000);

  it('promotes a draft of a registry listing with its server.json and registry status, which the next eval reads the same way', async () => {
    const data = join(work, 'data-registry');
    const cases = join(work, 'cases-registry');
    const entry = (JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'structured', 'registry-servers.json'), 'utf8')) as unknown[])[1];
    const listing = listingFromJson('mcp-registry-entry', entry, { url: 'https://registry.example/v0.1/servers/com.example%2Fpostgres/versions/latest', sourceId: 'reg', fetchedAt: '2026-01-01T00:00:00.000Z' });
    const { draft } = await seedStore(data, listing, 'approved');
    const promoted = await cli(['eval', 'promote', draft.id, '--cases', cases, '--data', data, '--json']);
    expect(promoted.code).toBe(0);
    const dir = promoted.lines[0]?.['dir'] as string;
    expect(existsSync(join(dir, 'listing.html'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'registry-entry.json'), 'utf8'))).toEqual(entry);
    const evaluated = await cli(['eval', '--cases', cases, '--data', join(work, 'eval-data-registry'), '--baseline', join(work, 'promoted-registry.json'), '--update-baseline', '--json']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.lines[0]).toMatchObject({ score: draft.score.score, metrics: { factorMae: 0, layerCertaintyAccuracy: 1 } });
  }, 30_000);

  it('exits 2 for a draft id the store does not hold', async () => {
    const result = await cli(['eval', 'promote', 'nowhere.r1', '--cases', join(work, 'none'), '--data', join(work, 'empty'), '--json']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('No draft nowhere.r1');
  });
});
