/**
 * `threatdraft doctor [--listings N] [--json]`: checks the model endpoint before a big run
 * (reachability, auth, the model, the profile, one structured call, latency, cost for N listings).
 */
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import type { Io } from '../io.js';
import { parsePositiveInt } from './run.js';
import type { DefineCommand } from './types.js';

interface DoctorCommandOptions {
  listings?: string;
  json?: boolean;
}

export const defineDoctor: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('doctor')
    .description('Check the model endpoint before a big run: reachability, auth, model, profile, one structured call, latency, cost.')
    .option('--listings <N>', 'listings to estimate the cost for (default 1000)')
    .option('--json', 'print the report as one JSON line')
    .addHelpText(
      'after',
      `
Reads OPENAI_BASE_URL, OPENAI_API_KEY, THREATDRAFT_MODEL, THREATDRAFT_ENDPOINT_PROFILE (auto: from the URL,
else GET /v1/models), THREATDRAFT_AZURE_API_VERSION, THREATDRAFT_MAX_TOKENS and THREATDRAFT_PRICES.
Report: { endpoint, model, profile, checks: [{ check, ok, detail, ms }], latencyMs, maxTokens,
          estimate: { listings, promptTokensPerListing, outputTokensPerListing, cachedShare, liveUsd,
          batchUsd, worstCaseLiveUsd }, passed }
The structured call sends the answer schema a run sends, cut to 16 output tokens: it costs a prompt.
Exit:   0 every check passed, 1 a check failed, 2 bad configuration.`,
    )
    .action(async (options: DoctorCommandOptions) => {
      setExitCode(await runDoctorCommand(options, io));
    });
};

async function runDoctorCommand(options: DoctorCommandOptions, io: Io): Promise<number> {
  const listings = parsePositiveInt('listings', options.listings) ?? 1000;
  const [{ loadEnv }, { createEndpoint }, { runDoctor }, { loadPrompt, findPackageRoot }, { mergePrices }, { extractListing }, { readFile }, { humanOutput, table, writeJsonLine }] =
    await Promise.all([
      import('../../config.js'),
      import('../../assess/endpoint.js'),
      import('../../assess/doctor.js'),
      import('../../assess/prompts.js'),
      import('../../assess/prices.js'),
      import('../../crawl/extract.js'),
      import('node:fs/promises'),
      import('../io.js'),
    ]);
  const env = loadEnv(io.env);
  if (env.OPENAI_BASE_URL === undefined && env.OPENAI_API_KEY === undefined) {
    throw new ConfigError('E_CONFIG', 'doctor checks the openai assessor\'s endpoint: set OPENAI_API_KEY (api.openai.com) or OPENAI_BASE_URL (another endpoint)');
  }
  const endpoint = createEndpoint({
    apiKey: env.OPENAI_API_KEY,
    baseUrl: env.OPENAI_BASE_URL,
    model: env.THREATDRAFT_MODEL,
    profile: env.THREATDRAFT_ENDPOINT_PROFILE,
    azureApiVersion: env.THREATDRAFT_AZURE_API_VERSION,
    maxTokensCap: env.THREATDRAFT_MAX_TOKENS,
    timeoutMs: env.THREATDRAFT_MODEL_TIMEOUT_MS,
  });
  try {
    // A listing of the bundled demo directory stands for a typical one (prompt size).
    const file = join(findPackageRoot(), 'examples', 'demo-directory', 'agents', 'forge-coder.html');
    const sample = extractListing(await readFile(file, 'utf8'), { url: 'https://directory.example/agents/forge-coder', sourceId: 'doctor', fetchedAt: '2026-01-01T00:00:00.000Z' });
    const report = await runDoctor({
      endpoint,
      prompt: loadPrompt('assess-listing', env.THREATDRAFT_PROMPT_VERSION),
      prices: mergePrices(env.THREATDRAFT_PRICES),
      apiKey: env.OPENAI_API_KEY,
      listings,
      sample,
    });
    if (humanOutput(io, options.json)) {
      const usd = (value: number | null) => (value === null ? 'no price for this model (THREATDRAFT_PRICES)' : `$${value.toFixed(2)}`);
      io.stdout.write(`Endpoint ${report.endpoint}, model ${report.model}, profile ${report.profile ?? 'unknown'}\n\n`);
      io.stdout.write(`${table(report.checks.map((check) => [check.ok ? 'ok' : 'FAIL', check.check, check.ms === null ? '' : `${check.ms} ms`, check.detail]))}\n\n`);
      const e = report.estimate;
      io.stdout.write(
        `${table([
          ['max_tokens per request', String(report.maxTokens ?? '—')],
          ['prompt tokens per listing', String(e.promptTokensPerListing)],
          ['cached share of the prompt', `${Math.round(e.cachedShare * 100)}%`],
          [`cost for ${e.listings} listings, live`, usd(e.liveUsd)],
          [`cost for ${e.listings} listings, --batch`, e.batchUsd === null && e.liveUsd !== null ? 'no Batch API on this endpoint' : usd(e.batchUsd)],
          ['worst case (every answer at max_tokens)', usd(e.worstCaseLiveUsd)],
        ])}\n${report.passed ? 'All checks passed.' : 'Some checks failed.'}\n`,
      );
    } else writeJsonLine(io, report);
    return report.passed ? 0 : 1;
  } finally {
    await endpoint.close();
  }
}
