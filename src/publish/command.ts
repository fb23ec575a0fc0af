/** The implementation behind `threatdraft publish` (loaded lazily). */
import { humanOutput, writeJsonLine, type Io } from '../cli/io.js';
import { loadEnv } from '../config.js';
import { openStore } from '../store/open-store.js';
import { publishSite } from './publish.js';

/** Publishes approved drafts and writes the site; prints the summary. */
export async function runPublish(options: { out: string; data?: string | undefined; json?: boolean | undefined; as?: string | undefined }, io: Io): Promise<void> {
  const env = loadEnv(io.env);
  const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: env.REDIS_URL, namespace: env.THREATDRAFT_NAMESPACE });
  try {
    const summary = await publishSite({ store, outDir: options.out, ...(options.as === undefined ? {} : { actor: options.as }) });
    if (humanOutput(io, options.json)) {
      io.stdout.write(
        `Published ${summary.published.length} draft(s); superseded ${summary.superseded.length}; ${summary.agents} agent(s), ${summary.files} files in ${summary.outDir}${
          summary.swept.length === 0 ? '' : `; removed ${summary.swept.length} temporary folder(s) left by interrupted runs`
        }\n`,
      );
    } else writeJsonLine(io, summary);
  } finally {
    await store.close();
  }
}
