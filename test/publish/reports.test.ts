/**
 * What a published report gives people to act on: catalogue threats with ASI chips and
 * mitigations, cross-layer chains, the score range and factor certainty, the insufficient-evidence
 * banner, the methodology page linked from every page, the corrections link, per-agent history
 * with what changed, an Open Threat Model file per agent valid against the OTM schema, and the
 * directory as CSV.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { ASI, namedThreat, T_TAXONOMY } from '../../schemas/catalogue/index.js';
import type { Draft } from '../../schemas/draft.js';
import { publishedAgentSchema } from '../../schemas/published.js';
import { main } from '../../src/cli/main.js';
import { computeAivss } from '../../src/aivss/index.js';
import { INSUFFICIENT_SENTENCE, scoreWithRange } from '../../src/assess/uncertainty.js';
import { csvCell, directoryCsv } from '../../src/publish/csv.js';
import { WORKED_EXAMPLE } from '../../src/publish/methodology.js';
import { buildSite } from '../../src/publish/site.js';
import { createAssessment, createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { captureIo } from '../helpers/io.js';

const at = (day: string) => `2025-02-${day}T10:00:00.000Z`;
const publishedAt = (day: string) => [
  { reviewer: 'alice', action: 'approve' as const, comment: null, at: at(day) },
  { reviewer: 'publisher', action: 'publish' as const, comment: null, at: at(day) },
];

/** An agent with two published revisions: r2 changes a factor and names the chain L1 → L3. */
function history(): { drafts: Draft[]; listings: Map<string, ReturnType<typeof createListing>> } {
  const r1 = createDraft({ revision: 1, status: 'superseded', reviews: publishedAt('01') });
  const assessment = structuredClone(r1.assessment);
  assessment.factors.persistentMemory.value = 0;
  assessment.layers[0]!.threats = [namedThreat('prompt-injection')];
  const r2 = createDraft({ revision: 2, status: 'published', assessment, reviews: publishedAt('05'), correction: { id: `c-${'a'.repeat(24)}`, acceptedAt: at('04'), acceptedBy: 'alice' } });
  const thinAssessment = createAssessment({ insufficientEvidence: true, summary: `Thin. ${INSUFFICIENT_SENTENCE}` });
  const thin = createDraft({ listingId: 'thin-agent', status: 'published', assessment: thinAssessment, reviews: publishedAt('03') });
  return {
    drafts: [r1, r2, thin],
    listings: new Map([
      ['acme-ops-agent', createListing()],
      ['thin-agent', createListing({ id: 'thin-agent', title: '=HYPERLINK("http://evil.example","Thin, agent")' })],
    ]),
  };
}

