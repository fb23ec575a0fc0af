import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineSchema, GATED_METRICS } from '../../evals/runner/baseline.js';
import type { EvalCase } from '../../evals/runner/case-schema.js';
import { loadCases } from '../../evals/runner/load.js';
import { runEval, type CaseOutcome } from '../../evals/runner/run.js';
import { assessListing } from '../../src/assess/assess.js';
import { createRulesAssessor, DEFAULT_RULES } from '../../src/assess/rules/assess.js';
import { SIGNALS } from '../../src/assess/rules/data/signals.js';
import { main } from '../../src/cli/main.js';
import { startFakeOpenAI, type FakeOpenAIOptions } from '../../src/fake-openai/server.js';
import { MODEL_BOUNDS, toModelAnswer, type ModelAnswer } from '../../src/assess/model-schema.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { listingForCase } from '../../evals/runner/run.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { captureIo } from '../helpers/io.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CASES = join(ROOT, 'evals', 'cases');
const BASELINE = join(ROOT, 'evals', 'baselines', 'rules.json');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'td-eval-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env });
  const code = await main(['eval', ...args, '--json'], io);
  const lines = io.out().trim().split('\n').filter(Boolean);
  const summary = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
  return { code, summary, lines, err: io.err() };
}

/**
 * A competent stand-in for a model: it answers each case's listing as the rules assessor reads it,
 * so its recordings meet the floors (the fake generator's do not, by design).
 */
async function competentModel(dir: string): Promise<NonNullable<FakeOpenAIOptions['responder']>> {
  const answers = new Map((await loadCases(dir)).map((evalCase) => [listingForCase(evalCase).id, competentAnswer(evalCase)] as const));
  return ({ listing, messages }) => {
    if (listing === null || messages.some((message) => message.role === 'assistant')) return null;
    const answer = answers.get(listing.id);
    return answer === undefined ? null : { content: structuredClone(answer) as unknown as Record<string, unknown> };
  };
}

/** The rules assessor's reading of a case as a model answer, cut to the answer schema's bounds. */
function competentAnswer(evalCase: EvalCase): ModelAnswer {
  const answer = toModelAnswer(assessWithRules(listingForCase(evalCase)));
  const b = MODEL_BOUNDS;
  const quotes = (items: readonly string[]): string[] => items.slice(0, b.quotes).map((quote) => quote.slice(0, b.quote));
  const reason = <T extends { rationale: string }>(part: T): T => ({ ...part, rationale: part.rationale.slice(0, b.rationale) });
  return {
    ...answer,
    summary: answer.summary.slice(0, b.summary),
    factors: Object.fromEntries(Object.entries(answer.factors).map(([key, factor]) => [key, { ...reason(factor), evidence: quotes(factor.evidence) }])) as ModelAnswer['factors'],
    cvss: reason(answer.cvss),
    exploitMaturity: reason(answer.exploitMaturity),
    mitigation: reason(answer.mitigation),
    layers: answer.layers.map((layer) => ({
      ...layer,
      text: layer.text.slice(0, b.layerText),
      evidence: quotes(layer.evidence),
      threats: layer.threats.slice(0, b.threats),
      otherThreats: layer.otherThreats.slice(0, b.others).map((name) => name.slice(0, b.other)),
    })),
  };
}

/** A small copy of the cases, so a test can change them freely. */
function copyCases(ids: string[]): string {
  const dir = mkdtempSync(join(work, 'cases-'));
  for (const id of ids) cpSync(join(CASES, id), join(dir, id), { recursive: true });
  return dir;
}

