/** Output helpers shared by commands: JSON lines for machines, readable text on a TTY. */
import { ThreatdraftError, toError } from '../errors.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /**
   * The user allows color in human output (no `--no-color`, `NO_COLOR` unset or empty): style.ts
   * paints only streams that are TTYs. @default false
   */
  color?: boolean | undefined;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

/** True when output should be human text: a TTY and no `--json`. */
export function humanOutput(io: Io, json: boolean | undefined): boolean {
  return !json && io.stdout.isTTY === true;
}

/**
 * Makes a closed stdout (`threatdraft drafts list | head`) end the process quietly: without a
 * listener, Node turns EPIPE into an unhandled 'error' event and a stack trace.
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WritableStream, exit: (code: number) => void = process.exit): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    else throw error;
  });
}

/** Writes one JSON object as one line. */
export function writeJsonLine(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes an error for a person (and, with `--json`, as a JSON line on stdout too). */
export function reportError(io: Io, thrown: unknown, json: boolean): void {
  const error = toError(thrown);
  const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
  io.stderr.write(`threatdraft: ${error.message}${code === 'E_INTERNAL' ? '' : ` [${code}]`}\n`);
  if (json) writeJsonLine(io, { error: { code, message: error.message } });
}

/** Reads all of a stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Renders rows as an aligned plain-text table. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd()).join('\n');
}
