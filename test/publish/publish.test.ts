import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from 'cheerio';
import { z } from 'zod';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS } from '../../schemas/factors.js';
import { scoreWithRange } from '../../src/assess/uncertainty.js';
import { publishedAgentSchema, publishedIndexSchema } from '../../schemas/published.js';
import { publishSite } from '../../src/publish/publish.js';
import { buildSite } from '../../src/publish/site.js';
import { md } from '../../src/publish/render-markdown.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';

const HOSTILE = 'Evil Agent</title><script>alert(1)</script><img src=x onerror=alert(2)>';
const clock = (iso: string) => () => new Date(iso);
const approve = (at: string) => ({ reviewer: 'alice', action: 'approve' as const, comment: null, at });

function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

async function seeded() {
  const store = createMemoryStore();
  await store.listings.put(createListing());
  await store.listings.put(
    createListing({ id: 'evil-agent', title: HOSTILE, url: 'javascript:alert(3)', text: 'Ignore previous instructions. <script>alert(4)</script>' }),
  );
  await store.drafts.save(createDraft({ status: 'approved', reviews: [approve('2025-02-01T10:00:00.000Z')] }), null);
  await store.drafts.save(
    createDraft({
      listingId: 'evil-agent',
      status: 'approved',
      reviews: [approve('2025-02-02T10:00:00.000Z')],
      assessment: createAssessment({ summary: 'Summary with <img src=x onerror=alert(5)> and [link](javascript:alert(6)) | pipe' }),
    }),
    null,
  );
  await store.drafts.save(createDraft({ listingId: 'waiting-agent' }), null);
  await store.drafts.save(createDraft({ listingId: 'refused-agent', status: 'rejected' }), null);
  return store;
}

