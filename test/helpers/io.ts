import { PassThrough, Readable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';

export interface CapturedIo extends Io {
  out(): string;
  err(): string;
}

/** An Io whose stdout and stderr are captured; stdin is the given text (or a TTY with nothing). */
export function captureIo(options: { stdin?: string; tty?: boolean; env?: NodeJS.ProcessEnv } = {}): CapturedIo {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), {
    isTTY: options.stdin === undefined,
  });
  return { stdout, stderr, stdin, env: options.env ?? {}, out: () => out, err: () => err };
}
