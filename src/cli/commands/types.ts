import type { Command } from 'commander';
import type { Io } from '../io.js';

export interface CommandContext {
  io: Io;
  /** Raises the process exit code (the highest code set wins). */
  setExitCode(code: number): void;
}

/** Adds one command (with its options and action) to the program. */
export type DefineCommand = (program: Command, context: CommandContext) => void;
