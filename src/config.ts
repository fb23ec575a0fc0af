import { envSchema, type Env } from '../schemas/config.js';
import { ConfigError, formatIssues } from './errors.js';

/**
 * Parses the environment once, fails fast with the variable named, and freezes the result.
 * @throws ConfigError when a variable is set to something invalid.
 */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError('E_CONFIG', `Invalid environment: ${formatIssues(parsed.error.issues)}`);
  }
  return Object.freeze(parsed.data);
}
