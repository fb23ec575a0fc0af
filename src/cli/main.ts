/**
 * The CLI: the only place that reads argv. Each command lives in `commands/`, defines its options
 * with commander and imports its heavy implementation lazily, so `--help` starts fast.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { processIo, reportError, type Io } from './io.js';
import { terminalSafe } from './terminal.js';
import { VERSION } from '../version.js';

/** Runs the CLI and resolves to the exit code: 0 ok, 1 failure, 2 bad usage or input. */
export async function main(argv: readonly string[], given: Io = processIo): Promise<number> {
  // Whatever a command prints, control characters reach the terminal escaped (see terminal.ts).
  const io: Io = { ...given, stdout: terminalSafe(given.stdout), stderr: terminalSafe(given.stderr) };
  let exitCode = 0;
  const program = new Command('threatdraft')
    .description('Draft agentic threat models (OWASP AIVSS + CSA MAESTRO) from AI-agent listings, for human review.')
    .version(VERSION)
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

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version') return 0;
      if (thrown.code === 'commander.help') return 0;
      return 2;
    }
    const json = argv.includes('--json');
    reportError(io, thrown, json);
    return exitCodeFor(thrown);
  }
  return exitCode;
}
