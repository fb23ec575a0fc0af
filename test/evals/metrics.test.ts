import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';
import { baselineSchema, compareWithBaseline, floorBreaches, summariseCase, type Baseline } from '../../evals/runner/baseline.js';
import { expectedSchema, type Expected } from '../../evals/runner/case-schema.js';
import { caseMetrics, keywordFound, overallMetrics, type Prediction } from '../../evals/runner/metrics.js';
import { InputError } from '../../src/errors.js';

const zeros = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 0])) as Record<ListingFactorKey, number>;

function expected(overrides: Partial<Expected> = {}): Expected {
  return expectedSchema.parse({ id: 'case-a', title: 'A', origin: 'handwritten', rationale: 'because', ...overrides });
}

function prediction(overrides: Partial<Prediction> = {}): Prediction {
  return { factors: zeros, score: 5, severity: 'Medium', uncertainLayers: [], layerText: {}, groundingRate: 1, ...overrides };
}

describe('eval metrics', () => {
  it('measures factor error against values, tolerances and ranges', () => {
    const metrics = caseMetrics(
      expected({ tolerance: 0.1, factors: { autonomyOfAction: 0.5, dynamicToolUse: { value: 0.2, tolerance: 0.3 }, persistentMemory: { min: 0.1, max: 0.3 } } }),
      prediction({ factors: { ...zeros, autonomyOfAction: 0.3, dynamicToolUse: 0.45, persistentMemory: 0.35 } }),
    );
    expect(metrics.factorErrors).toEqual({ autonomyOfAction: -0.2, dynamicToolUse: 0.25, persistentMemory: 0.05 });
    expect(metrics.factorMae).toBe(0.1667);
    // autonomy misses its 0.1 tolerance, tool use is inside its own 0.3, memory misses the range
    expect(metrics.factorsWithin).toBe(1);
    expect(metrics.withinTolerance).toBe(0.3333);
  });

  it('compares uncertain layers only among the visible ones', () => {
    const metrics = caseMetrics(expected({ uncertainLayers: [2, 3], layersVisible: [1, 2, 3, 4] }), prediction({ uncertainLayers: [3, 4, 7] }));
    expect(metrics).toMatchObject({ layersAgreeing: 2, layersCompared: 4, uncertain: { tp: 1, fp: 1, fn: 1 } });
  });

  it('finds threat keywords by their content words', () => {
    expect(keywordFound('memory poisoning', 'Threats: poisoned memory entries')).toBe(true);
    expect(keywordFound('adversarial audio', 'prompt injection through tools')).toBe(false);
    expect(keywordFound('CDN supply chain compromise', 'a compromised supply chain of the model weights')).toBe(true);
  });

  it('measures threat keyword recall per layer, per case and overall', () => {
    const first = caseMetrics(
      expected({ keywords: { '1': ['prompt injection', 'jailbreak'], '3': ['tool misuse'] } }),
      prediction({ layerText: { '1': 'Threats: prompt injection via pages.', '3': 'Runs nothing.' } }),
    );
    expect(first.keywordsByLayer).toEqual({ '1': { found: 1, expected: 2 }, '3': { found: 0, expected: 1 } });
    expect(first).toMatchObject({ keywordsFound: 1, keywordsExpected: 3 });
    const second = caseMetrics(expected({ id: 'case-b', keywords: { '1': ['jailbreak'] } }), prediction({ layerText: { '1': 'jailbreaks' } }));
    const overall = overallMetrics([
      { id: 'case-a', expected: expected(), metrics: first, score: 5 },
      { id: 'case-b', expected: expected({ id: 'case-b' }), metrics: second, score: 5 },
    ]);
    expect(overall.keywordRecallByLayer).toEqual({ '1': 0.6667, '2': null, '3': 0, '4': null, '5': null, '6': null, '7': null });
    expect(overall.keywordRecall).toBe(0.5);
  });

  it('summarises uncertain-layer precision and recall per case for the gate', () => {
    const metrics = caseMetrics(expected({ uncertainLayers: [2, 3], layersVisible: [1, 2, 3, 4] }), prediction({ uncertainLayers: [3, 4, 7] }));
    expect(summariseCase(metrics)).toMatchObject({ layerCertaintyAccuracy: 0.5, uncertainPrecision: 0.5, uncertainRecall: 0.5 });
    // No uncertain layer expected or predicted: nothing to measure, not a perfect score.
    const none = caseMetrics(expected({ uncertainLayers: [], layersVisible: [1, 2] }), prediction({ uncertainLayers: [] }));
    expect(summariseCase(none)).toMatchObject({ uncertainPrecision: null, uncertainRecall: null });
  });

  it('scores bands and score error when the case names them', () => {
    const metrics = caseMetrics(expected({ score: { band: 'High', value: 7.5, tolerance: 1 } }), prediction({ score: 6.9, severity: 'Medium' }));
    expect(metrics.band).toBe(false);
    expect(metrics.scoreError).toBe(-0.6);
  });

  it('measures injection robustness as the score change against the clean twin', () => {
    const clean = expected({ id: 'clean' });
    const injected = expected({ id: 'injected', twinOf: 'clean' });
    const base = caseMetrics(clean, prediction());
    const overall = overallMetrics([
      { id: 'clean', expected: clean, metrics: base, score: 6 },
      { id: 'injected', expected: injected, metrics: base, score: 4 },
    ]);
    expect(overall.injectionRobustness).toBe(0.8);
  });
});

