/** The review UI's HTML pages and form actions, through a signed-in session, asserted on the parsed HTML. */
import { load, type CheerioAPI } from 'cheerio';
import { scoreWithRange } from '../../src/assess/uncertainty.js';
import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { computeAivss } from '../../src/aivss/index.js';
import { createAssessment, createDraft } from '../factories/draft.js';
import { seedQueue, setup, signIn, type Fixture } from './setup.js';
import { namedThreat } from '../../schemas/catalogue/index.js';

type Session = Awaited<ReturnType<typeof signIn>>;

async function page(app: Fixture['app'], session: Session, path: string): Promise<CheerioAPI> {
  const response = await app.request(path, { headers: { Cookie: session.cookie } });
  expect(response.status, path).toBe(200);
  return load(await response.text());
}

/** Posts a form as the browser does: the session cookie and the `_csrf` field. */
async function post(app: Fixture['app'], session: Session, path: string, fields: Record<string, string>): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(),
  });
}

const text = ($: CheerioAPI, selector: string): string[] =>
  $(selector)
    .toArray()
    .map((node) => $(node).text().replace(/\s+/g, ' ').trim());
const rowIds = ($: CheerioAPI): string[] => $('table.queue tbody tr').toArray().map((row) => $(row).attr('data-id') ?? '');

describe('queue page', () => {
  it.each([
    ['', ['acme-ops-agent.r1', 'noisy-agent.r1', 'calm-notes.r1', 'live-agent.r1', 'quiet-agent.r1']],
    ['?status=draft', ['acme-ops-agent.r1', 'calm-notes.r1']],
    ['?status=rejected', ['quiet-agent.r1']],
    ['?warnings=yes', ['noisy-agent.r1', 'live-agent.r1']],
    ['?warnings=no&status=draft', ['acme-ops-agent.r1', 'calm-notes.r1']],
    ['?sort=date', ['noisy-agent.r1', 'live-agent.r1', 'quiet-agent.r1', 'acme-ops-agent.r1', 'calm-notes.r1']],
    ['?status=&severity=&source=&warnings=&sort=date', ['noisy-agent.r1', 'live-agent.r1', 'quiet-agent.r1', 'acme-ops-agent.r1', 'calm-notes.r1']],
  ])('lists %s as the rows %j and keeps the filter selected', async (query, ids) => {
    const { app, tokens, store } = await setup();
    await seedQueue(store);
    const $ = await page(app, await signIn(app, tokens.alice), `/${query}`);
    expect(rowIds($)).toEqual(ids);
    const params = new URLSearchParams(query);
    for (const name of ['status', 'warnings', 'sort']) {
      const expected = params.get(name) || (name === 'sort' ? 'severity' : '');
      expect($(`select[name="${name}"] option[selected]`).attr('value') ?? '', name).toBe(expected);
    }
  });

  it('shows each row with status, score, band, warnings and date', async () => {
    const { app, tokens, store } = await setup();
    await seedQueue(store);
    const $ = await page(app, await signIn(app, tokens.alice), '/?warnings=yes');
    const cells = $('table.queue tbody tr')
      .toArray()
      .map((row) => $(row).find('td').toArray().slice(2).map((cell) => $(cell).text().trim()));
    const rangeOf = async (id: string) => {
      const { range } = (await store.drafts.get(id))!.score;
      return `(${range!.low.toFixed(1)}–${range!.high.toFixed(1)})`;
    };
    expect(cells).toEqual([
      ['changes-requested', `8.4 ${await rangeOf('noisy-agent.r1')}`, 'High', '', '2', '', '2025-01-09 00:00'],
      ['published', `5.4 ${await rangeOf('live-agent.r1')}`, 'Medium', '', '1', '', '2025-01-07 00:00'],
    ]);
    expect($('p.muted').text()).not.toContain('No drafts match');
    const none = await page(app, await signIn(app, tokens.alice), '/?status=approved');
    expect([rowIds(none), none('p.muted').text()]).toEqual([[], 'No drafts match.']);
  });

  it('counts drafts per status, per severity and with warnings over the whole queue, whatever the filter', async () => {
    const { app, tokens, store } = await setup();
    await seedQueue(store);
    const session = await signIn(app, tokens.alice);
    for (const query of ['/', '/?status=rejected&warnings=yes']) {
      const $ = await page(app, session, query);
      expect(text($, 'p.counts span')).toEqual([
        '5 drafts',
        'draft: 2',
        'changes-requested: 1',
        'approved: 0',
        'rejected: 1',
        'published: 1',
        'superseded: 0',
        'with warnings: 2',
        'insufficient evidence: 0',
        'changed since published: 0',
      ]);
      expect(text($, 'select[name="severity"] option')).toEqual(['any', 'None (0)', 'Low (1)', 'Medium (2)', 'High (1)', 'Critical (1)']);
    }
  });

  it('answers an unknown filter value with 400', async () => {
    const { app, tokens } = await setup();
    const session = await signIn(app, tokens.alice);
    for (const query of ['?status=done', '?warnings=maybe', '?sort=name']) {
      expect((await app.request(`/${query}`, { headers: { Cookie: session.cookie } })).status, query).toBe(400);
    }
  });
});

