/**
 * Logs: pino, JSON lines on stderr (stdout carries results), at LOG_LEVEL (default warn).
 * Paths that could hold a secret are redacted even if a caller passes them by mistake.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', 'cookie'];

/** A logger writing to stderr at `level`. */
export function createLogger(level: string, name = 'threatdraft'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination({ fd: 2, sync: true }));
}
