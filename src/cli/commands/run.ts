/**
 * `threatdraft run (--source FILE | --demo) [--assessor rules|openai] [--queue local|redis://…]
 * [--concurrency N] [--data DIR] [--json]`: the whole pipeline (crawl, assess, draft), locally or
 * on BullMQ workers. Heavy modules load only when the command runs.
 */
import { InputError, ThreatdraftError } from '../../errors.js';
import type { Executor } from '../../pipeline/run.js';
import type { Io } from '../io.js';
import type { DefineCommand } from './types.js';

/** The loopback port the demo directory prefers. */
export const DEMO_PORT = 47613;

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
    .option('--demo', 'serve the bundled demo directory on loopback, crawl it and assess it with rules')
    .option('--assessor <NAME>', 'rules (offline, default) or openai (OPENAI_BASE_URL / OPENAI_API_KEY, THREATDRAFT_MODEL)')
    .option('--queue <local|URL>', 'local (in process, default) or a redis:// URL for BullMQ workers (default: REDIS_URL when set)')
    .option('--concurrency <N>', 'assessments in flight at once (default THREATDRAFT_MODEL_CONCURRENCY, 4)')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA)')
    .option('--limit <N>', 'crawl at most N listings')
    .option('--no-worker', 'with a Redis queue: only enqueue and wait; `threatdraft worker` processes do the work')
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default threatdraft)')
    .option('--json', 'print the summary as one JSON line')
    .addHelpText(
      'after',
      `
Summary: { listings, assessed, unchanged, failed, failures: [{ id | url, reason }], drafts, tokens, costUsd, wallMs }
         assessed counts listings sent to an assessor in this run; unchanged ones (same content, prompt,
         model and assessor) keep their draft; drafts counts draft revisions written in this run.
Exit:    0 when every listing has a draft, 1 when any listing failed, 2 on bad input.`,
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
  const limit = parsePositiveInt('limit', options.limit);
  const concurrencyFlag = parsePositiveInt('concurrency', options.concurrency);
  const { loadEnv } = await import('../../config.js');
  const env = loadEnv(io.env);
  const queue = chooseQueue(options.queue, env.REDIS_URL);
  const concurrency = concurrencyFlag ?? env.THREATDRAFT_MODEL_CONCURRENCY;
  const dataDir = options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft';

  const source = options.source === undefined ? undefined : await (await import('../../crawl/source-config.js')).loadSourceConfig(options.source);
  const [{ openStore }, { assessorFactory, fetcherForSource }, { runPipeline, LocalExecutor }, { startRunProgress }, { humanOutput, table, writeJsonLine }, { createLogger }] =
    await Promise.all([
      import('../../store/open-store.js'),
      import('../../pipeline/wiring.js'),
      import('../../pipeline/run.js'),
      import('../../pipeline/progress.js'),
      import('../io.js'),
      import('../../log.js'),
    ]);

  const cleanups: Array<() => Promise<void>> = [];
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new ThreatdraftError('E_INTERRUPTED', 'Run interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let progress: Awaited<ReturnType<typeof startRunProgress>>;
  try {
    let demo: { rawBase: string; close(): Promise<void>; sourceConfig: NonNullable<typeof source> } | undefined;
    if (options.demo === true) {
      const { startDemoServer } = await import('../../crawl/demo-server.js');
      // A fixed port keeps listing URLs (and so ids and hashes) stable across demo runs, so a
      // second \`npm start\` finds everything unchanged; any free port when it is taken.
      demo = await startDemoServer({ port: DEMO_PORT }).catch(() => startDemoServer());
      cleanups.push(() => (demo as { close(): Promise<void> }).close());
    }
    const runSource = demo?.sourceConfig ?? source;
    if (runSource === undefined) throw new InputError('E_USAGE', 'Expected `--source FILE` or `--demo`');

    let namespace: string | undefined;
    let prefixes: { store: string; queue: string } | undefined;
    if (queue.kind === 'bullmq') {
      const { prefixesFor } = await import('../../../queues/names.js');
      namespace = options.namespace;
      prefixes = prefixesFor(namespace);
    }
    const store = await openStore(
      queue.kind === 'bullmq' ? { redisUrl: queue.url, redisPrefix: (prefixes as { store: string }).store } : { dataDir },
    );
    cleanups.unshift(() => store.close());
    const assessorFor = assessorFactory({ env, cache: store.cache, logger: createLogger(env.LOG_LEVEL) });
    const { assessor, profile } = await assessorFor(assessorKind);
    const fetcherFor = (s: typeof runSource) => fetcherForSource(s, env.THREATDRAFT_CONTACT_URL);

    let executor: Executor;
    if (queue.kind === 'bullmq') {
      const [{ BullExecutor }, { startWorkers }] = await Promise.all([
        import('../../../queues/executor.js'),
        import('../../../queues/worker.js'),
      ]);
      if (options.worker !== false) {
        const workers = await startWorkers({
          redisUrl: queue.url,
          ...(namespace === undefined ? {} : { namespace }),
          store,
          assessorFor,
          fetcherFor,
          concurrency,
        });
        cleanups.unshift(() => workers.close());
      }
      executor = new BullExecutor({ redisUrl: queue.url, ...(namespace === undefined ? {} : { namespace }), store });
    } else {
      executor = new LocalExecutor({ store, assessor, fetcherFor, modelConcurrency: concurrency });
    }
    cleanups.unshift(() => executor.close());

    progress = await startRunProgress(io.stderr);
    const summary = await runPipeline({
      executor,
      store,
      profile,
      source: runSource,
      ...(demo === undefined ? {} : { rawBase: demo.rawBase }),
      ...(limit === undefined ? {} : { limit }),
      signal: controller.signal,
      ...(progress === undefined ? {} : { onProgress: progress.update }),
    });
    progress?.stop();
    progress = undefined;

    const where = queue.kind === 'bullmq' ? `Redis at ${redact(queue.url)} (namespace ${namespace ?? 'threatdraft'})` : resolvePath(dataDir);
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
      for (const failure of summary.failures) io.stdout.write(`  failed ${failure.id ?? failure.url}: ${failure.reason}\n`);
    } else {
      writeJsonLine(io, summary);
    }
    if (options.demo === true) {
      const dataFlag = queue.kind === 'local' ? ` --data ${JSON.stringify(dataDir)}` : '';
      const hint = [
        `Drafts are in ${where}.`,
        `Review them: threatdraft reviewers add YOUR-NAME${dataFlag}   (prints your token once)`,
        `             threatdraft review${dataFlag}   (serves the review UI on loopback; open the URL it prints)`,
        `List them:   threatdraft drafts list${dataFlag}`,
      ].join('\n');
      (humanOutput(io, options.json) ? io.stdout : io.stderr).write(`\n${hint}\n`);
    }
    return summary.failed > 0 ? 1 : 0;
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

function resolvePath(dir: string): string {
  return dir.startsWith('/') ? dir : `${process.cwd()}/${dir.replace(/^\.\//, '')}`;
}

/** A Redis URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