describe('threatdraft eval with the rules assessor', () => {
  it('holds at least 60 cases: the 35 reference ones and 20+ written by hand, each with a rationale', async () => {
    const cases = await loadCases(CASES);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.filter((item) => item.expected.origin === 'reference-dev')).toHaveLength(35);
    const handwritten = cases.filter((item) => item.expected.origin === 'handwritten');
    expect(handwritten.length).toBeGreaterThanOrEqual(20);
    for (const item of handwritten) expect(item.expected.rationale.length).toBeGreaterThan(40);
    expect(cases.filter((item) => item.expected.twinOf !== undefined).length).toBeGreaterThanOrEqual(1);
  });

  it('passes against its committed baseline, then reuses every result on a rerun', async () => {
    const data = join(work, 'data-baseline');
    const first = await runCli(['--data', data]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({ assessor: 'rules', passed: true, regressions: [], baseline: 'compared' });
    expect(first.summary['assessed']).toBe(first.summary['cases']);
    const metrics = first.summary['metrics'] as Record<string, number>;
    process.stdout.write(`rules eval: ${JSON.stringify(metrics)}\n`);
    expect(metrics['factorMae']).toBeLessThanOrEqual(0.12);
    expect(first.summary['baselineMissing']).toEqual([]);
    // Keyword recall per MAESTRO layer, overall and per case.
    const byLayer = first.summary['metrics'] as { keywordRecallByLayer: Record<string, number | null> };
    expect(Object.keys(byLayer.keywordRecallByLayer)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    for (const value of Object.values(byLayer.keywordRecallByLayer)) expect(value === null || (value >= 0 && value <= 1)).toBe(true);
    const pentest = first.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['case'] === 'hw-pentest-agent');
    expect(pentest?.['keywordRecallByLayer']).toEqual({ '3': expect.any(Number) as unknown });

    const second = await runCli(['--data', data]);
    expect(second.code).toBe(0);
    expect(second.summary).toMatchObject({ assessed: 0, reused: first.summary['cases'], metrics: first.summary['metrics'] });
  });

  it('does no assessment work when nothing changed, and reruns only the changed case', async () => {
    const cases = await loadCases(copyCases(['hw-bare-foundation-model', 'hw-pentest-agent', 'ref-openhands']));
    const store = createMemoryStore();
    let calls = 0;
    const assessor = createRulesAssessor();
    const assess = async (listing: Parameters<typeof assessListing>[0]): Promise<CaseOutcome> => {
      calls += 1;
      return assessListing(listing, { assessor, now: () => new Date(0) });
    };
    const identity = { assessor: 'rules' as const, assessorVersion: assessor.version, model: null, promptId: null, promptHash: null };
    await runEval({ cases, identity, assess, cache: store.cache, baseline: null });
    expect(calls).toBe(3);
    const rerun = await runEval({ cases, identity, assess, cache: store.cache, baseline: null });
    expect(calls).toBe(3);
    expect(rerun).toMatchObject({ assessed: 0, reused: 3 });
    const changed = cases.map((item) => (item.id === 'hw-pentest-agent' ? { ...item, html: item.html.replace('</main>', '<p>Now also keeps persistent memory.</p></main>') } : item));
    const third = await runEval({ cases: changed, identity, assess, cache: store.cache, baseline: null });
    expect(calls).toBe(4);
    expect(third.results.filter((result) => !result.reused).map((result) => result.id)).toEqual(['hw-pentest-agent']);
    // A new rules version (a changed table) reruns every case: cached results are keyed by it.
    const worse = createRulesAssessor({
      calibration: { ...DEFAULT_RULES.calibration, factors: { ...DEFAULT_RULES.calibration.factors, autonomyOfAction: { ...DEFAULT_RULES.calibration.factors.autonomyOfAction, base: 0.3 } } },
    });
    const fourth = await runEval({ cases, identity: { ...identity, assessorVersion: worse.version }, assess, cache: store.cache, baseline: null });
    expect(fourth).toMatchObject({ assessed: 3, reused: 0 });
  });

  it('fails the gate when a rule is made deliberately worse', async () => {
    const cases = await loadCases(CASES);
    const baseline = baselineSchema.parse(JSON.parse(readFileSync(BASELINE, 'utf8')));
    // The worse rule set: no signal moves any factor any more (only the kind priors are left).
    const worse = SIGNALS.map((signal) => ({ ...signal, effects: {}, ceilings: {} }));
    const assessor = createRulesAssessor({ signals: worse });
    expect(assessor.version).not.toBe(createRulesAssessor().version);
    const run = await runEval({
      cases,
      identity: { assessor: 'rules', assessorVersion: assessor.version, model: null, promptId: null, promptHash: null },
      assess: (listing) => assessListing(listing, { assessor, now: () => new Date(0) }),
      cache: createMemoryStore().cache,
      baseline: { file: BASELINE, value: baseline },
    });
    expect(run.passed).toBe(false);
    expect(run.regressions.map((change) => change.metric)).toContain('factorMae');
    expect(run.comparison?.regressed.some((change) => change.scope !== 'overall')).toBe(true);
  });

  it('exits 1 from the CLI when a metric regresses beyond its threshold', async () => {
    const dir = copyCases(['hw-cadenza-music', 'hw-notebook-analyst']);
    const baselineFile = join(work, 'too-good.json');
    const first = await runCli(['--cases', dir, '--data', join(work, 'd1'), '--baseline', baselineFile, '--update-baseline']);
    expect(first.code).toBe(0);
    const stored = baselineSchema.parse(JSON.parse(readFileSync(baselineFile, 'utf8')));
    writeFileSync(baselineFile, JSON.stringify({ ...stored, metrics: { ...stored.metrics, factorMae: 0, withinTolerance: 1 } }));
    const gated = await runCli(['--cases', dir, '--data', join(work, 'd1'), '--baseline', baselineFile]);
    expect(gated.code).toBe(1);
    expect(gated.summary['passed']).toBe(false);
    expect((gated.summary['regressions'] as { metric: string }[]).map((change) => change.metric)).toContain('factorMae');
  });

  it('gates uncertain-layer precision and recall, and says when a baseline predates them', async () => {
    const dir = copyCases(['hw-autonomous-coding-agent', 'hw-support-bot-clean', 'hw-prompt-firewall']);
    const file = join(work, 'uncertain-baseline.json');
    expect((await runCli(['--cases', dir, '--data', join(work, 'u1'), '--baseline', file, '--update-baseline'])).code).toBe(0);
    const stored = baselineSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(stored.metrics.uncertainPrecision).toEqual(expect.any(Number));

    // Written before the two were gated: still loads, the rest is gated, and the output says what was not compared.
    const old = JSON.parse(readFileSync(file, 'utf8')) as { metrics: Record<string, unknown>; cases: Record<string, Record<string, unknown>> };
    for (const summary of [old.metrics, ...Object.values(old.cases)]) {
      delete summary['uncertainPrecision'];
      delete summary['uncertainRecall'];
    }
    writeFileSync(file, JSON.stringify(old));
    const before = await runCli(['--cases', dir, '--data', join(work, 'u1'), '--baseline', file]);
    expect(before.code).toBe(0);
    expect(before.summary).toMatchObject({ passed: true, baselineMissing: ['uncertainPrecision', 'uncertainRecall'] });
    expect(before.err).toContain('the baseline has no uncertainPrecision, uncertainRecall: not compared; refresh it with --update-baseline');
    const tty = captureIo({ tty: true });
    expect(await main(['eval', '--cases', dir, '--data', join(work, 'u1'), '--baseline', file], tty)).toBe(0);
    expect(tty.out()).toMatch(/The baseline has no uncertainPrecision, uncertainRecall \(written before they were gated\): not compared/);

    // A baseline that held better uncertain-layer precision fails the gate on it.
    writeFileSync(file, JSON.stringify({ ...stored, metrics: { ...stored.metrics, uncertainPrecision: 1, uncertainRecall: 1 } }));
    const gated = await runCli(['--cases', dir, '--data', join(work, 'u1'), '--baseline', file]);
    expect(gated.code).toBe(1);
    expect((gated.summary['regressions'] as { metric: string }[]).map((change) => change.metric)).toEqual(
      expect.arrayContaining(['uncertainPrecision']),
    );
  });

  it('writes Markdown and a self-contained HTML report', async () => {
    const report = join(work, 'report');
    const result = await runCli(['--cases', copyCases(['hw-pentest-agent', 'hw-support-bot-clean', 'hw-support-bot-injected']), '--data', join(work, 'd2'), '--report', report]);
    expect(result.code).toBe(0);
    const html = readFileSync(join(report, 'eval-report.html'), 'utf8');
    // Self-contained: no script, and nothing loaded or linked from elsewhere (listing URLs are shown as text).
    expect(html).not.toMatch(/<script|(?:href|src)=["']?https?:/);
    expect(html.match(/<svg/g)).toHaveLength(5);
    expect(html).toContain('Threat keyword recall per MAESTRO layer');
    expect(html).toContain('Worst cases by factor MAE');
    // Compared with the committed baseline: every metric's baseline bar is drawn; a current figure
    // these cases cannot have (no case states a score value) shows "—" instead of a zero bar.
    const comparison = /<figure class="comparison-chart">.*?<\/figure>/s.exec(html)?.[0] ?? '';
    expect(comparison.match(/\(baseline\)<\/text><rect class="bar"/g)).toHaveLength(GATED_METRICS.length);
    expect(comparison).toContain('scoreMae (current)</text><text class="none" x="244" y="');
    const markdown = readFileSync(join(report, 'eval-report.md'), 'utf8');
    expect(markdown).toMatch(/## Per-factor MAE/);
    expect(markdown).toMatch(/## Threat keyword recall per layer\n\n\| layer \| keywords found \| recall \|\n\|---\|---\|---\|\n\| L2 Data Operations \| \d of 4 \| [\d.]+ \|\n\| L3 Agent Frameworks \| \d of 1 \| [\d.]+ \|\n/);
    // Each gated metric with its direction, floor, baseline, figure and standing.
    expect(markdown).toMatch(/\| uncertainPrecision \| ↑ higher \| ≥ 0\.5 \| [\d.]+ \| [\d.]+ \| ok \|/);
    expect(markdown).toMatch(/\| factorMae \| ↓ lower \| ≤ 0\.15 \| [\d.]+ \| [\d.]+ \| ok \|/);
    // The rules calibration's generalisation, next to the in-sample figure.
    expect(markdown).toMatch(/## Rules calibration\n/);
    expect(markdown).toMatch(/\| overall \| [\d.—]+ \| [\d.—]+ \| [\d.—]+ \|/);
    expect(html).toContain('Rules calibration');
  });
});

describe('threatdraft eval: bad input', () => {
  it('exits 2 when a case has no expected.json', async () => {
    const dir = copyCases(['hw-pentest-agent']);
    rmSync(join(dir, 'hw-pentest-agent', 'expected.json'));
    const result = await runCli(['--cases', dir, '--data', join(work, 'bad1')]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/hw-pentest-agent has no expected\.json/);
  });

  it('exits 2 when a tolerance is not a number, naming the field', async () => {
    const dir = copyCases(['hw-pentest-agent']);
    const file = join(dir, 'hw-pentest-agent', 'expected.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), tolerance: 'loose' }));
    const result = await runCli(['--cases', dir, '--data', join(work, 'bad2')]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/expected\.json: `tolerance`: .*number/);
  });

  it('exits 2 on a baseline from another assessor', async () => {
    const file = join(work, 'openai-baseline.json');
    const stored = JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...stored, assessor: 'openai' }));
    const result = await runCli(['--cases', copyCases(['hw-pentest-agent']), '--data', join(work, 'bad3'), '--baseline', file]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/is from the openai assessor, not rules/);
  });

  it('exits 2 on an unknown assessor', async () => {
    const result = await runCli(['--assessor', 'oracle', '--data', join(work, 'bad4')]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/`--assessor`: expected rules or openai/);
  });
});

describe('threatdraft eval: record and replay for the model assessor', () => {
  it('records answers from an endpoint, replays them offline, and gates a worse recording', async () => {
    const dir = copyCases(['hw-autonomous-coding-agent', 'hw-support-bot-clean', 'ref-openhands']);
    const endpoint = await startFakeOpenAI({ responder: await competentModel(dir) });
    try {
      const recorded = await runCli(['--cases', dir, '--assessor', 'openai', '--record', '--data', join(work, 'rec')], {
        OPENAI_BASE_URL: endpoint.baseUrl,
        OPENAI_API_KEY: 'sk-test-record',
      });
      expect(recorded.err).toBe('');
      expect(recorded.code).toBe(0);
      // One GET /v1/models to detect the profile, then one answer per case.
      expect(endpoint.requestLog.filter((entry) => entry.path === '/v1/chat/completions')).toHaveLength(3);
      expect(endpoint.requestLog.filter((entry) => entry.path === '/v1/models')).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
    for (const id of ['hw-autonomous-coding-agent', 'hw-support-bot-clean', 'ref-openhands']) {
      expect(existsSync(join(dir, id, 'model-response.json'))).toBe(true);
    }
    // Replay: no endpoint configured, answers come from the recordings through the fake server.
    const baselineFile = join(work, 'openai-baseline-replay.json');
    const replay = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep'), '--baseline', baselineFile, '--update-baseline']);
    expect(replay.code).toBe(0);
    expect(replay.summary).toMatchObject({ assessor: 'openai', assessed: 3, passed: true });

    // A worse prompt's recording: every factor of one case pushed to 1.
    const file = join(dir, 'hw-support-bot-clean', 'model-response.json');
    const recording = JSON.parse(readFileSync(file, 'utf8')) as { assessment: { factors: Record<string, { value: number }> } };
    for (const factor of Object.values(recording.assessment.factors)) factor.value = 1;
    writeFileSync(file, JSON.stringify(recording));
    const worse = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep'), '--baseline', baselineFile]);
    expect(worse.code).toBe(1);
    expect(worse.summary['passed']).toBe(false);
  });

  it('reports a case whose call fails as errored, goes on with the rest, exits 3, and resumes on a rerun', async () => {
    const ids = ['hw-autonomous-coding-agent', 'hw-support-bot-clean', 'ref-openhands'];
    const dir = copyCases(ids);
    const [failing] = await loadCases(join(dir));
    const failingListing = listingForCase(failing!);
    let refuse = true;
    const competent = await competentModel(dir);
    const endpoint = await startFakeOpenAI({
      responder: (request) => (refuse && request.listing?.id === failingListing.id ? { refusal: 'I cannot assess this listing.' } : competent(request)),
    });
    const data = join(work, 'errored');
    const env = { OPENAI_BASE_URL: endpoint.baseUrl, OPENAI_API_KEY: 'sk-test-errored', THREATDRAFT_MODEL: 'gpt-4o-mini' };
    try {
      const first = await runCli(['--cases', dir, '--assessor', 'openai', '--record', '--data', data], env);
      expect(first.code).toBe(3);
      // Incomplete is not a pass: the gate held for the cases measured, but one was not.
      expect(first.summary).toMatchObject({ cases: 2, assessed: 2, errored: 1, regressions: [], passed: false });
      const errors = first.summary['errors'] as { case: string; reason: string }[];
      expect(errors).toEqual([{ case: failing!.id, reason: expect.stringContaining('refused') as unknown as string }]);
      // The reason names the endpoint and model, and the spend of the run is reported, failures included.
      expect(errors[0]?.reason).toContain(endpoint.baseUrl);
      expect(errors[0]?.reason).toContain('gpt-4o-mini');
      expect((first.summary['tokens'] as { in: number }).in).toBeGreaterThan(0);
      expect(first.summary['costUsd']).toBeGreaterThan(0);
      expect(typeof first.summary['wallMs']).toBe('number');
      expect(first.lines.some((line) => line.includes(`"case":"${failing!.id}","error"`))).toBe(true);
      // Nothing was recorded for the case that errored: its earlier recording stands.
      expect(readFileSync(join(dir, failing!.id, 'model-response.json'), 'utf8')).toBe(readFileSync(join(CASES, failing!.id, 'model-response.json'), 'utf8'));

      // The endpoint recovers: the rerun resumes, asking only for the case that errored.
      refuse = false;
      endpoint.reset();
      const second = await runCli(['--cases', dir, '--assessor', 'openai', '--record', '--data', data], env);
      expect(second.code).toBe(0);
      expect(second.summary).toMatchObject({ cases: 3, assessed: 1, reused: 2, errored: 0, errors: [] });
      expect(endpoint.requestLog.filter((entry) => entry.path === '/v1/chat/completions').map((entry) => entry.listingId)).toEqual([failingListing.id]);
    } finally {
      await endpoint.close();
    }
  });

  it('keeps the baseline when cases errored, and reports errored cases from a broken recording offline', async () => {
    const dir = copyCases(['hw-pentest-agent', 'hw-support-bot-clean']);
    // The measured case answers as a competent model would (the generator's answers break the floors).
    const [support] = await loadCases(join(dir)).then((all) => all.filter((item) => item.id === 'hw-support-bot-clean'));
    writeFileSync(join(dir, 'hw-support-bot-clean', 'model-response.json'), JSON.stringify({ model: 'competent-test-model', assessment: competentAnswer(support!) }));
    // A recording that breaks the schema (one layer): the replay's repair gets the same answer back.
    const file = join(dir, 'hw-pentest-agent', 'model-response.json');
    const recording = JSON.parse(readFileSync(file, 'utf8')) as { assessment: { layers: unknown[] } };
    recording.assessment.layers = recording.assessment.layers.slice(0, 1);
    writeFileSync(file, JSON.stringify(recording));
    const baselineFile = join(work, 'openai-baseline-errored.json');
    const result = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep-errored'), '--baseline', baselineFile, '--update-baseline']);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ cases: 1, errored: 1, errors: [{ case: 'hw-pentest-agent', reason: expect.stringContaining('layers') as unknown as string }] });
    expect(result.err).toMatch(/baseline was not updated/);
    expect(existsSync(baselineFile)).toBe(false);
  });

  it('compares prompt versions by replay: each version records its own answers, and replays gate one against the other', async () => {
    const ids = ['hw-autonomous-coding-agent', 'hw-support-bot-clean'];
    const dir = copyCases(ids);
    const competent = await competentModel(dir);
    // A model that answers v1's prompt badly (every factor 1) and v2's (calibrated anchors) competently.
    const endpoint = await startFakeOpenAI({
      responder: (request) => {
        const answer = competent(request);
        if (answer === null || !('content' in answer) || request.messages[0]?.content.includes('Example:') === true) return answer;
        const worse = answer.content as { factors: Record<string, { value: number }> };
        for (const factor of Object.values(worse.factors)) factor.value = 1;
        return answer;
      },
    });
    const env = (version: number) => ({ OPENAI_BASE_URL: endpoint.baseUrl, OPENAI_API_KEY: 'sk-test-versions', THREATDRAFT_PROMPT_VERSION: String(version) });
    try {
      // Recording gates nothing here: each writes a throwaway baseline.
      const scratch = (name: string) => ['--baseline', join(work, `${name}.json`), '--update-baseline'];
      // v1's answers are bad enough to fall below the floors: recorded all the same, and the gate says so.
      expect((await runCli(['--cases', dir, '--assessor', 'openai', '--record', '--data', join(work, 'pv-rec1'), ...scratch('pv-rec1')], env(1))).code).toBe(1);
      expect((await runCli(['--cases', dir, '--assessor', 'openai', '--record', '--data', join(work, 'pv-rec2'), ...scratch('pv-rec2')], env(2))).code).toBe(0);
    } finally {
      await endpoint.close();
    }
    for (const id of ids) {
      expect(existsSync(join(dir, id, 'model-response.v1.json'))).toBe(true);
      expect(existsSync(join(dir, id, 'model-response.json'))).toBe(true);
    }
    // Offline: v2's replay against a baseline of v1's replay, and the other way round.
    const v1Baseline = join(work, 'baseline-prompt-v1.json');
    const v1 = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'pv-1'), '--baseline', v1Baseline, '--update-baseline'], { THREATDRAFT_PROMPT_VERSION: '1' });
    expect(v1.code).toBe(1);
    expect((v1.summary['floorBreaches'] as { metric: string }[]).map((breach) => breach.metric)).toContain('factorMae');
    expect(existsSync(v1Baseline)).toBe(true);
    const v2 = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'pv-2'), '--baseline', v1Baseline], { THREATDRAFT_PROMPT_VERSION: '2' });
    expect(v2.code).toBe(0);
    expect(v2.summary['promptHash']).not.toBe(v1.summary['promptHash']);
    expect((v2.summary['improved'] as { metric: string }[]).map((change) => change.metric)).toContain('factorMae');
    const v2Baseline = join(work, 'baseline-prompt-v2.json');
    await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'pv-3'), '--baseline', v2Baseline, '--update-baseline'], { THREATDRAFT_PROMPT_VERSION: '2' });
    const back = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'pv-4'), '--baseline', v2Baseline], { THREATDRAFT_PROMPT_VERSION: '1' });
    expect(back.code).toBe(1);
  });

  it('leaves a case without a recording unmeasured and says so: the replay is incomplete (exit 3), never a pass', async () => {
    const dir = copyCases(['hw-pentest-agent', 'hw-support-bot-clean']);
    rmSync(join(dir, 'hw-pentest-agent', 'model-response.json'));
    const [support] = await loadCases(join(dir)).then((all) => all.filter((item) => item.id === 'hw-support-bot-clean'));
    writeFileSync(join(dir, 'hw-support-bot-clean', 'model-response.json'), JSON.stringify({ model: 'competent-test-model', assessment: competentAnswer(support!) }));
    // A fresh baseline file: compared with nothing, so only the missing recording can stop a pass.
    const fresh = ['--baseline', join(work, 'rep2-baseline.json'), '--update-baseline'];
    const result = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep2'), ...fresh]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('baseline was not updated');
    expect(result.summary).toMatchObject({
      cases: 1,
      errored: 1,
      regressions: [],
      passed: false,
      recordings: { file: 'model-response.json', missing: ['hw-pentest-agent'], models: { 'competent-test-model': 1 } },
    });
    expect(result.lines.some((line) => line.includes('"case":"hw-pentest-agent","error":{"code":"E_NO_RECORDING"'))).toBe(true);
    expect(result.err).toContain('Recordings missing: 1 of 2 cases have no model-response.json (hw-pentest-agent), so they were not measured and the run cannot pass');
    const tty = captureIo({ tty: true, env: { NO_COLOR: '1' } });
    expect(await main(['eval', '--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep2'), ...fresh], tty)).toBe(3);
    expect(tty.out()).toContain('Recordings missing: 1 of 2 cases');
    expect(tty.out()).toContain('Gate: incomplete, not a pass: 1 case was not measured\n');
    expect(tty.out()).not.toContain('Gate: passed');
  });

  it('exits 2 on a recording that exists but is malformed', async () => {
    const dir = copyCases(['hw-pentest-agent']);
    writeFileSync(join(dir, 'hw-pentest-agent', 'model-response.json'), JSON.stringify({ model: 'm' }));
    const result = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep3')]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/hw-pentest-agent has a malformed recording \(model-response\.json needs \{ model, assessment \}\)/);
  });
});