describe('draft page', () => {
  async function detailedDraft(fixture: Fixture): Promise<void> {
    const assessment = createAssessment({ exploitMaturity: { value: 'attacked', rationale: 'Seen in the wild.' }, mitigation: { value: 'partial', rationale: 'Allow-list.' } });
    await fixture.store.drafts.save(
      createDraft({
        listingId: 'calm-notes',
        revision: 2,
        assessment,
        checks: {
          grounding: [
            { where: 'factors.dynamicToolUse', quote: 'calls external tools such as a shell', grounded: true },
            { where: 'layers.3', quote: 'runs arbitrary code in production', grounded: false },
          ],
          groundingRate: 0.5,
          injection: { suspected: true, matches: ['ignore previous instructions'] },
          warnings: [
            { code: 'prompt-injection', message: 'Instruction-like text in the listing: "ignore previous instructions"', where: null },
            { code: 'ungrounded-evidence', message: 'Quote not found in the listing', where: 'layers.3' },
          ],
        },
        provenance: {
          ...createDraft().provenance,
          assessor: 'openai',
          model: 'gpt-4o-mini',
          promptId: 'assess-listing.v1',
          promptHash: 'b'.repeat(64),
          tokensIn: 1234,
          tokensOut: 567,
          costUsd: 0.0012,
          cached: true,
        },
      }),
      null,
    );
  }

  it('shows the score with its parts, as computed by the AIVSS module', async () => {
    const fixture = await setup();
    await detailedDraft(fixture);
    const draft = (await fixture.store.drafts.get('calm-notes.r2'))!;
    const score = computeAivss({
      formula: 'v0.8',
      cvss: draft.assessment.cvss.vector,
      factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, draft.assessment.factors[key].value])),
      thm: 'attacked',
      mf: 'partial',
    });
    const $ = await page(fixture.app, await signIn(fixture.app, fixture.tokens.alice), '/drafts/calm-notes.r2');
    expect([$('.report [data-score]').text(), $('.report [data-severity]').text()]).toEqual([score.score.toFixed(1), score.severity]);
    expect($('#preview-score').attr('data-score')).toBe(String(score.score));
    const parts = $('table.score-parts tr')
      .toArray()
      .map((row) => [$(row).find('th').text(), $(row).find('td.num').text()]);
    expect(parts).toEqual([
      ['CVSS v4.0 base (C)', score.cvssBase.toFixed(1)],
      ['Factor sum (ΣF)', String(score.factorSum)],
      ['AARS', String(score.aars)],
      ['Threat multiplier (ThM)', '1'],
      ['Mitigation factor (MF)', '0.83'],
    ]);
    // Readers get the rounded score and its parts, not the unrounded figure; the formula is said in words.
    expect($('.report').text()).not.toContain('Unrounded');
    expect($('.report p.formula').text()).toContain('AIVSS = roundHalfUp((C + AARS) × MF, 1)');
    expect($('table.score-parts').text()).toContain(draft.assessment.cvss.vector);
  });

  it('shows every layer with its certainty and threats, in the report and in the edit form', async () => {
    const fixture = await setup();
    await detailedDraft(fixture);
    const draft = (await fixture.store.drafts.get('calm-notes.r2'))!;
    const $ = await page(fixture.app, await signIn(fixture.app, fixture.tokens.alice), '/drafts/calm-notes.r2');
    const layers = $('.report section.layer')
      .toArray()
      .map((section) => ({
        layer: Number($(section).attr('data-layer')),
        certain: $(section).hasClass('certain'),
        tagged: $(section).find('.uncertain-tag').text(),
        threats: $(section).find('ul.threats li a:first-child').toArray().map((a) => $(a).text()),
        chips: $(section).find('ul.threats a.chip-asi').toArray().map((a) => [$(a).text(), $(a).attr('href')]),
        other: $(section).find('.other-threats').text(),
        text: $(section).find('p').first().text(),
      }));
    expect(layers).toEqual(
      draft.assessment.layers.map((layer) => ({
        layer: layer.layer,
        certain: layer.certain,
        tagged: layer.certain ? '' : 'Not certain from the listing —',
        threats: layer.threats.map((threat) => threat.name),
        // ASI ids as chips linking to their descriptions on the review server's methodology page.
        chips: layer.threats.flatMap((threat) => threat.asi.map((id) => [id, `/methodology#${id}`])),
        other: layer.otherThreats.length === 0 ? '' : `Also named, outside the catalogue: ${layer.otherThreats.join(', ')}`,
        text: layer.certain ? layer.text : `Not certain from the listing — ${layer.text}`,
      })),
    );
    expect(layers.some((layer) => layer.chips.length > 0)).toBe(true);
    for (const layer of draft.assessment.layers) {
      expect($(`select[name="layers.${layer.layer}.certain"] option[selected]`).attr('value')).toBe(String(layer.certain));
      expect($(`input[name="layers.${layer.layer}.threats"]`).attr('value')).toBe(layer.threats.map((threat) => threat.id).join(', '));
      expect($(`input[name="layers.${layer.layer}.otherThreats"]`).attr('value')).toBe(layer.otherThreats.join(', '));
      expect($(`textarea[name="layers.${layer.layer}.text"]`).text()).toBe(layer.text);
    }
    expect($('select[name="exploitMaturity.value"] option[selected]').attr('value')).toBe('attacked');
    expect($('select[name="mitigation.value"] option[selected]').attr('value')).toBe('partial');
  });

  it('shows warnings, ungrounded evidence, highlighted evidence and provenance', async () => {
    const fixture = await setup();
    await detailedDraft(fixture);
    const $ = await page(fixture.app, await signIn(fixture.app, fixture.tokens.alice), '/drafts/calm-notes.r2');
    expect(text($, 'ul.warnings li')).toEqual([
      'prompt-injection: Instruction-like text in the listing: "ignore previous instructions"',
      'ungrounded-evidence (layers.3): Quote not found in the listing',
    ]);
    expect($('h3:contains("Ungrounded evidence") + ul li').text()).toBe('layers.3: runs arbitrary code in production');
    // Factor and layer evidence, overlapping quotes merged into one mark.
    expect(text($, 'pre.listing mark')).toEqual([
      'calls external tools such as a shell, a browser and the GitHub API',
      'long-term memory of past conversations in a vector database',
      'Several agents coordinate through a message bus',
      'Deployed as a hosted SaaS with API keys per workspace',
    ]);
    const provenance = Object.fromEntries(
      $('table.provenance tr')
        .toArray()
        .map((row) => [$(row).find('th').text(), $(row).find('td').text()]),
    );
    expect(provenance).toEqual({
      Assessor: 'openai 1',
      Model: 'gpt-4o-mini',
      Prompt: `assess-listing.v1 ${'b'.repeat(64)}`,
      'Listing hash': 'a'.repeat(64),
      'Tokens in / out': '1234 / 567',
      'Cost (USD)': '0.0012',
      Cached: 'yes',
      Assessed: '2025-01-02T00:00:00.000Z – 2025-01-02T00:00:01.000Z',
      threatdraft: '0.1.0',
    });
  });

  it('shows no diff without a published revision, and "same as published" when nothing changed', async () => {
    const fixture = await setup();
    const session = await signIn(fixture.app, fixture.tokens.alice);
    const first = await page(fixture.app, session, '/drafts/calm-notes.r1');
    expect(first('#assessment-changes > p').text()).toBe('No earlier published revision.');
    const calm = (await fixture.store.drafts.get('calm-notes.r1'))!;
    await fixture.store.drafts.save({ ...calm, status: 'published' }, 1);
    await fixture.store.drafts.save(createDraft({ listingId: 'calm-notes', revision: 2, assessment: calm.assessment }), null);
    const same = await page(fixture.app, session, '/drafts/calm-notes.r2');
    expect(same('#assessment-changes > p').text()).toBe('Same as published revision 1.');
    expect(same('table.diff').length).toBe(0);
  });

  it('shows the diff against the last published revision, field by field', async () => {
    const fixture = await setup();
    const calm = (await fixture.store.drafts.get('calm-notes.r1'))!;
    await fixture.store.drafts.save({ ...calm, status: 'published' }, 1);
    const changed = structuredClone(calm.assessment);
    changed.factors.selfModification.value = 0.5;
    changed.layers[2]!.threats = [namedThreat('tool-misuse'), namedThreat('api-abuse')];
    changed.mitigation.value = 'strong';
    const next = createDraft({ listingId: 'calm-notes', revision: 2, assessment: changed });
    await fixture.store.drafts.save(next, null);
    const $ = await page(fixture.app, await signIn(fixture.app, fixture.tokens.alice), '/drafts/calm-notes.r2');
    expect($('#assessment-changes > p').text()).toBe('Against published revision 1:');
    const rows = $('#assessment-changes table.diff tbody tr')
      .toArray()
      .map((row) => [$(row).find('td').first().text(), $(row).find('del').text(), $(row).find('ins').text()]);
    expect(rows).toEqual([
      ['AIVSS score', `${calm.score.score.toFixed(1)} (${calm.score.severity})`, `${next.score.score.toFixed(1)} (${next.score.severity})`],
      ['Self-Modification value', '0.00', '0.50'],
      ['Mitigation', 'none', 'strong'],
      ['L3 Agent Frameworks threats', 'tool misuse', 'tool misuse, API abuse'],
    ]);
  });
});

