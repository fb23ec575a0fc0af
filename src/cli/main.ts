/**
 * The CLI: the only place that reads argv. Each command lives in `commands/`, defines its options
 * with commander and imports its heavy implementation lazily, so `--help` starts fast.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { processIo, reportError, type Io } from './io.js';
import { colorAllowed } from './style.js';
import { terminalSafe } from './terminal.js';
import { VERSION } from '../version.js';

/**
 * Runs the CLI and resolves to the exit code: 0 ok, 1 failure, 2 bad usage or input (a bare
 * `threatdraft`, or a command group without its subcommand, prints usage on stderr and is bad usage).
 */
export async function main(argv: readonly string[], given: Io = processIo): Promise<number> {
  // Whatever a command prints, control characters reach the terminal escaped (see terminal.ts).
  const io: Io = { ...given, stdout: terminalSafe(given.stdout), stderr: terminalSafe(given.stderr), color: colorAllowed(argv, given.env) };
  let exitCode = 0;
  const program = new Command('threatdraft')
    .description('Draft agentic threat models (OWASP AIVSS + CSA MAESTRO) from AI-agent listings, for human review.')
    .version(VERSION)
    .option('--no-color', 'no color in human output (also NO_COLOR=1); JSON and piped output never have any')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const setExitCode = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  for (const define of COMMANDS) define(program, { io, setExitCode });
  for (const command of program.commands) command.exitOverride();

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version') return 0;
      // `help [command]` exits 0; help shown because a command group lacks its subcommand is bad usage.
      if (thrown.code === 'commander.help') return thrown.exitCode === 0 ? 0 : 2;
      return 2;
    }
    const json = argv.includes('--json');
    reportError(io, thrown, json);
    return exitCodeFor(thrown);
  }
  return exitCode;
}