describe('threatdraft eval promote', () => {
  it('turns an approved draft into a case the next eval runs', async () => {
    const { promoteDraft } = await import('../../src/cli/eval-command.js');
    const { createDraft } = await import('../factories/draft.js');
    const { createListing } = await import('../factories/listing.js');
    const store = createMemoryStore();
    const listing = createListing();
    await store.listings.put(listing);
    const draft = createDraft({ listingId: listing.id, status: 'approved', reviews: [{ reviewer: 'ana', action: 'approve', comment: null, at: '2026-01-01T00:00:00.000Z' }] });
    await store.drafts.save(draft, null);
    const casesDir = join(work, 'promoted-cases');
    mkdirSync(casesDir);
    const { id } = await promoteDraft(draft.id, { cases: casesDir }, { io: captureIo(), store });
    const [promoted] = await loadCases(casesDir);
    expect(promoted?.id).toBe(id);
    expect(promoted?.expected).toMatchObject({ origin: 'promoted', score: { band: draft.score.severity } });
    expect(promoted?.expected.rationale).toMatch(/approved by ana/);
    expect((await store.audit.list()).map((entry) => entry.action)).toContain('eval-promote');

    await expect(promoteDraft('missing.r1', { cases: casesDir }, { io: captureIo(), store })).rejects.toThrow(/No draft missing\.r1/);
  });
});