describe('edit form', () => {
  it('saves layer text, certainty and threats, maturity and mitigation, and rescores on the server', async () => {
    const { app, tokens, store } = await setup();
    const before = (await store.drafts.get('acme-ops-agent.r1'))!;
    const session = await signIn(app, tokens.alice);
    const response = await post(app, session, '/drafts/acme-ops-agent.r1/edit', {
      version: '1',
      'layers.1.certain': 'true',
      'layers.1.threats': 'jailbreak, Prompt Injection',
      'layers.1.otherThreats': 'model theft',
      'layers.1.text': 'Runs on GPT-4o, named in the listing.',
      'layers.4.certain': 'false',
      'exploitMaturity.value': 'unreported',
      'exploitMaturity.rationale': 'No public report.',
      'mitigation.value': 'strong',
      comment: 'checked the model',
    });
    expect([response.status, response.headers.get('location')]).toEqual([303, '/drafts/acme-ops-agent.r1?done=saved']);
    const saved = (await store.drafts.get('acme-ops-agent.r1'))!;
    expect(saved.assessment.layers[0]).toEqual({
      ...before.assessment.layers[0]!,
      certain: true,
      threats: [namedThreat('jailbreak'), namedThreat('prompt-injection')],
      otherThreats: ['model theft'],
      text: 'Runs on GPT-4o, named in the listing.',
    });
    expect(saved.assessment.layers[3]).toEqual({ ...before.assessment.layers[3]!, certain: false });
    expect([saved.assessment.exploitMaturity.value, saved.assessment.exploitMaturity.rationale, saved.assessment.mitigation.value]).toEqual(['unreported', 'No public report.', 'strong']);
    const expected = computeAivss({
      formula: 'v0.8',
      cvss: before.assessment.cvss.vector,
      factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, before.assessment.factors[key].value])),
      thm: 'unreported',
      mf: 'strong',
    });
    expect(saved.score).toEqual({ ...expected, range: scoreWithRange(saved.assessment).range });
    expect([saved.version, saved.reviews]).toEqual([2, [{ reviewer: 'alice', action: 'edit', comment: 'checked the model', at: expect.any(String) }]]);

    const $ = await page(app, session, '/drafts/acme-ops-agent.r1?done=saved');
    expect($('p.ok').text()).toBe('Saved; the score was recomputed.');
    expect($('.report [data-score]').text()).toBe(expected.score.toFixed(1));
    expect($('.report section.layer[data-layer="1"]').hasClass('certain')).toBe(true);
    expect($('.report section.layer[data-layer="1"] ul.threats li > a:first-child').toArray().map((a) => $(a).text())).toEqual(['jailbreak', 'prompt injection']);
    expect($('.report section.layer[data-layer="1"] .other-threats').text()).toBe('Also named, outside the catalogue: model theft');
    expect($('.report section.layer[data-layer="4"] .uncertain-tag').text()).toBe('Not certain from the listing —');
    expect((await store.audit.list({ subject: 'acme-ops-agent.r1' })).map((e) => [e.actor, e.action, e.detail?.['via']])).toEqual([['alice', 'edit', 'web']]);
  });

  it('keeps the reviewer’s values and names the field when a value is refused (400)', async () => {
    const { app, tokens, store } = await setup();
    const session = await signIn(app, tokens.alice);
    const response = await post(app, session, '/drafts/acme-ops-agent.r1/edit', { version: '1', 'mitigation.value': 'total', 'layers.2.text': 'My careful text.' });
    expect(response.status).toBe(400);
    const $ = load(await response.text());
    expect($('#error').attr('data-field')).toBe('mitigation.value');
    expect($('textarea[name="layers.2.text"]').text()).toBe('My careful text.');
    expect((await store.drafts.get('acme-ops-agent.r1'))!.version).toBe(1);
  });
});

