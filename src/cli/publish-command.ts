/** The implementation behind `threatdraft publish` (loaded lazily). */
import { humanOutput, writeJsonLine, type Io } from './io.js';
import { loadEnv } from '../config.js';
import { openStore, redisTargetFrom } from '../store/open-store.js';
import { publishSite } from '../publish/publish.js';

/** Publishes approved drafts and writes the site; prints the summary. Resolves to 1 when a draft was refused for stale text. */
export async function runPublish(
  options: { out: string; data?: string | undefined; json?: boolean | undefined; as?: string | undefined; correctionsUrl?: string | undefined },
  io: Io,
): Promise<number> {
  const env = loadEnv(io.env);
  const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: redisTargetFrom(env.REDIS_URL, env.REDIS_CLUSTER_NODES), namespace: env.THREATDRAFT_NAMESPACE });
  try {
    const summary = await publishSite({
      store,
      outDir: options.out,
      correctionsUrl: options.correctionsUrl ?? null,
      ...(options.as === undefined ? {} : { actor: options.as }),
    });
    if (humanOutput(io, options.json)) {
      io.stdout.write(
        `Published ${summary.published.length} draft(s); superseded ${summary.superseded.length}; ${summary.agents} agent(s), ${summary.files} files in ${summary.outDir}${
          summary.swept.length === 0 ? '' : `; removed ${summary.swept.length} temporary folder(s) left by interrupted runs`
        }\n`,
      );
      for (const { id, staleText } of summary.refused) {
        io.stdout.write(`Refused ${id}: stale text at ${staleText.join(', ')}; regenerate it or keep it as written (drafts regenerate|confirm-text ${id})\n`);
      }
    } else writeJsonLine(io, summary);
    return summary.refused.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
