/**
 * `threatdraft run (--source FILE | --demo) [--assessor rules|openai] [--queue local|redis://…]
 * [--concurrency N] [--data DIR] [--json]`: the whole pipeline (crawl, assess, draft), locally or
 * on BullMQ workers. Heavy modules load only when the command runs.
 */
import { dirname, relative, resolve } from 'node:path';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from '../../../schemas/namespace.js';
import { InputError } from '../../errors.js';
import { hasRedisCredentials, safeRedisUrl } from '../../store/redis-url.js';
import type { RunSummary } from '../../pipeline/contracts.js';
import type { Executor } from '../../pipeline/run.js';
import type { RedisTarget } from '../../store/redis-target.js';
import type { Io } from '../io.js';
import { exitOnSignals, untilAborted } from '../signals.js';
import { colorOn } from '../style.js';
import { rawStream } from '../terminal.js';
import type { DefineCommand } from './types.js';

/** The loopback port the demo directory prefers. */
export const DEMO_PORT = 47613;

/**
 * The origin demo listing ids derive from, whatever port the demo got: that of its preferred
 * port, so ids stay those of earlier runs on it.
 */
export const DEMO_ID_ORIGIN = `http://127.0.0.1:${DEMO_PORT}`;

interface RunCommandOptions {
  source?: string;
  demo?: boolean;
  assessor?: string;
  queue?: string;
  concurrency?: string;
  data?: string;
  json?: boolean;
  limit?: string;
  worker?: boolean;
  namespace?: string;
  batch?: boolean;
}

/** Parses a positive integer option. @throws InputError naming the flag. */
export function parsePositiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InputError('E_USAGE', `Expected \`--${name}\` to be a positive integer, got ${JSON.stringify(value)}`, { option: name });
  }
  return parsed;
}

/**
 * Validates a `--namespace` value; undefined when not given.
 * @throws InputError naming the flag when it is not letters, digits, '.', '_' or '-'.
 */
export function parseNamespace(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!NAMESPACE_PATTERN.test(value)) {
    throw new InputError('E_USAGE', `Expected \`--namespace\` to be ${NAMESPACE_RULE}, got ${JSON.stringify(value)}`, { option: 'namespace' });
  }
  return value;
}

/**
 * Chooses the executor: `--queue local`, `--queue redis://…`, else REDIS_URL when set (an empty
 * REDIS_URL counts as unset), else local.
 * @throws InputError for any other `--queue` value.
 */
export function chooseQueue(queue: string | undefined, redisUrl: string | undefined): { kind: 'local' } | { kind: 'bullmq'; url: string } {
  if (queue === undefined || queue.trim() === '') {
    return redisUrl !== undefined && redisUrl.trim() !== '' ? { kind: 'bullmq', url: redisUrl } : { kind: 'local' };
  }
  if (queue === 'local') return { kind: 'local' };
  if (/^rediss?:\/\/\S+$/.test(queue) && URL.canParse(queue)) return { kind: 'bullmq', url: queue };
  throw new InputError('E_USAGE', `Expected \`--queue\` to be local or a redis:// URL, got ${JSON.stringify(queue)}`, { option: 'queue' });
}

export const defineRun: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('run')
    .description('Run the whole pipeline: crawl a directory, assess every new or changed listing, store drafts for review.')
    .option('--source <FILE>', 'source config JSON of the directory to crawl')
    .option('--demo', 'serve the bundled demo on loopback (an HTML directory, A2A agent cards, an MCP registry, a page built in a browser), crawl and assess it')
    .option('--assessor <NAME>', 'rules (offline, default) or openai (OPENAI_BASE_URL / OPENAI_API_KEY, THREATDRAFT_MODEL)')
    .option('--queue <local|URL>', 'local (in process, default) or a redis:// URL for BullMQ workers (default: REDIS_URL when set)')
    .option('--concurrency <N>', 'model calls in flight at once; listings: twice N, 96 at least (default THREATDRAFT_MODEL_CONCURRENCY, 4)')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA)')
    .option('--limit <N>', 'crawl at most N listings')
    .option('--no-worker', 'with a Redis queue: only enqueue and wait; `threatdraft worker` processes do the work')
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default THREATDRAFT_NAMESPACE, or threatdraft)')
    .option('--batch', 'with --assessor openai on OpenAI or Azure: assess through the Batch API (half price, resumable)')
    .option('--json', 'print the summary as one JSON line')
    .addHelpText(
      'after',
      `
Summary: { listings, assessed, unchanged, failed, failures: [{ id | url, reason }], drafts, tokens, costUsd, wallMs }
         assessed counts listings sent to an assessor in this run; unchanged ones (same content, prompt,
         model and assessor) keep their draft; drafts counts draft revisions written in this run. Documents
         the crawl skipped (unusable agent cards or registry entries) and possible rug pulls are told on
         stderr, one line each; the drafts carry the warnings.
Sources: html (default), a2a (agent cards) or mcp-registry (registry API v0.1), see \`crawl --help\`.
Exit:    0 when every listing has a draft, 1 when any listing failed, 2 on bad input.
Threads: with the rules assessor and the local queue, a run of 200 listings or more assesses in worker
         threads on the other cores (THREATDRAFT_ASSESS_THREADS; default one per core beyond the first,
         at most 4; 0: in process).
--batch: the changed listings' requests go to the Batch API as JSONL (custom_id = the listing's cache
         key), window 24h, polled every THREATDRAFT_BATCH_POLL_MS (30 s) with progress on stderr; each
         answer is validated like a live one (a broken one gets one live repair) and costed at the batch
         rate. The batch id is kept in the store: rerun the same command after a crash or Ctrl-C to
         resume polling instead of paying again; an expired or partly failed batch resubmits only what
         is missing. With a Redis queue one worker job owns the batch.`,
    )
    .action(async (options: RunCommandOptions) => {
      setExitCode(await runCommand(options, io));
    });
};

