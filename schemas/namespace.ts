/**
 * The Redis key namespace rule, shared by the env schema and the CLI flags. No zod here: the CLI
 * checks `--namespace` while defining commands, and `--help` must not pay for loading zod.
 */

/** The Redis namespace used when none is configured. */
export const DEFAULT_NAMESPACE = 'threatdraft';

/** A Redis key namespace: letters, digits, '.', '_' or '-', 1 to 100 characters (no ':' or spaces). */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/** What a namespace must look like, for error messages. */
export const NAMESPACE_RULE = "letters, digits, '.', '_' or '-' (1 to 100 characters)";
