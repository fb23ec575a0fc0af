/**
 * `threatdraft status [--json] [--data DIR]`: counts per stage and status: listings stored, drafts
 * per status and, when Redis is used, jobs per state in each queue.
 */
import type { Io } from '../io.js';
import type { DefineCommand } from './types.js';

interface StatusCommandOptions {
  json?: boolean;
  data?: string;
  namespace?: string;
}

export const defineStatus: DefineCommand = (program, { io }) => {
  program
    .command('status')
    .description('Show counts per stage and status: listings, drafts by status, queue jobs (with REDIS_URL).')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis')
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default threatdraft)')
    .option('--json', 'print the counts as one JSON line')
    .addHelpText('after', '\nOutput: { store, listings, drafts: { draft, approved, ... }, reviewers, auditEntries, queues? }')
    .action(async (options: StatusCommandOptions) => {
      await runStatus(options, io);
    });
};

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

async function runStatus(options: StatusCommandOptions, io: Io): Promise<void> {
  const [{ loadEnv }, { openStore }, { humanOutput, table, writeJsonLine }] = await Promise.all([
    import('../../config.js'),
    import('../../store/open-store.js'),
    import('../io.js'),
  ]);
  const env = loadEnv(io.env);
  let queues: Record<string, Record<string, number>> | undefined;
  let storePrefix: string | undefined;
  if (env.REDIS_URL !== undefined) {
    const [{ Queue }, { ASSESS_QUEUE, CRAWL_QUEUE, bullConnection, prefixesFor }] = await Promise.all([
      import('bullmq'),
      import('../../../queues/names.js'),
    ]);
    const prefixes = prefixesFor(options.namespace);
    storePrefix = prefixes.store;
    queues = {};
    for (const name of [CRAWL_QUEUE, ASSESS_QUEUE]) {
      const queue = new Queue(name, { connection: { ...bullConnection(env.REDIS_URL), maxRetriesPerRequest: 3 }, prefix: prefixes.queue });
      try {
        queues[name] = await queue.getJobCounts(...JOB_STATES);
      } finally {
        await queue.close();
      }
    }
  }
  const store = await openStore({
    dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft',
    redisUrl: env.REDIS_URL,
    ...(storePrefix === undefined ? {} : { redisPrefix: storePrefix }),
  });
  try {
    const stats = await store.stats();
    const result = { store: store.kind, ...stats, ...(queues === undefined ? {} : { queues }) };
    if (humanOutput(io, options.json)) {
      const rows: string[][] = [
        ['store', store.kind],
        ['listings', String(stats.listings)],
        ...Object.entries(stats.drafts).map(([status, count]) => [`drafts ${status}`, String(count)]),
        ['reviewers', String(stats.reviewers)],
        ['audit entries', String(stats.auditEntries)],
      ];
      for (const [name, counts] of Object.entries(queues ?? {})) {
        rows.push([`queue ${name}`, JOB_STATES.map((state) => `${state} ${counts[state] ?? 0}`).join(', ')]);
      }
      io.stdout.write(`${table(rows)}\n`);
    } else {
      writeJsonLine(io, result);
    }
  } finally {
    await store.close();
  }
}