async function runCommand(options: RunCommandOptions, io: Io): Promise<number> {
  if ((options.source === undefined) === (options.demo !== true)) {
    throw new InputError('E_USAGE', 'Expected exactly one of `--source FILE` or `--demo`');
  }
  const assessorKind = options.assessor ?? 'rules';
  if (assessorKind !== 'rules' && assessorKind !== 'openai') {
    throw new InputError('E_USAGE', `Expected \`--assessor\` to be rules or openai, got ${JSON.stringify(assessorKind)}`, { option: 'assessor' });
  }
  if (options.batch === true && assessorKind !== 'openai') {
    throw new InputError('E_USAGE', '`--batch` sends model requests through the Batch API: use it with --assessor openai', { option: 'batch' });
  }
  const limit = parsePositiveInt('limit', options.limit);
  const concurrencyFlag = parsePositiveInt('concurrency', options.concurrency);
  const namespaceFlag = parseNamespace(options.namespace);
  const { loadEnv } = await import('../../config.js');
  const env = loadEnv(io.env);
  const queue = chooseQueue(options.queue, env.REDIS_URL);
  const namespace = namespaceFlag ?? env.THREATDRAFT_NAMESPACE;
  const concurrency = concurrencyFlag ?? env.THREATDRAFT_MODEL_CONCURRENCY;
  const dataDir = options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft';

  const source = options.source === undefined ? undefined : await (await import('../../crawl/source-config.js')).loadSourceConfig(options.source);
  const [{ openStore }, { assessorFactory, fetcherForSource }, { runPipeline, mergeRunSummaries, LocalExecutor }, { startRunProgress }, { humanOutput, table, writeJsonLine }, { deferredLogger }] =
    await Promise.all([
      import('../../store/open-store.js'),
      import('../../pipeline/wiring.js'),
      import('../../pipeline/run.js'),
      import('../progress.js'),
      import('../io.js'),
      import('../../log.js'),
    ]);

  const cleanups: Array<() => Promise<void>> = [];
  const controller = new AbortController();
  const stopListening = exitOnSignals(controller, { message: 'Run interrupted', graceMs: 5000 });
  let progress: Awaited<ReturnType<typeof startRunProgress>>;
  try {
    let redis: RedisTarget | undefined;
    if (queue.kind === 'bullmq') {
      // BullMQ connections wait for Redis forever; check once, with a bounded timeout, first.
      const [{ checkRedis }, { redisTargetFrom }, { resolveRedisTarget }] = await Promise.all([
        import('../../../queues/connect.js'),
        import('../../store/redis-target.js'),
        import('../../store/redis-client.js'),
      ]);
      // REDIS_CLUSTER_NODES belongs to REDIS_URL; a --queue URL elsewhere is detected on its own.
      const named = redisTargetFrom(queue.url, queue.url === env.REDIS_URL ? env.REDIS_CLUSTER_NODES : undefined) ?? queue.url;
      await untilAborted(checkRedis(named), controller.signal);
      // A cluster node (INFO cluster) switches store and queues to a cluster client with hash-tagged keys.
      redis = await untilAborted(resolveRedisTarget(named), controller.signal);
    }
    let demo: { origin: string; rawBase: string; close(): Promise<void>; sources: ReadonlyArray<NonNullable<typeof source>> } | undefined;
    if (options.demo === true) {
      const { startDemoServer } = await import('../../crawl/demo-server.js');
      // The preferred port when it is free, any other otherwise: listing ids are derived as if it
      // were the preferred one (idOrigin below), so a second \`npm start\` finds the same listings.
      demo = await startDemoServer({ port: DEMO_PORT }).catch(() => startDemoServer());
      cleanups.push(() => (demo as { close(): Promise<void> }).close());
    }
    const runSources = demo === undefined ? (source === undefined ? [] : [source]) : await demoSources(demo.sources, env.THREATDRAFT_CHROMIUM_PATH, io);
    const runSource = runSources[0];
    if (runSource === undefined) throw new InputError('E_USAGE', 'Expected `--source FILE` or `--demo`');

    const store = await openStore(redis !== undefined ? { redisUrl: redis, namespace } : { dataDir });
    cleanups.unshift(() => store.close());
    const assessorFor = assessorFactory({ env, cache: store.cache, logger: deferredLogger(env.LOG_LEVEL), fewShotFrom: store });
    const { assessor, profile } = await assessorFor(assessorKind);
    const fetcherFor = (s: typeof runSource) => fetcherForSource(s, env.THREATDRAFT_CONTACT_URL);

    let executor: Executor;
    if (redis !== undefined) {
      const [{ BullExecutor }, { startWorkers }] = await Promise.all([
        import('../../../queues/executor.js'),
        import('../../../queues/worker.js'),
      ]);
      if (options.worker !== false) {
        const starting = startWorkers({
          redisUrl: redis,
          namespace,
          store,
          assessorFor,
          fetcherFor,
          chromiumPath: env.THREATDRAFT_CHROMIUM_PATH,
          concurrency,
          listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS,
          batchPollMs: env.THREATDRAFT_BATCH_POLL_MS,
        });
        // Closed even when a signal ends the wait, so no connection outlives the command.
        cleanups.unshift(async () => (await starting).close());
        await untilAborted(starting, controller.signal);
      }
      executor = new BullExecutor({ redisUrl: redis, namespace, store, batch: options.batch === true });
    } else {
      executor = new LocalExecutor({
        store,
        assessor,
        fetcherFor,
        chromiumPath: env.THREATDRAFT_CHROMIUM_PATH,
        modelConcurrency: concurrency,
        listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS,
        ...(env.THREATDRAFT_ASSESS_THREADS === undefined ? {} : { assessThreads: env.THREATDRAFT_ASSESS_THREADS }),
        ...(options.batch === true
          ? {
              batch: {
                pollMs: env.THREATDRAFT_BATCH_POLL_MS,
                onStatus: (status) =>
                  io.stderr.write(`batch ${status.batchId} (round ${status.round}): ${status.status}, ${status.completed + status.failed}/${status.total} done, ${status.failed} failed\n`),
              },
            }
          : {}),
      });
    }
    cleanups.unshift(() => executor.close());

    // The bars draw with escape sequences of their own and print no listing data.
    progress = await startRunProgress(rawStream(io.stderr), colorOn(io, io.stderr));
    // The demo plays every source type (an HTML directory, agent cards, a registry, a page built in
    // a browser): one pipeline run per source, summed.
    const perSource: Array<{ source: NonNullable<typeof source>; summary: RunSummary }> = [];
    const notices: string[] = [];
    for (const each of runSources) {
      const summary = await runPipeline({
        executor,
        store,
        profile,
        source: each,
        ...(demo === undefined ? {} : { rawBase: demo.rawBase, idOrigin: { from: demo.origin, to: DEMO_ID_ORIGIN } }),
        ...(limit === undefined ? {} : { limit }),
        listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS,
        signal: controller.signal,
        ...(progress === undefined ? {} : { onProgress: progress.update }),
        // Skipped documents and possible rug pulls are not failures of the run: they are told on stderr.
        onCrawled: (crawled) => {
          for (const skip of crawled.skips) notices.push(`threatdraft: skipped ${skip.url}: ${skip.reason} [${skip.code}]`);
          for (const warning of crawled.warnings) notices.push(`threatdraft: warning ${warning.id}: ${warning.message} [${warning.code}]`);
        },
      });
      perSource.push({ source: each, summary });
    }
    const summary = perSource.length === 1 ? (perSource[0] as { summary: RunSummary }).summary : mergeRunSummaries(perSource.map((entry) => entry.summary));
    progress?.stop();
    progress = undefined;
    for (const notice of notices) io.stderr.write(`${notice}\n`);

    const where = queue.kind === 'bullmq' ? `Redis at ${safeRedisUrl(queue.url)} (namespace ${namespace})` : resolve(dataDir);
    if (humanOutput(io, options.json)) {
      io.stdout.write(
        `${table([
          ['listings', String(summary.listings)],
          ['assessed', String(summary.assessed)],
          ['unchanged', String(summary.unchanged)],
          ['failed', String(summary.failed)],
          ['drafts written', String(summary.drafts)],
          ['tokens', String(summary.tokens)],
          ['cost (USD)', summary.costUsd.toFixed(4)],
          ['wall time', `${(summary.wallMs / 1000).toFixed(1)} s`],
        ])}\n`,
      );
      if (perSource.length > 1) {
        for (const { source: each, summary: part } of perSource) {
          io.stdout.write(`  ${each.id} (${each.type ?? 'html'}${each.render === undefined ? '' : `, render ${each.render}`}): ${part.listings} listings, ${part.assessed} assessed\n`);
        }
      }
      for (const failure of summary.failures) io.stdout.write(`  failed ${failure.id ?? failure.url}: ${failure.reason}\n`);
    } else {
      writeJsonLine(io, summary);
    }
    if (options.demo === true) {
      const hint = demoHint({ queue, redisUrlEnv: env.REDIS_URL, namespace, dataDir, where, cli: selfInvocation(process.argv[1], process.cwd()) });
      (humanOutput(io, options.json) ? io.stdout : io.stderr).write(`\n${hint}\n`);
    }
    return summary.failed > 0 ? 1 : 0;
  } finally {
    progress?.stop();
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    stopListening();
  }
}

