/**
 * Color in human output. Color is on only when the user allows it (no `--no-color`, `NO_COLOR`
 * unset or empty, `TERM` not `dumb`; see {@link colorAllowed}) and the stream written to is a
 * TTY; JSON lines and piped output never carry it. Styled text is written through the raw stream
 * with every part escaped of control characters first (see terminal.ts), so only the escape
 * sequences made here reach the terminal, never one from listing data.
 */
import type { Severity } from '../../schemas/score.js';
import type { Io } from './io.js';
import { escapeControls, rawStream } from './terminal.js';

export type Style = 'ok' | 'bad' | 'warn' | 'dim' | 'bold' | `band-${Severity}`;

/** SGR codes per style (foreground colors from the 16 every terminal has). */
const SGR: Readonly<Record<Style, string>> = {
  ok: '32',
  bad: '1;31',
  warn: '33',
  dim: '2',
  bold: '1',
  'band-Critical': '1;35',
  'band-High': '31',
  'band-Medium': '33',
  'band-Low': '32',
  'band-None': '2',
};

/** A part of a line: plain text, or text in a style. */
export type Part = string | { text: string; style: Style | null };

/**
 * Whether the user allows color: not when `--no-color` was given, when `NO_COLOR` is set to anything
 * but the empty string (https://no-color.org), or when `TERM` is `dumb`.
 */
export function colorAllowed(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  if (options.includes('--no-color')) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return env['TERM'] !== 'dumb';
}

/** Whether output written to `stream` gets color: allowed by the user and a terminal. */
export function colorOn(io: Pick<Io, 'color'>, stream: { isTTY?: boolean }): boolean {
  return io.color === true && stream.isTTY === true;
}

/** `text` wrapped in the style's escape sequence, or as it is when `color` is off. Trusted text only. */
export function paint(text: string, style: Style | null, color: boolean): string {
  return color && style !== null && text !== '' ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
}

/** The style of an AIVSS band word. */
export function bandStyle(severity: Severity): Style {
  return `band-${severity}`;
}

/** Renders parts: each text escaped of control characters, styled parts painted when `color` is on. */
export function renderParts(parts: readonly Part[], color: boolean): string {
  return parts.map((part) => (typeof part === 'string' ? escapeControls(part) : paint(escapeControls(part.text), part.style, color))).join('');
}

/** Writes parts to stdout (or stderr), painted when that stream gets color. */
export function writeParts(io: Io, parts: readonly Part[], to: 'stdout' | 'stderr' = 'stdout'): void {
  const stream = io[to];
  rawStream(stream).write(renderParts(parts, colorOn(io, stream)));
}

/** An aligned plain-text table whose cells may be styled; padding stays outside the styles. */
export function styledTable(rows: readonly (readonly Part[])[]): Part[] {
  const text = (cell: Part): string => (typeof cell === 'string' ? cell : cell.text);
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, text(cell).length)));
  const out: Part[] = [];
  rows.forEach((row, rowIndex) => {
    row.forEach((cell, index) => {
      if (index > 0) out.push('  ');
      out.push(cell);
      // No trailing spaces after the last cell.
      if (index < row.length - 1) out.push(' '.repeat((widths[index] ?? 0) - text(cell).length));
    });
    if (rowIndex < rows.length - 1) out.push('\n');
  });
  return out;
}