describe('a published report', () => {
  const { drafts, listings } = history();
  const site = buildSite(drafts, listings);
  const page = load(site.get('agents/acme-ops-agent/index.html')!);
  const json = publishedAgentSchema.parse(JSON.parse(site.get('agents/acme-ops-agent/index.json')!));

  it('shows the score with its plausible range, and each factor with its range and how the listing pins it', () => {
    const range = scoreWithRange(drafts[1]!.assessment).range!;
    expect(page('[data-range]').text()).toBe(`(${range.low.toFixed(1)}–${range.high.toFixed(1)})`);
    expect(json.score.range).toEqual(range);
    expect(page('tr[data-factor="dynamicToolUse"] .certainty').text()).toBe('stated in prose');
    expect(page('tr[data-factor="autonomyOfAction"] .certainty').text()).toBe('inferred from kind');
    expect(json.factors.find((factor) => factor.key === 'dynamicToolUse')).toMatchObject({ value: 0.8, certainty: 'stated', range: { low: 0.65, high: 0.95 } });
  });

  it('names catalogue threats with ASI and T chips linking to their descriptions, mitigations and cross-layer chains', () => {
    const l1 = page('section.layer[data-layer="1"] ul.threats li');
    expect(l1.attr('data-threat')).toBe('prompt-injection');
    expect(l1.find('a.chip').toArray().map((a) => [page(a).text(), page(a).attr('href')])).toEqual([
      ['ASI01', '../../methodology.html#ASI01'],
      ['T6', '../../methodology.html#T6'],
    ]);
    expect(page('ul.chains li').first().text()).toMatch(/^L1 prompt injection → L3 tool misuse: injected instructions choose the tool calls$/);
    expect(json.chains[0]).toEqual({ from: { id: 'prompt-injection', layer: 1 }, to: { id: 'tool-misuse', layer: 3 }, how: 'injected instructions choose the tool calls' });
    expect(page('ul.mitigations li[data-mitigation="human-approval"]').text()).toContain('prompt injection');
    expect(json.taxonomies).toMatchObject({ asi: 'OWASP Top 10 for Agentic Applications 2026', t: 'OWASP Agentic AI Threats and Mitigations v1.1' });
    expect(page('footer .taxonomies').text()).toContain('OWASP Top 10 for Agentic Applications 2026');
  });

  it('links the methodology and a correction request, says when it was corrected, and lists earlier versions with what changed', () => {
    expect(page('a[data-methodology]').attr('href')).toBe('../../methodology.html');
    expect(page('header.site a.nav').attr('href')).toBe('../../methodology.html');
    expect(page('a[data-corrections]').attr('href')).toBe('/corrections/new?agent=acme-ops-agent');
    expect(page('a[data-corrections]').text()).toBe('Are you the vendor? Request a correction');
    expect(page('[data-corrected]').text()).toBe('Corrected on 2025-02-04 after a factual correction from the vendor.');
    const earlier = page('.versions li[data-revision="1"]');
    expect(earlier.find('a').attr('href')).toBe('../../agents/acme-ops-agent/v1/index.html');
    expect(earlier.text()).toContain('published 2025-02-01');
    expect(earlier.text()).toContain('first published version');
    expect(page('.versions p').text()).toContain('Persistent Memory value');
    expect(json.previous).toEqual([
      expect.objectContaining({ revision: 1, publishedAt: at('01'), score: drafts[0]!.score.score, severity: drafts[0]!.score.severity, corrected: false, changes: [] }),
    ]);
    expect(json.changes).toEqual(['Persistent Memory value', 'L1 Foundation Models threats']);
    expect(json.correction).toEqual({ id: `c-${'a'.repeat(24)}`, correctedAt: at('04') });
  });

  it('sends vendors to --corrections-url when given, with the agent id', () => {
    const other = load(buildSite(drafts, listings, { correctionsUrl: 'https://example.com/fix?src=site' }).get('agents/acme-ops-agent/index.html')!);
    expect(other('a[data-corrections]').attr('href')).toBe('https://example.com/fix?src=site&agent=acme-ops-agent');
  });

  it('carries a visible banner, and a tag in the index, when the evidence is insufficient', () => {
    const thin = load(site.get('agents/thin-agent/index.html')!);
    expect(thin('[data-insufficient]').text()).toContain('Insufficient evidence');
    expect(page('[data-insufficient]').length).toBe(0);
    const index = load(site.get('index.html')!);
    expect(index('a[href="agents/thin-agent/index.html"] + .tag-insufficient').text()).toBe('insufficient evidence');
    expect(index('a[href="methodology.html"]').length).toBeGreaterThan(0);
    expect(index('a[href="agents.csv"]').length).toBe(1);
  });
});

describe('the methodology page', () => {
  const { drafts, listings } = history();
  const $ = load(buildSite(drafts, listings).get('methodology.html')!);

  it('gives the AIVSS formula and version with a worked example computed by the scoring module', () => {
    const expected = computeAivss({ formula: 'v0.8', cvss: WORKED_EXAMPLE.cvss, factors: { ...WORKED_EXAMPLE.factors }, thm: WORKED_EXAMPLE.thm, mf: WORKED_EXAMPLE.mf });
    expect($('#aivss + p').text()).toContain('AARS = (10 − C) × (ΣF / 10) × ThM');
    expect($('[data-worked-score]').text()).toBe(`${expected.score.toFixed(1)} ${expected.severity}`);
  });

  it('defines the ten factors with their rubric, how certainty is decided, the taxonomies, what drafted the reports, review and the disclaimer', () => {
    expect($('table.rubric tbody tr')).toHaveLength(10);
    expect($('table.certainty-table tbody tr th').toArray().map((th) => $(th).text())).toEqual(['field', 'stated', 'inferred', 'unknown']);
    expect($('#certainty ~ p').text()).toContain('insufficient evidence');
    for (const entry of [...ASI, ...T_TAXONOMY]) expect($(`tr[id="${entry.id}"] td`).first().text()).toBe(entry.name);
    expect($('tr#threat-tool-misuse').text()).toContain('ASI02');
    expect($('#assessors + p').text()).toContain('rules');
    expect($('#review + p').text()).toContain('two distinct reviewers');
    expect($('#disclaimer + p').text()).toContain('not a penetration test, audit, or certification');
  });
});