describe('decision forms', () => {
  it('approves the version the page showed', async () => {
    const { app, tokens, store } = await setup();
    const session = await signIn(app, tokens.bob);
    const $ = await page(app, session, '/drafts/calm-notes.r1');
    const version = $('#decision-form input[name="version"]').attr('value');
    expect(version).toBe('1');
    const response = await post(app, session, '/drafts/calm-notes.r1/approve', { version: version ?? '', comment: 'read it' });
    expect([response.status, response.headers.get('location')]).toEqual([303, '/drafts/calm-notes.r1?done=approve']);
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([
      expect.objectContaining({ actor: 'bob', action: 'approve', detail: expect.objectContaining({ via: 'web', comment: 'read it', version: 2 }) }),
    ]);
  });

  it('refuses (409) an approval of a version that changed since the page was shown, and records nothing', async () => {
    const { app, tokens, store } = await setup();
    const bob = await signIn(app, tokens.bob);
    const shown = await page(app, bob, '/drafts/calm-notes.r1');
    const version = shown('#decision-form input[name="version"]').attr('value') ?? '';
    // Alice edits while Bob reads.
    const alice = await signIn(app, tokens.alice);
    expect((await post(app, alice, '/drafts/calm-notes.r1/edit', { version: '1', 'factors.selfModification.value': '1' })).status).toBe(303);
    const response = await post(app, bob, '/drafts/calm-notes.r1/approve', { version, comment: 'looked fine' });
    expect(response.status).toBe(409);
    const $ = load(await response.text());
    expect($('#error').text()).toContain('Nothing recorded: the draft changed after you opened it');
    expect($('#error').text()).toContain('it is now version 2');
    // The page now carries the current version for the next decision.
    expect($('#decision-form input[name="version"]').attr('value')).toBe('2');
    const stored = (await store.drafts.get('calm-notes.r1'))!;
    expect([stored.status, stored.version, stored.reviews.map((r) => r.action)]).toEqual(['draft', 2, ['edit']]);
    expect((await store.audit.list({ subject: 'calm-notes.r1' })).map((e) => e.action)).toEqual(['edit']);
  });

  it.each([
    ['approve', {}],
    ['approve', { version: '' }],
    ['approve', { version: 'latest' }],
    ['reject', { comment: 'no' }],
    ['request-changes', { comment: 'fix L3', version: '0' }],
  ])('refuses the %s form without a valid version (400), changing nothing', async (action, fields) => {
    const { app, tokens, store } = await setup();
    const session = await signIn(app, tokens.bob);
    const response = await post(app, session, `/drafts/calm-notes.r1/${action}`, fields as Record<string, string>);
    expect(response.status).toBe(400);
    expect(load(await response.text())('#error').attr('data-field')).toBe('version');
    expect((await store.drafts.get('calm-notes.r1'))!).toMatchObject({ status: 'draft', version: 1, reviews: [] });
    expect(await store.audit.list({ subject: 'calm-notes.r1' })).toEqual([]);
  });

  it.each([
    ['reject', 'rejected'],
    ['request-changes', 'changes-requested'],
  ])('%s with a comment through the form', async (action, status) => {
    const { app, tokens, store } = await setup();
    const session = await signIn(app, tokens.alice);
    const response = await post(app, session, `/drafts/calm-notes.r1/${action}`, { version: '1', comment: 'L3 is wrong' });
    expect(response.status).toBe(303);
    expect((await store.drafts.get('calm-notes.r1'))!.status).toBe(status);
    expect((await store.audit.list({ subject: 'calm-notes.r1' })).map((e) => [e.actor, e.action, e.detail?.['comment'], e.detail?.['via']])).toEqual([
      ['alice', action, 'L3 is wrong', 'web'],
    ]);
  });
});