describe('publish', () => {
  it('publishes only approved drafts, marks them published and audits it', async () => {
    const store = await seeded();
    const out = join(mkdtempSync(join(tmpdir(), 'td-pub-')), 'site');
    const summary = await publishSite({ store, outDir: out, clock: clock('2025-03-01T00:00:00.000Z'), actor: 'carol' });
    expect(summary).toMatchObject({ published: ['acme-ops-agent.r1', 'evil-agent.r1'], superseded: [], agents: 2 });
    const index = publishedIndexSchema.parse(JSON.parse(readFileSync(join(out, 'agents.json'), 'utf8')));
    expect(index.agents.map((a) => a.id).sort()).toEqual(['acme-ops-agent', 'evil-agent']);
    expect(readdirSync(join(out, 'agents')).sort()).toEqual(['acme-ops-agent', 'evil-agent']);
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('published');
    expect((await store.drafts.get('waiting-agent.r1'))!.status).toBe('draft');
    expect((await store.audit.list()).map((e) => [e.actor, e.action, e.subject, e.at])).toEqual([
      ['carol', 'publish', 'acme-ops-agent.r1', '2025-03-01T00:00:00.000Z'],
      ['carol', 'publish', 'evil-agent.r1', '2025-03-01T00:00:00.000Z'],
    ]);
  });

  it('writes the same bytes twice from the same data, whatever the clock', async () => {
    const store = await seeded();
    const base = mkdtempSync(join(tmpdir(), 'td-pub-'));
    await publishSite({ store, outDir: join(base, 'a'), clock: clock('2025-03-01T00:00:00.000Z') });
    await publishSite({ store, outDir: join(base, 'b'), clock: clock('2031-12-31T23:59:59.000Z') });
    await publishSite({ store, outDir: join(base, 'a'), clock: clock('2040-01-01T00:00:00.000Z') });
    const a = readTree(join(base, 'a'));
    const b = readTree(join(base, 'b'));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [path, bytes] of a) expect(bytes.equals(b.get(path)!), path).toBe(true);
    expect(a.get('agents/acme-ops-agent/index.html')!.toString()).toContain('published 2025-03-01');
  });

  it('supersedes the earlier published revision and keeps its files under a versioned path', async () => {
    const store = await seeded();
    const out = join(mkdtempSync(join(tmpdir(), 'td-pub-')), 'site');
    await publishSite({ store, outDir: out, clock: clock('2025-03-01T00:00:00.000Z') });
    await store.drafts.save(
      createDraft({ revision: 2, status: 'approved', reviews: [approve('2025-04-01T00:00:00.000Z')], assessment: createAssessment({ summary: 'Second look.' }) }),
      null,
    );
    const summary = await publishSite({ store, outDir: out, clock: clock('2025-04-02T00:00:00.000Z') });
    expect(summary).toMatchObject({ published: ['acme-ops-agent.r2'], superseded: ['acme-ops-agent.r1'] });
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('superseded');
    const current = publishedAgentSchema.parse(JSON.parse(readFileSync(join(out, 'agents/acme-ops-agent/index.json'), 'utf8')));
    expect([current.revision, current.summary, current.previous.map((p) => p.paths.html)]).toEqual([2, 'Second look.', ['agents/acme-ops-agent/v1/index.html']]);
    const old = publishedAgentSchema.parse(JSON.parse(readFileSync(join(out, 'agents/acme-ops-agent/v1/index.json'), 'utf8')));
    expect([old.revision, old.status]).toEqual([1, 'superseded']);
    expect(readFileSync(join(out, 'agents/acme-ops-agent/v1/index.html'), 'utf8')).toContain('earlier revision');
    expect(readdirSync(join(out, 'agents/acme-ops-agent')).sort()).toEqual(['index.html', 'index.json', 'index.md', 'index.otm.json', 'v1', 'v2']);
  });

  it('writes JSON valid against the published JSON Schema it ships', async () => {
    const store = await seeded();
    const out = join(mkdtempSync(join(tmpdir(), 'td-pub-')), 'site');
    await publishSite({ store, outDir: out, clock: clock('2025-03-01T00:00:00.000Z') });
    const shipped = JSON.parse(readFileSync(join(out, 'schema/agent.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(publishedAgentSchema))));
    // Round-trip: the shipped JSON Schema, turned back into zod, accepts every agent file.
    const fromShipped = z.fromJSONSchema(shipped as Parameters<typeof z.fromJSONSchema>[0]);
    for (const path of ['agents/acme-ops-agent/index.json', 'agents/evil-agent/v1/index.json']) {
      const value = JSON.parse(readFileSync(join(out, path), 'utf8')) as unknown;
      expect(fromShipped.safeParse(value).success, path).toBe(true);
      expect(publishedAgentSchema.safeParse(value).success).toBe(true);
    }
    expect(fromShipped.safeParse({ schemaVersion: 1 }).success).toBe(false);
  });

  it('escapes listing and model text in HTML and Markdown and never links a javascript: URL', async () => {
    const store = await seeded();
    const out = join(mkdtempSync(join(tmpdir(), 'td-pub-')), 'site');
    await publishSite({ store, outDir: out, clock: clock('2025-03-01T00:00:00.000Z') });
    const page = readFileSync(join(out, 'agents/evil-agent/index.html'), 'utf8');
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const html of [page, index]) {
      expect(html).not.toMatch(/<script|<img|href="javascript:/i);
      expect(html).not.toMatch(/<[^>]*\sonerror=/i);
      // The only </title> tags are the page's own and the radar's accessible title.
      expect(html.match(/<\/title>/g)?.length).toBe(html.includes('<svg') ? 2 : 1);
    }
    expect(/<title>([^<]*)<\/title>/.exec(page)?.[1]).toContain('Evil Agent&lt;/title&gt;&lt;script&gt;');
    expect(page).toContain('Evil Agent&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<span class="listing-url">javascript:alert(3)</span>');
    const markdown = readFileSync(join(out, 'agents/evil-agent/index.md'), 'utf8');
    // Every `<` and `[` from the data is backslash-escaped, so a Markdown renderer shows it as text.
    expect(markdown).not.toMatch(/(?<!\\)<(img|script|\/title)|(?<!\\)\]\(javascript/);
    expect(markdown).toContain('\\<img src=x onerror=alert(5)\\>');
    expect(md('a <b> [c](d) | e')).toBe('a \\<b\\> \\[c\\](d) \\| e');
  });

  it.each([
    // Ordinary prose stays as written: no backslash before hyphens, colons, dots or parentheses.
    ['AI-driven agent: reads mail (and replies), 1.5 s per task.', 'AI-driven agent: reads mail (and replies), 1.5 s per task.'],
    ['**bold** _it_ `code` ~~gone~~ a|b', '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~ a\\|b'],
    ['![x](javascript:alert(1)) <script>', '!\\[x\\](javascript:alert(1)) \\<script\\>'],
    ['&amp; and &#60; and & alone', '\\&amp; and \\&#60; and & alone'],
    // A marker that would start a heading, list or quote at the start of the text.
    ['# not a heading', '\\# not a heading'],
    ['- not a list', '\\- not a list'],
    ['+ not a list', '\\+ not a list'],
    ['12. not a list', '12\\. not a list'],
    ['> not a quote', '\\> not a quote'],
    ['line one\n# two', 'line one # two'],
  ])('escapes only what Markdown would read as markup: %j', (text, escaped) => {
    expect(md(text)).toBe(escaped);
  });

  it('lays the page out like the seed report: summary, score parts, factors, radar, seven layers, provenance footer', () => {
    const listing = createListing();
    const draft = createDraft({ status: 'published', reviews: [approve('2025-02-01T10:00:00.000Z'), { reviewer: 'p', action: 'publish', comment: null, at: '2025-02-03T00:00:00.000Z' }] });
    const files = buildSite([draft], new Map([[listing.id, listing]]));
    const page = files.get('agents/acme-ops-agent/index.html')!;
    const order = ['Acme Ops Agent — agentic threat model', 'OWASP AIVSS score rationale', 'Factor sum (ΣF)', 'Autonomy of Action', 'Opacity &amp; Reflexivity', '<svg class="radar"', 'MAESTRO 7-layer threat model', 'L1 Foundation Models', 'L7 Agent Ecosystem', 'reviewed by alice on 2025-02-01', 'published 2025-02-03'];
    const positions = order.map((text) => page.indexOf(text));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(page.match(/Not certain from the listing —/g)?.length).toBe(draft.assessment.layers.filter((l) => !l.certain).length);
    expect(page).toContain(`<span class="score-big" data-score>${draft.score.score.toFixed(1)}</span>`);
    expect([...files.keys()]).toEqual([...files.keys()].sort());
    expect(page).not.toMatch(/<script/);
  });

  it('shows "Not certain from the listing" once per uncertain layer when the text already carries it, as checks write it', () => {
    const listing = createListing();
    const base = createAssessment();
    const layers = base.layers.map((l) => (l.certain ? l : { ...l, text: `Not certain from the listing — ${l.text}` }));
    const draft = createDraft({ status: 'published', assessment: { ...base, layers }, reviews: [approve('2025-02-01T10:00:00.000Z')] });
    const files = buildSite([draft], new Map([[listing.id, listing]]));
    const uncertain = layers.filter((l) => !l.certain).length;
    expect(uncertain).toBeGreaterThan(0);
    for (const path of ['agents/acme-ops-agent/index.html', 'agents/acme-ops-agent/index.md']) {
      const text = files.get(path)!.toString();
      expect(text.match(/Not certain from the listing —/g)?.length, path).toBe(uncertain);
    }
  });

  it('lists every current report in the index with agent, category, score, band and date, highest score first', () => {
    const listings = new Map([
      ['acme-ops-agent', createListing()],
      ['calm-notes', createListing({ id: 'calm-notes', title: 'Calm Notes', fields: { capabilities: [], metadata: {}, repositories: [], category: 'writing' } })],
      ['bare-model', createListing({ id: 'bare-model', title: 'Bare Model', fields: { capabilities: [], metadata: {}, repositories: [], category: null } })],
    ]);
    const published = (listingId: string, at: string, assessment = createAssessment(), revision = 1) =>
      createDraft({ listingId, revision, status: 'published', assessment, reviews: [approve(at), { reviewer: 'p', action: 'publish', comment: null, at }] });
    const low = createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } });
    const zero = structuredClone(low);
    for (const factor of Object.values(zero.factors)) factor.value = 0;
    const drafts = [
      published('calm-notes', '2025-02-03T09:00:00.000Z', low, 2),
      // A superseded revision stays reachable under its versioned path but is no index row.
      createDraft({ listingId: 'calm-notes', status: 'superseded', reviews: [approve('2025-01-01T00:00:00.000Z')] }),
      published('acme-ops-agent', '2025-02-01T10:00:00.000Z'),
      published('bare-model', '2025-02-05T00:00:00.000Z', zero),
    ];
    const $ = load(buildSite(drafts, listings).get('index.html')!);
    expect($('table.agents thead th').toArray().map((th) => $(th).text())).toEqual(['Agent', 'Category', 'Score', 'Band', 'OWASP ASI', 'Published']);
    const rows = $('table.agents tbody tr')
      .toArray()
      .map((row) => ({
        band: $(row).attr('class'),
        href: $(row).find('td a').attr('href'),
        cells: $(row).find('td').toArray().map((td) => $(td).text()),
      }));
    // Each score with its plausible range, and the ASI ids of the report's threats as chips.
    const range = (draft: Draft) => `(${scoreWithRange(draft.assessment).range!.low.toFixed(1)}–${scoreWithRange(draft.assessment).range!.high.toFixed(1)})`;
    const asi = (draft: Draft) => [...new Set(draft.assessment.layers.flatMap((layer) => layer.threats.flatMap((threat) => threat.asi)))].sort().join('');
    const [calm, , acme, bare] = drafts as [Draft, Draft, Draft, Draft];
    expect(rows).toEqual([
      { band: 'band-row-Critical', href: 'agents/acme-ops-agent/index.html', cells: ['Acme Ops Agent', 'devops', `9.6 ${range(acme)}`, 'Critical', asi(acme), '2025-02-01'] },
      { band: 'band-row-Medium', href: 'agents/calm-notes/index.html', cells: ['Calm Notes', 'writing', `5.4 ${range(calm)}`, 'Medium', asi(calm), '2025-02-03'] },
      { band: 'band-row-Low', href: 'agents/bare-model/index.html', cells: ['Bare Model', '—', `1.0 ${range(bare)}`, 'Low', asi(bare), '2025-02-05'] },
    ]);
    // The no-script filter: one radio and one label per band present, "All" checked first.
    expect($('input.band-radio').toArray().map((input) => [$(input).attr('id'), $(input).attr('checked') !== undefined])).toEqual([
      ['band-all', true],
      ['band-Critical', false],
      ['band-Medium', false],
      ['band-Low', false],
    ]);
    expect($('.filters label').toArray().map((label) => [$(label).attr('for'), $(label).text()])).toEqual([
      ['band-all', 'All (3)'],
      ['band-Critical', 'Critical (1)'],
      ['band-Medium', 'Medium (1)'],
      ['band-Low', 'Low (1)'],
    ]);
    expect($('script').length).toBe(0);
  });

  it('draws the ten factors on the radar: a label and a point per factor, each at its value along its axis', () => {
    const assessment = createAssessment();
    // Distinct values, so a point drawn on the wrong axis cannot match by accident.
    LISTING_FACTOR_KEYS.forEach((key, index) => (assessment.factors[key].value = [0.1, 0.95, 0, 0.3, 0.45, 0.5, 0.65, 0.8, 1, 0.25][index]!));
    const draft = createDraft({ status: 'published', assessment, reviews: [approve('2025-02-01T10:00:00.000Z')] });
    const listing = createListing();
    const $ = load(buildSite([draft], new Map([[listing.id, listing]])).get('agents/acme-ops-agent/index.html')!);
    const svg = $('svg.radar');
    expect(svg.length).toBe(1);
    expect(svg.find('text').toArray().map((node) => [$(node).attr('data-factor'), $(node).text()])).toEqual(LISTING_FACTOR_KEYS.map((key) => [key, LISTING_FACTORS[key]]));
    const axes = svg.find('line.axis').toArray().map((node) => ['x1', 'y1', 'x2', 'y2'].map((a) => Number($(node).attr(a))));
    const points = svg.find('circle.point').toArray();
    const shape = (svg.find('polygon.shape').attr('points') ?? '').split(' ').map((pair) => pair.split(',').map(Number));
    expect([axes.length, points.length, shape.length]).toEqual([10, 10, 10]);
    LISTING_FACTOR_KEYS.forEach((key, index) => {
      const value = draft.assessment.factors[key].value;
      const point = $(points[index]!);
      expect([point.attr('data-factor'), point.attr('data-value')]).toEqual([key, value.toFixed(2)]);
      const [cx, cy, ax, ay] = axes[index]!;
      const [px, py] = [Number(point.attr('cx')), Number(point.attr('cy'))];
      const axisLength = Math.hypot(ax! - cx!, ay! - cy!);
      // On this factor's axis (collinear, same direction) at value × the axis length.
      expect(Math.hypot(px - cx!, py - cy!) / axisLength, key).toBeCloseTo(value, 2);
      if (value > 0) expect(((px - cx!) * (ax! - cx!) + (py - cy!) * (ay! - cy!)) / (Math.hypot(px - cx!, py - cy!) * axisLength), key).toBeCloseTo(1, 3);
      expect(shape[index], key).toEqual([px, py]);
    });
    expect(svg.attr('aria-label')).toBe(`Factor radar: ${LISTING_FACTOR_KEYS.map((key) => `${LISTING_FACTORS[key]} ${draft.assessment.factors[key].value.toFixed(2)}`).join(', ')}`);
  });

  it('refuses to replace a non-empty directory that is not a site, and keeps its files', async () => {
    const store = await seeded();
    const out = mkdtempSync(join(tmpdir(), 'td-pub-'));
    writeFileSync(join(out, 'precious.txt'), 'keep me');
    await expect(publishSite({ store, outDir: out })).rejects.toMatchObject({ code: 'E_OUT_DIR' });
    expect(readFileSync(join(out, 'precious.txt'), 'utf8')).toBe('keep me');
    expect((await store.drafts.get('acme-ops-agent.r1'))!.status).toBe('approved');
    mkdirSync(join(out, 'empty'));
    await publishSite({ store, outDir: join(out, 'empty') });
    expect(readdirSync(join(out, 'empty'))).toContain('index.html');
  });

  it('hardening #12: sweeps the temporary folders interrupted runs left beside the site, never one a running publish is writing', async () => {
    const store = await seeded();
    const parent = mkdtempSync(join(tmpdir(), 'td-pub-'));
    const out = join(parent, 'site');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    // A building folder and a replaced site of a killed run, a legacy folder (no pid) from hours ago,
    // a folder of a publish still running (this process), and another site's folder.
    const leftovers = {
      killedBuild: `.site.tmp-${deadPid}-0123456789ab`,
      killedOld: `.site.old-${deadPid}-0123456789ab`,
      legacy: '.site.tmp-abcdefabcdef',
      running: `.site.tmp-${process.pid}-fedcba987654`,
      otherSite: `.blog.tmp-${deadPid}-0123456789ab`,
    };
    for (const name of Object.values(leftovers)) {
      mkdirSync(join(parent, name, 'agents'), { recursive: true });
      writeFileSync(join(parent, name, 'index.html'), 'half a site');
    }
    const hoursAgo = new Date(Date.now() - 3 * 3_600_000);
    utimesSync(join(parent, leftovers.legacy), hoursAgo, hoursAgo);

    const summary = await publishSite({ store, outDir: out });
    expect(summary.swept).toEqual([leftovers.killedBuild, leftovers.killedOld, leftovers.legacy].sort());
    expect(readdirSync(parent).sort()).toEqual([leftovers.otherSite, leftovers.running, 'site'].sort());
    expect(readdirSync(out)).toContain('index.html');
    // A second run has nothing of its own left to sweep.
    expect((await publishSite({ store, outDir: out })).swept).toEqual([]);
  });
});