/**
 * The demo's sources to run: every one, but the page built in a browser only when Chromium is
 * there (a fresh machine without it still gets the rest, and is told how to add it).
 */
async function demoSources<S extends { id: string; render?: string | undefined }>(sources: readonly S[], chromiumPath: string | undefined, io: Io): Promise<S[]> {
  const { existsSync } = await import('node:fs');
  const { DEFAULT_CHROMIUM_PATH } = await import('../../crawl/render/chromium.js');
  const executable = chromiumPath ?? DEFAULT_CHROMIUM_PATH;
  if (existsSync(executable)) return [...sources];
  const skipped = sources.filter((each) => each.render !== undefined && each.render !== 'static');
  for (const each of skipped) io.stderr.write(`threatdraft: demo source ${each.id} needs Chromium, not found at ${executable} (install chromium or set THREATDRAFT_CHROMIUM_PATH); skipped\n`);
  return sources.filter((each) => !skipped.includes(each));
}

/**
 * The "what next" lines after `run --demo`: commands that read the same store the run wrote.
 * Other commands take the Redis URL and namespace from the environment, so the hint sets them
 * when the run got them from flags.
 */
export function demoHint(options: {
  queue: { kind: 'local' } | { kind: 'bullmq'; url: string };
  redisUrlEnv: string | undefined;
  namespace: string;
  dataDir: string;
  where: string;
  /** How to invoke threatdraft from here. @default 'threatdraft' */
  cli?: string;
}): string {
  const { queue } = options;
  const cli = options.cli ?? 'threatdraft';
  let before = '';
  let after = '';
  if (queue.kind === 'local') {
    after = ` --data ${JSON.stringify(options.dataDir)}`;
    // With REDIS_URL set, the other commands would read Redis instead of this file store.
    if (options.redisUrlEnv !== undefined) before = 'REDIS_URL= ';
  } else {
    const vars: string[] = [];
    // A password is never printed: the hint then names the variable for the user to fill in.
    if (queue.url !== options.redisUrlEnv) vars.push(`REDIS_URL=${hasRedisCredentials(queue.url) ? '<your redis URL>' : queue.url}`);
    if (options.namespace !== DEFAULT_NAMESPACE) vars.push(`THREATDRAFT_NAMESPACE=${options.namespace}`);
    before = vars.map((assignment) => `${assignment} `).join('');
  }
  return [
    `Drafts are in ${options.where}.`,
    `Review them: ${before}${cli} reviewers add YOUR-NAME${after}   (prints your token once)`,
    `             ${before}${cli} review${after}   (serves the review UI on loopback; open the URL it prints)`,
    `List them:   ${before}${cli} drafts list${after}`,
  ].join('\n');
}

/**
 * How the user can run threatdraft again from `cwd`, judged from the script this process runs:
 * `npx threatdraft` in the package root (after `npm ci && npm start`), `node <path>/bin/threatdraft.js`
 * elsewhere, and the bare name when it runs from a link on PATH.
 */
export function selfInvocation(script: string | undefined, cwd: string): string {
  if (script === undefined || !/(^|[/\\])bin[/\\]threatdraft\.js$/.test(script)) return 'threatdraft';
  const root = dirname(dirname(script));
  if (resolve(root) === resolve(cwd)) return 'npx threatdraft';
  const path = relative(cwd, script);
  return `node ${path.includes(' ') ? JSON.stringify(path) : path}`;
}