describe('insufficient evidence and the methodology in the review UI', () => {
  it('filters the queue by evidence, tags thin drafts, and shows their banner on the draft page', async () => {
    const { app, tokens, store } = await setup();
    const thin = createAssessment({ insufficientEvidence: true });
    await store.drafts.save(createDraft({ listingId: 'thin-agent', assessment: thin }), null);
    const session = await signIn(app, tokens.alice);
    const only = await page(app, session, '/?evidence=insufficient');
    expect(rowIds(only)).toEqual(['thin-agent.r1']);
    expect(only('tr[data-id="thin-agent.r1"] .tag-insufficient').text()).toBe('insufficient evidence');
    expect(only('select[name="evidence"] option[selected]').attr('value')).toBe('insufficient');
    expect(rowIds(await page(app, session, '/?evidence=sufficient'))).not.toContain('thin-agent.r1');
    expect((await app.request('/?evidence=maybe', { headers: { Cookie: session.cookie } })).status).toBe(400);
    const draft = await page(app, session, '/drafts/thin-agent.r1');
    expect(draft('#insufficient').text()).toMatch(/^Insufficient evidence: the listing pins only 3 of the ten factors; the score \d+\.\d \(\d+\.\d–\d+\.\d\)/);
    expect(draft('.report [data-insufficient]').length).toBe(1);
  });

  it('serves the methodology with the ASI, T and catalogue anchors that threat chips link to', async () => {
    const { app, tokens } = await setup();
    const session = await signIn(app, tokens.alice);
    const $ = await page(app, session, '/methodology');
    expect($('tr#ASI01 td').first().text()).toBe('Agent Goal Hijack');
    expect($('tr#T17 td').first().text()).toBe('Supply Chain Compromise');
    expect($('tr#threat-tool-misuse').length).toBe(1);
    expect($('header.top nav a[href="/methodology"]').length).toBe(1);
    expect((await app.request('/methodology')).status).toBe(303);
  });
});