describe('threatdraft eval: the committed model recordings', () => {
  it('replay offline with no regression against the committed openai baseline, and fail the floors, being the fake generator’s', async () => {
    const count = (await loadCases(CASES)).length;
    const result = await runCli(['--assessor', 'openai', '--data', join(work, 'replay-committed')], {});
    expect(result.err).toBe(
      `threatdraft eval: Recordings from no real model: ${count} of ${count} answers were made by fake-openai-generator, the project's stand-in, so these figures test the pipeline, not a model; record a real model with --record.\n`,
    );
    expect(result.summary).toMatchObject({ assessor: 'openai', cases: count, assessed: count, errored: 0, regressed: [], passed: false, baseline: 'compared' });
    // Awful absolute figures cannot pass because the baseline is as awful: the floors fail the gate.
    expect(result.code).toBe(1);
    const breaches = (result.summary['floorBreaches'] as { metric: string; scope: string }[]).map((breach) => breach.metric);
    expect(breaches).toEqual(expect.arrayContaining(['bandAccuracy', 'scoreMae']));
    expect((result.summary['regressions'] as { scope: string }[]).every((change) => change.scope === 'floor')).toBe(true);
    // The static prompt prefix comes first, so all but the first request read it from the (fake's) prompt cache.
    expect(result.summary['cachedShare']).toBeGreaterThan(0.5);
  });

  it('shows the cached share and the errored cases in the report', async () => {
    const dir = copyCases(['hw-pentest-agent', 'hw-bare-foundation-model', 'ref-openhands']);
    const file = join(dir, 'ref-openhands', 'model-response.json');
    writeFileSync(file, JSON.stringify({ model: 'fake-openai-generator', assessment: { summary: 'not a whole answer' } }));
    const report = join(work, 'report-openai');
    const result = await runCli(['--cases', dir, '--assessor', 'openai', '--data', join(work, 'rep-report'), '--report', report, '--baseline', join(work, 'report-openai-baseline.json'), '--update-baseline']);
    // The generator's answers of the other two break the floors: a failure outranks incomplete.
    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({ errored: 1, passed: false });
    expect(result.err).toContain(`threatdraft eval: report written to ${join(report, 'eval-report.html')} (and ${join(report, 'eval-report.md')})`);
    const markdown = readFileSync(join(report, 'eval-report.md'), 'utf8');
    expect(markdown).toMatch(/- spent: \d+ tokens in \(cached share [\d.]+%\), \d+ out, \$[\d.]+, [\d.]+ s/);
    expect(markdown).toContain('## Errored cases (not measured)');
    expect(markdown).toMatch(/\| ref-openhands \| Model output for listing .* broke the assessment schema after one repair/);
    const html = readFileSync(join(report, 'eval-report.html'), 'utf8');
    expect(html).toContain('cached share');
    expect(html).toContain('<h2>Errored cases (not measured)</h2>');
  });
});

describe('threatdraft eval on a TTY', () => {
  it('says when the case set differs from the baseline and what was compared', async () => {
    const dir = copyCases(['hw-autonomous-coding-agent']);
    const io = captureIo({ tty: true });
    expect(await main(['eval', '--cases', dir, '--data', join(work, 'tty')], io)).toBe(0);
    const missing = Object.keys(baselineSchema.parse(JSON.parse(readFileSync(BASELINE, 'utf8'))).cases).length - 1;
    expect(io.out()).toContain(`case set differs from the baseline (0 new, ${missing} missing): compared on the 1 shared case.`);
    expect(io.out()).toMatch(/keywordRecall L3 +↑ +[\d.—]+/);
    expect(io.out()).toMatch(/\nfactorMae +↓ +[\d.]+ +≤ 0\.15 +[\d.]+\n/);
    expect(io.out()).toMatch(/Gate: passed/);
  });
});
