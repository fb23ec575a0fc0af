import type { DefineCommand } from './types.js';

export const defineScore: DefineCommand = (program, { io }) => {
  program
    .command('score')
    .description('Compute an AIVSS score from a JSON input (a file, or - for standard input).')
    .argument('[FILE]', 'JSON file with { formula?, cvss, factors, thm?, mf?, rounding? }, or - for stdin', '-')
    .option('--json', 'print the Score as one JSON line')
    .option('--data <DIR>', 'accepted like every command; score reads and writes no store')
    .addHelpText(
      'after',
      `
Input:   { "formula": "v0.8" | "v0.8-floor" | "v0.5",           (default v0.8)
           "cvss": "CVSS:4.0/AV:N/AC:L/..." | 7.5,             (vector or base score)
           "factors": { "autonomyOfAction": 0.5, ... },        (ten listing keys or ten v0.8 keys, 0..1)
           "thm": "attacked" | "poc" | "unreported" | 0.97,    (default poc)
           "mf": "none" | "partial" | "strong" | 1,            (default none)
           "rounding": "half-up" | "float-half-even" }         (default half-up)
         A non-empty array of such objects scores each in turn.
Example: echo '{"cvss":9.4,"factors":{"autonomy":1,"tools":1,"language":1,"context":1,"nonDeterminism":1,
           "opacity":1,"persistence":0.5,"identity":1,"multiAgent":1,"selfModification":0.5}}' | threatdraft score --json`,
    )
    .action(async (file: string, options: { json?: boolean }) => {
      const { runScore } = await import('../score-command.js');
      await runScore(file, { json: options.json === true }, io);
    });
};
