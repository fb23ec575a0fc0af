import type { DefineCommand } from './types.js';

/** `threatdraft assess INPUT… [--assessor rules|openai] [--json]`: one draft per input, no store needed. */
export const defineAssess: DefineCommand = (program, context) => {
  program
    .command('assess')
    .description('Assess AI-agent listings (HTML files or http(s) URLs) and print { listing, assessment, score, checks, provenance } for each.')
    .argument('<INPUT...>', 'HTML file paths or http(s) URLs')
    .option('--assessor <id>', 'rules (offline, deterministic) or openai (OPENAI_API_KEY / OPENAI_BASE_URL, THREATDRAFT_MODEL)', 'rules')
    .option('--formula <formula>', 'AIVSS formula: v0.8, v0.8-floor or v0.5', 'v0.8')
    .option('--allow-private-network', 'let URL inputs reach loopback and private addresses (intranet listings)')
    .option('--json', 'print one JSON line per input, then a summary line')
    .option('--data <DIR>', 'accepted like every command; assess needs no store, writes nothing and keeps no model-response cache')
    .addHelpText(
      'after',
      `
Inputs that cannot be assessed (missing file, empty page, over 2 MB, not HTML, unreachable URL) are
reported by name on stderr; the others are still assessed, and the command exits 2 at the end.
Examples: threatdraft assess listing.html --json
          threatdraft assess https://directory.example/agents/acme --assessor openai`,
    )
    .action(
      async (
        inputs: string[],
        options: { assessor: string; formula: string; allowPrivateNetwork?: boolean; json?: boolean },
      ) => {
        const { runAssess } = await import('../assess-command.js');
        const code = await runAssess(
          inputs,
          {
            assessor: options.assessor,
            formula: options.formula,
            allowPrivateNetwork: options.allowPrivateNetwork === true,
            json: options.json === true,
          },
          context.io,
        );
        context.setExitCode(code);
      },
    );
};
