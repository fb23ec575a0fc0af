/**
 * Logs: pino, JSON lines on stderr (stdout carries results), at LOG_LEVEL (default warn).
 * Paths that could hold a secret are redacted even if a caller passes them by mistake.
 * pino (and its stream modules) is loaded on the first logger made, not with this module, so a
 * command that never logs does not pay for it at start-up.
 */
import { createRequire } from 'node:module';
import type { Logger, pino as Pino } from 'pino';
import type { AssessorLogger } from './assess/openai-assessor.js';

export type { Logger };

const REDACT = ['apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', 'cookie'];

const load = createRequire(import.meta.url);

/** A logger writing to stderr at `level`. */
export function createLogger(level: string, name = 'threatdraft'): Logger {
  const { pino } = load('pino') as { pino: typeof Pino };
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination({ fd: 2, sync: true }));
}

/** A {@link createLogger} logger made on the first call that logs: a run that logs nothing never loads pino. */
export function deferredLogger(level: string, name = 'threatdraft'): AssessorLogger {
  let logger: Logger | undefined;
  const get = (): Logger => (logger ??= createLogger(level, name));
  return {
    debug: (object, message) => get().debug(object, message),
    info: (object, message) => get().info(object, message),
    warn: (object, message) => get().warn(object, message),
  };
}