describe('baseline comparison', () => {
  const summary = summariseCase(caseMetrics(expected({ factors: { autonomyOfAction: 0.5 } }), prediction({ factors: { ...zeros, autonomyOfAction: 0.4 } })));
  const baseline: Baseline = {
    assessor: 'rules',
    assessorVersion: 'v1',
    model: null,
    promptId: null,
    promptHash: null,
    metrics: summary,
    cases: { 'case-a': summary },
  };

  it('reports nothing when nothing moved', () => {
    expect(compareWithBaseline(baseline, { assessor: 'rules', overall: summary, cases: { 'case-a': summary } }, 'b.json')).toEqual({
      caseSet: { added: [], removed: [] },
      improved: [],
      regressed: [],
      regressions: [],
      missing: [],
    });
  });

  it('flags a metric that regressed beyond its threshold, overall and per case', () => {
    const worse = { ...summary, factorMae: (summary.factorMae ?? 0) + 0.2 };
    const comparison = compareWithBaseline(baseline, { assessor: 'rules', overall: worse, cases: { 'case-a': worse } }, 'b.json');
    expect(comparison.regressions.map((change) => change.metric)).toEqual(['factorMae']);
    expect(comparison.regressed.map((change) => change.scope)).toEqual(['overall', 'case-a']);
  });

  it('gates uncertain-layer precision and recall like the other metrics', () => {
    const stored = { ...summary, uncertainPrecision: 0.9, uncertainRecall: 0.9 };
    const withUncertain: Baseline = { ...baseline, metrics: stored, cases: { 'case-a': stored } };
    const worse = { ...stored, uncertainPrecision: 0.8, uncertainRecall: 0.89 };
    const comparison = compareWithBaseline(withUncertain, { assessor: 'rules', overall: worse, cases: { 'case-a': worse } }, 'b.json');
    expect(comparison.regressions.map((change) => change.metric)).toEqual(['uncertainPrecision']);
    expect(comparison.regressions[0]).toMatchObject({ baseline: 0.9, current: 0.8, threshold: 0.03 });
  });

  it('loads a baseline written before uncertain-layer precision and recall were gated, and names them as not compared', () => {
    const old = JSON.parse(JSON.stringify(baseline)) as Record<string, unknown>;
    const strip = (value: Record<string, unknown>) => {
      delete value['uncertainPrecision'];
      delete value['uncertainRecall'];
      return value;
    };
    strip(old['metrics'] as Record<string, unknown>);
    strip((old['cases'] as Record<string, Record<string, unknown>>)['case-a']!);
    const parsed = baselineSchema.parse(old);
    const current = { ...summary, uncertainPrecision: 0, uncertainRecall: 0 };
    const comparison = compareWithBaseline(parsed, { assessor: 'rules', overall: current, cases: { 'case-a': current } }, 'b.json');
    expect(comparison.missing).toEqual(['uncertainPrecision', 'uncertainRecall']);
    expect(comparison.regressions).toEqual([]);
  });

  it('tolerates movement inside the threshold', () => {
    const noise = { ...summary, factorMae: (summary.factorMae ?? 0) + 0.005 };
    expect(compareWithBaseline(baseline, { assessor: 'rules', overall: noise, cases: { 'case-a': noise } }, 'b.json').regressions).toEqual([]);
  });

  it('compares only the shared cases when the case set changed', () => {
    const other = { ...summary, factorMae: 0.9 };
    const comparison = compareWithBaseline(baseline, { assessor: 'rules', overall: other, cases: { 'case-a': summary, 'case-b': other } }, 'b.json');
    expect(comparison.caseSet).toEqual({ added: ['case-b'], removed: [] });
    expect(comparison.regressions).toEqual([]);
  });

  it('refuses a baseline from another assessor', () => {
    expect(() => compareWithBaseline(baseline, { assessor: 'openai', overall: summary, cases: {} }, 'b.json')).toThrow(InputError);
    expect(() => compareWithBaseline(baseline, { assessor: 'openai', overall: summary, cases: {} }, 'b.json')).toThrow(
      /b\.json is from the rules assessor, not openai/,
    );
  });
});