describe('Open Threat Model export', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'otm', 'otm_schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('writes one OTM file per report, valid against the OTM 0.2.0 JSON schema', () => {
    const { drafts, listings } = history();
    const site = buildSite(drafts, listings);
    const files = [...site.keys()].filter((path) => path.endsWith('.otm.json'));
    expect(files.sort()).toEqual(['agents/acme-ops-agent/index.otm.json', 'agents/acme-ops-agent/v1/index.otm.json', 'agents/acme-ops-agent/v2/index.otm.json', 'agents/thin-agent/index.otm.json', 'agents/thin-agent/v1/index.otm.json']);
    for (const file of files) {
      const otm: unknown = JSON.parse(site.get(file)!);
      expect(validate(otm), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('maps layers to components, catalogue threats to threats with ASI and T categories, and their mitigations', () => {
    const { drafts, listings } = history();
    const otm = JSON.parse(buildSite(drafts, listings).get('agents/acme-ops-agent/index.otm.json')!) as {
      project: { id: string; attributes: { aivssScore: number } };
      components: { id: string; name: string; threats: { threat: string; mitigations: { mitigation: string }[] }[] }[];
      threats: { id: string; categories: string[] }[];
      mitigations: { id: string }[];
    };
    expect(otm.project).toMatchObject({ id: 'acme-ops-agent', attributes: { aivssScore: drafts[1]!.score.score } });
    expect(otm.components.map((component) => component.name)).toEqual(['L1 Foundation Models', 'L2 Data Operations', 'L3 Agent Frameworks', 'L4 Deployment & Infrastructure', 'L5 Evaluation & Observability', 'L6 Security & Compliance', 'L7 Agent Ecosystem']);
    expect(otm.components[0]!.threats[0]).toMatchObject({ threat: 'prompt-injection', mitigations: expect.arrayContaining([{ mitigation: 'input-isolation', state: 'RECOMMENDED' }]) as unknown });
    expect(otm.threats.find((threat) => threat.id === 'prompt-injection')?.categories).toEqual(['ASI01', 'T6']);
    // Every threat and mitigation a component refers to is defined once.
    const threatIds = new Set(otm.threats.map((threat) => threat.id));
    const mitigationIds = new Set(otm.mitigations.map((mitigation) => mitigation.id));
    for (const component of otm.components) {
      for (const ref of component.threats) {
        expect(threatIds.has(ref.threat)).toBe(true);
        for (const mitigation of ref.mitigations) expect(mitigationIds.has(mitigation.mitigation)).toBe(true);
      }
    }
  });

  it('is refused by the schema when a required part is missing (the check can fail)', () => {
    expect(validate({ otmVersion: '0.2.0' })).toBe(false);
    expect(validate({ otmVersion: '0.2.0', project: { name: 'x', id: 'x' }, components: [{ id: 'c', name: 'c', type: 't' }] })).toBe(false);
  });
});

describe('the directory as CSV', () => {
  it('has one row per current report: agent, score, band, range, ASI ids and published date', () => {
    const { drafts, listings } = history();
    const csv = buildSite(drafts, listings).get('agents.csv')!;
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('agent,title,score,band,range_low,range_high,asi_ids,insufficient_evidence,published,report');
    expect(rows).toHaveLength(3);
    const acme = rows.find((row) => row.startsWith('acme-ops-agent,'))!;
    const range = scoreWithRange(drafts[1]!.assessment).range!;
    expect(acme).toContain(`,${drafts[1]!.score.score.toFixed(1)},${drafts[1]!.score.severity},${range.low.toFixed(1)},${range.high.toFixed(1)},`);
    const asi = [...new Set(drafts[1]!.assessment.layers.flatMap((layer) => layer.threats.flatMap((threat) => threat.asi)))].sort().join(';');
    expect(asi).toMatch(/^ASI01;/);
    expect(acme).toContain(`,${asi},no,2025-02-05,agents/acme-ops-agent/index.html`);
  });

  it('quotes commas and quotes, and defuses cells a spreadsheet would run as formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a, "b"')).toBe('"a, ""b"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-2+3')).toBe("'-2+3");
    const { drafts, listings } = history();
    const thin = buildSite(drafts, listings).get('agents.csv')!.split('\r\n').find((row) => row.startsWith('thin-agent,'))!;
    expect(thin).toContain(`"'=HYPERLINK(""http://evil.example"",""Thin, agent"")"`);
    expect(thin).toContain(',yes,');
    expect(directoryCsv({ schemaVersion: 2, agents: [] })).toBe('agent,title,score,band,range_low,range_high,asi_ids,insufficient_evidence,published,report\r\n');
  });
});

describe('publish --corrections-url', () => {
  it('refuses a URL that is not http(s) with exit 2, naming the option', async () => {
    const io = captureIo();
    const out = join(mkdtempSync(join(tmpdir(), 'td-corr-url-')), 'site');
    const code = await main(['publish', '--out', out, '--corrections-url', 'javascript:alert(1)', '--data', mkdtempSync(join(tmpdir(), 'td-data-'))], io);
    expect(code).toBe(2);
    expect(io.err()).toContain('--corrections-url');
  });
});
