/**
 * `threatdraft status [--json] [--data DIR]`: counts per stage and status: listings stored, drafts
 * per status and, when Redis is used, jobs per state in each queue.
 */
import { TransientError } from '../../errors.js';
import type { RedisTarget } from '../../store/redis-target.js';
import { safeRedisUrl } from '../../store/redis-url.js';
import type { Io } from '../io.js';
import { parseNamespace } from './run.js';
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
    .option('--namespace <NAME>', 'Redis key namespace for store and queues (default THREATDRAFT_NAMESPACE, or threatdraft)')
    .option('--json', 'print the counts as one JSON line')
    .addHelpText(
      'after',
      '\nOutput: { store, listings, drafts: { draft, approved, ... }, reviewers, auditEntries, auditTornLines: [line…], queues? }\n' +
        '        auditTornLines: audit.jsonl lines cut short by a crash or a full disk (skipped by every reader)',
    )
    .action(async (options: StatusCommandOptions) => {
      await runStatus(options, io);
    });
};

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** How long `status` waits for one queue's counts once Redis answered. */
const QUEUE_TIMEOUT_MS = 5000;

async function runStatus(options: StatusCommandOptions, io: Io): Promise<void> {
  const namespaceFlag = parseNamespace(options.namespace);
  const [{ loadEnv }, { openStore }, { humanOutput, table, writeJsonLine }] = await Promise.all([
    import('../../config.js'),
    import('../../store/open-store.js'),
    import('../io.js'),
  ]);
  const env = loadEnv(io.env);
  const namespace = namespaceFlag ?? env.THREATDRAFT_NAMESPACE;
  let queues: Record<string, Record<string, number>> | undefined;
  let redis: RedisTarget | undefined;
  if (env.REDIS_URL !== undefined) {
    const redisUrl = env.REDIS_URL;
    const [{ Queue }, { ASSESS_QUEUE, BATCH_QUEUE, CRAWL_QUEUE, bullConnection, closeBullConnection, prefixesFor }, { checkRedis }, { redisTargetFrom }, { resolveRedisTarget }] =
      await Promise.all([
        import('bullmq'),
        import('../../../queues/names.js'),
        import('../../../queues/connect.js'),
        import('../../store/redis-target.js'),
        import('../../store/redis-client.js'),
      ]);
    const named = redisTargetFrom(redisUrl, env.REDIS_CLUSTER_NODES) ?? redisUrl;
    // BullMQ waits for a missing Redis forever: find out first, with a bounded timeout.
    await checkRedis(named);
    redis = await resolveRedisTarget(named);
    const where = safeRedisUrl(redisUrl);
    const prefix = prefixesFor(namespace, redis).queue;
    queues = {};
    for (const name of [CRAWL_QUEUE, ASSESS_QUEUE, BATCH_QUEUE]) {
      // A few reconnects, then commands fail instead of waiting: this is a one-shot read.
      const connection = bullConnection(redis, { maxRetriesPerRequest: 3, retryStrategy: (times: number) => (times > 3 ? null : 100 * times) });
      const queue = new Queue(name, { connection, prefix });
      let lastError: Error | undefined;
      // Without a listener BullMQ prints a stack trace per connection error.
      queue.on('error', (error) => (lastError = error));
      let timer: NodeJS.Timeout | undefined;
      try {
        queues[name] = await Promise.race([
          queue.getJobCounts(...JOB_STATES),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(lastError?.message ?? `no answer within ${QUEUE_TIMEOUT_MS} ms`)), QUEUE_TIMEOUT_MS);
          }),
        ]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new TransientError('E_REDIS', `Redis queue counts failed at ${where} (queue ${name}): ${message}`, { redis: where, queue: name }, { cause: error });
      } finally {
        clearTimeout(timer);
        await queue.close().catch(() => undefined);
        await closeBullConnection(connection);
      }
    }
  }
  const store = await openStore({
    dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft',
    redisUrl: redis,
    namespace,
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
        ...(stats.auditTornLines.length === 0
          ? []
          : [['audit torn lines', `${stats.auditTornLines.length} (line ${stats.auditTornLines.join(', ')}): writes cut short by a crash or a full disk, skipped by every reader`]]),
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
