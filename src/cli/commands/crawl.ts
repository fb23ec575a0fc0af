/**
 * `threatdraft crawl --source FILE [--limit N] [--json] [--data DIR]`: discover, fetch and extract
 * a directory's listings into the store. The heavy modules load only when the command runs.
 */
import type { CrawlProgress } from '../../crawl/crawl.js';
import { InputError, ThreatdraftError } from '../../errors.js';
import type { Io } from '../io.js';
import { colorOn } from '../style.js';
import { rawStream } from '../terminal.js';
import type { DefineCommand } from './types.js';

interface CrawlCommandOptions {
  source: string;
  limit?: string;
  json?: boolean;
  data?: string;
  rawBase?: string;
}

/** Parses `--limit`: a positive integer. @throws InputError naming the flag. */
export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InputError('E_USAGE', `Expected \`--limit\` to be a positive integer, got ${JSON.stringify(value)}`, { option: 'limit' });
  }
  return limit;
}

export const defineCrawl: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('crawl')
    .description('Discover, fetch and extract the listings of a directory into the store.')
    .requiredOption('--source <FILE>', 'source config JSON: { id, name, type?: html|a2a|mcp-registry, start, listingLinks (html), nextPage?, sitemap?, fields?, render?, ... }')
    .option('--limit <N>', 'crawl at most N listings')
    .option('--json', 'print the summary as one JSON line')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis')
    .option('--raw-base <URL>', 'where GitHub READMEs and manifests are fetched from (default https://raw.githubusercontent.com)')
    .addHelpText(
      'after',
      `
Summary: { found, fetched, unchanged, skipped, failed, failures: [{ url, code, reason, stage }], listings: [{ id, url, title }] }
         skipped counts robots.txt refusals and, for a2a and mcp-registry sources, documents that are not
         JSON, break their schema, exceed the size cap or redirect to a private address (each of those in
         failures with stage "skipped"); unchanged counts 304s and documents whose content did not change.
         Possible rug pulls (an MCP server's packages, remotes or tools changed under the same version)
         and documents with fields left out are told on stderr, one line each.
Sources: html (default) index pages read with CSS selectors, render static|browser|auto; a2a agent origins
         or card URLs; mcp-registry registry bases (GET <base>/v0.1/servers, updated_since on reruns).
Exit:    0 when the crawl ran (even with per-URL failures), 1 when no index page could be read, 2 on bad input.`,
    )
    .action(async (options: CrawlCommandOptions) => {
      const code = await runCrawl(options, io);
      setExitCode(code);
    });
};

async function runCrawl(options: CrawlCommandOptions, io: Io): Promise<number> {
  const limit = parseLimit(options.limit);
  const [{ loadSourceConfig }, { loadEnv }] = await Promise.all([import('../../crawl/source-config.js'), import('../../config.js')]);
  const source = await loadSourceConfig(options.source);
  const env = loadEnv(io.env);
  if (options.rawBase !== undefined && !/^https?:\/\/\S+$/i.test(options.rawBase)) {
    throw new InputError('E_USAGE', `Expected \`--raw-base\` to be an http(s) URL, got ${JSON.stringify(options.rawBase)}`, { option: 'raw-base' });
  }

  const [{ crawlSource }, { UndiciFetcher, fetcherSettingsForSource }, { openStore, redisTargetFrom }, { humanOutput, table, writeJsonLine }] = await Promise.all([
    import('../../crawl/crawl.js'),
    import('../../crawl/undici-fetcher.js'),
    import('../../store/open-store.js'),
    import('../io.js'),
  ]);
  const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: redisTargetFrom(env.REDIS_URL, env.REDIS_CLUSTER_NODES), namespace: env.THREATDRAFT_NAMESPACE });
  const fetcher = new UndiciFetcher({
    ...fetcherSettingsForSource(source),
    ...(source.contactUrl === undefined && env.THREATDRAFT_CONTACT_URL !== undefined ? { contactUrl: env.THREATDRAFT_CONTACT_URL } : {}),
  });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new ThreatdraftError('E_INTERRUPTED', 'Crawl interrupted'));
  process.once('SIGINT', onSignal);
  const progress = await startProgress(io);
  try {
    const summary = await crawlSource(source, {
      fetcher,
      store,
      limit,
      signal: controller.signal,
      rawBase: options.rawBase,
      listingBudgetMs: env.THREATDRAFT_LISTING_BUDGET_MS,
      onProgress: progress?.update,
      chromiumPath: env.THREATDRAFT_CHROMIUM_PATH,
    });
    progress?.stop();
    const { pagesVisited: _pages, bytes: _bytes, warnings, ...printed } = summary;
    // Possible rug pulls and documents with fields left out: told on stderr, as the drafts will carry them.
    for (const warning of warnings) io.stderr.write(`threatdraft: warning ${warning.id}: ${warning.message} [${warning.code}]\n`);
    if (humanOutput(io, options.json)) {
      io.stdout.write(
        `${table([
          ['source', source.id],
          ['found', String(summary.found)],
          ['fetched', String(summary.fetched)],
          ['unchanged', String(summary.unchanged)],
          ['skipped', String(summary.skipped)],
          ['failed', String(summary.failed)],
        ])}\n`,
      );
      const labels = { discover: 'index page', listing: 'listing', skipped: 'skipped' } as const;
      for (const failure of summary.failures) io.stdout.write(`  ${labels[failure.stage]} ${failure.url}: ${failure.reason} [${failure.code}]\n`);
    } else {
      writeJsonLine(io, printed);
    }
    const discoveryFailed = summary.found === 0 && summary.failures.some((failure) => failure.stage === 'discover');
    if (discoveryFailed) {
      io.stderr.write(`threatdraft: no listing found: every index page of ${source.id} failed\n`);
      return 1;
    }
    if (summary.found === 0) {
      io.stderr.write(
        source.listingLinks === undefined
          ? `threatdraft: no listing found in ${source.id}${source.type === 'mcp-registry' ? ' (after a complete crawl a registry is asked only for servers updated since)' : ''}\n`
          : `threatdraft: no listing found: \`listingLinks\` (${source.listingLinks}) matched no link\n`,
      );
    }
    return 0;
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', onSignal);
    await fetcher.close();
    await store.close();
  }
}

/** A progress bar on stderr when it is a TTY; nothing otherwise. */
async function startProgress(io: Io): Promise<{ update: (event: CrawlProgress) => void; stop: () => void } | undefined> {
  if (io.stderr.isTTY !== true) return undefined;
  const [{ SingleBar, Presets }, { fittedFormatter }] = await Promise.all([import('cli-progress'), import('../progress.js')]);
  const bar = new SingleBar(
    { stream: rawStream(io.stderr), format: fittedFormatter(colorOn(io, io.stderr)), hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let running = false;
  return {
    update: (event) => {
      if (event.phase === 'discovered') {
        bar.start(event.total, 0, { label: 'crawl', last: `${event.pagesVisited} index pages` });
        running = true;
      } else if (running) {
        bar.update(event.done, { last: event.outcome });
      }
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
