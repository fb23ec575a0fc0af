import type { DefineCommand } from './types.js';

export const defineEval: DefineCommand = (program, { io, setExitCode }) => {
  const evalCommand = program
    .command('eval')
    .description('Run golden evals for an assessor, compare with its baseline, and fail (exit 1) on a regression (exit 3 when cases errored).')
    .addHelpText(
      'after',
      `
\`threatdraft eval [options]\` runs \`eval run\` (see \`threatdraft eval run --help\` for every option):
  --cases DIR  --assessor rules|openai  --baseline FILE  --update-baseline  --report DIR
  --record  --no-cache  --data DIR  --json
Result (last JSON line): { cases, assessed, reused, errored, errors: [{ case, reason }], tokens: { in, out,
  cached }, cachedShare, costUsd, wallMs, metrics: { factorMae, withinTolerance, bandAccuracy, scoreMae,
  layerCertaintyAccuracy, uncertainPrecision, uncertainRecall, keywordRecall, keywordRecallByLayer,
  groundingRate, injectionRobustness, perFactorMae }, improved, regressed, regressions, baselineMissing,
  passed }; one line per case before it (an errored case: { case, error: { code, reason } }).
  A case whose model call fails is reported as errored and the run goes on; results are kept per case,
  so a rerun (with --record too) asks only for what is missing. --update-baseline is refused then.
Exit: 0 passed; 1 a metric regressed beyond its threshold; 2 bad input (case, tolerance, baseline);
      3 incomplete: cases errored (the rest are reported; rerun to resume).
Prompt versions: THREATDRAFT_PROMPT_VERSION=N records to and replays from model-response.vN.json
  (the default version uses model-response.json); replay one against the other's --baseline.
Examples: threatdraft eval --report eval-report
          threatdraft eval --assessor openai                     (replays recorded answers offline)
          OPENAI_API_KEY=… threatdraft eval --assessor openai --record
          THREATDRAFT_PROMPT_VERSION=1 threatdraft eval --assessor openai --baseline v2-baseline.json
          threatdraft eval promote acme-agent-1a2b3c.r2`,
    );

  evalCommand
    .command('run', { isDefault: true })
    .description('Run the eval cases (the default subcommand).')
    .option('--cases <DIR>', 'eval cases folder (default: evals/cases)')
    .option('--assessor <ID>', 'rules or openai (openai replays recorded answers offline unless --record)', 'rules')
    .option('--baseline <FILE>', 'baseline to compare with (default: evals/baselines/<assessor>.json)')
    .option('--update-baseline', 'write this run as the new baseline')
    .option('--report <DIR>', 'write eval-report.md and eval-report.html there')
    .option('--record', 'openai only: call the real endpoint and store each answer as model-response.json (resumes: answers already recorded by this model and prompt are kept)')
    .option('--no-cache', 'assess every case even when its inputs are unchanged')
    .option('--data <DIR>', 'file store root holding the result cache (default ./.threatdraft, or THREATDRAFT_DATA)')
    .option('--json', 'one JSON line per case, the summary last')
    .action(
      async (options: {
        cases?: string;
        assessor: string;
        baseline?: string;
        updateBaseline?: boolean;
        report?: string;
        record?: boolean;
        cache: boolean;
        data?: string;
        json?: boolean;
      }) => {
        const [{ runEvalCommand }, { loadEnv }, { openStore }] = await Promise.all([
          import('../eval-command.js'),
          import('../../config.js'),
          import('../../store/open-store.js'),
        ]);
        const env = loadEnv(io.env);
        // Eval results are cached in the file store even when REDIS_URL is set: they are local work.
        const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft' });
        try {
          const code = await runEvalCommand(
            {
              cases: options.cases,
              assessor: options.assessor,
              baseline: options.baseline,
              updateBaseline: options.updateBaseline === true,
              report: options.report,
              record: options.record === true,
              cache: options.cache,
              json: options.json === true,
            },
            { io, env, store },
          );
          setExitCode(code);
        } finally {
          await store.close();
        }
      },
    );

  evalCommand
    .command('promote')
    .description('Turn an approved draft into a golden eval case.')
    .argument('<DRAFT_ID>', 'id of an approved or published draft')
    .option('--cases <DIR>', 'eval cases folder (default: evals/cases)')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis')
    .option('--json', 'print { case, dir } as JSON')
    .action(async (draftId: string, options: { cases?: string; data?: string; json?: boolean }) => {
      const [{ promoteDraft }, { loadEnv }, { openStore, redisTargetFrom }] = await Promise.all([
        import('../eval-command.js'),
        import('../../config.js'),
        import('../../store/open-store.js'),
      ]);
      const env = loadEnv(io.env);
      const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: redisTargetFrom(env.REDIS_URL, env.REDIS_CLUSTER_NODES), namespace: env.THREATDRAFT_NAMESPACE });
      try {
        const { id, dir } = await promoteDraft(draftId, { cases: options.cases }, { io, store });
        if (options.json === true || io.stdout.isTTY !== true) io.stdout.write(`${JSON.stringify({ case: id, dir })}\n`);
        else io.stdout.write(`Promoted ${draftId} to eval case ${id} in ${dir}\n`);
      } finally {
        await store.close();
      }
    });
};