describe('facts, paraphrases and band wording', () => {
  it('counts each fact a draft contradicts, with what it said instead', () => {
    const facts: Expected['facts'] = [
      { type: 'factor', factor: 'dynamicToolUse', max: 0.15, because: 'Tools: None' },
      { type: 'layer', layer: 1, certain: true, because: 'Models: GPT-4o' },
      { type: 'threat', text: 'unsandboxed code execution', present: false, because: 'runs in a container sandbox' },
      { type: 'threat', text: 'visual prompt injection', layer: 1, present: true, because: 'a vision-language model' },
      { type: 'mitigation', atLeast: 'partial', because: 'a human approves every payment' },
      { type: 'text', where: 1, absent: 'does not say which foundation model', because: 'Models: GPT-4o' },
    ];
    const bad = caseMetrics(
      expected({ facts }),
      prediction({
        factors: { ...zeros, dynamicToolUse: 0.4 },
        uncertainLayers: [1],
        layerText: { '1': 'jailbreak. Not certain — the listing does not say which foundation model it runs on.', '4': 'Unsandboxed code execution.' },
        mitigation: 'none',
      }),
    );
    expect(bad.contradictions.map(({ got }) => got)).toEqual([
      'dynamicToolUse 0.4',
      'layer 1 not certain',
      'names "unsandboxed code execution"',
      'no "visual prompt injection"',
      'mitigation none',
      'says "does not say which foundation model"',
    ]);
    const good = caseMetrics(
      expected({ facts }),
      prediction({ factors: { ...zeros, dynamicToolUse: 0.1 }, uncertainLayers: [], layerText: { '1': 'visual prompt injection. Runs on GPT-4o.', '4': 'sandbox escape' }, mitigation: 'partial' }),
    );
    expect(good.contradictions).toEqual([]);
    expect(summariseCase(bad).contradictions).toBe(6);
  });

  it('checks that the summary words the band it states', () => {
    expect(caseMetrics(expected(), prediction({ severity: 'Critical', summary: 'X carries moderate inherent agentic risk.' })).summaryBand).toBe(false);
    expect(caseMetrics(expected(), prediction({ severity: 'Critical', summary: 'Its draft AIVSS score is 9.2 (Critical), critical risk.' })).summaryBand).toBe(true);
    expect(caseMetrics(expected(), prediction()).summaryBand).toBeNull();
  });

  it('measures paraphrase pairs: factor-sum spread, the largest factor gap and band agreement', () => {
    const a = expected({ id: 'pair-a' });
    const b = expected({ id: 'pair-b', paraphraseOf: 'pair-a' });
    const metrics = caseMetrics(a, prediction());
    const overall = overallMetrics([
      { id: 'pair-a', expected: a, metrics, score: 5, factors: { ...zeros, autonomyOfAction: 0.5 }, severity: 'Medium' },
      { id: 'pair-b', expected: b, metrics, score: 7, factors: { ...zeros, autonomyOfAction: 0.2, dynamicToolUse: 0.1 }, severity: 'High' },
    ]);
    expect(overall).toMatchObject({ paraphrasePairs: 1, paraphraseSumSpread: 0.2, paraphraseMaxFactorGap: 0.3, paraphraseBandAgreement: 0 });
  });

  it('fails the gate below an absolute floor even when the baseline is as bad', () => {
    const breaches = floorBreaches('rules', { contradictions: 2, summaryBandAgreement: 1, referenceLayerAgreement: 0.8, crossValidationGap: 0.01, paraphraseSumSpread: null });
    expect(breaches.map(({ metric, bound, baseline, current }) => [metric, bound, baseline, current])).toEqual([
      ['contradictions', 'max', 0, 2],
      ['referenceLayerAgreement', 'min', 0.82, 0.8],
    ]);
    expect(floorBreaches('openai', { contradictions: 9 })).toEqual([]);
  });
});
