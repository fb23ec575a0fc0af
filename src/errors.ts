/**
 * Error classes, classified by what the caller does with them.
 *
 * - `InputError`: bad input or usage; the CLI exits 2, nothing stored is touched.
 * - `ConfigError`: bad configuration; stop at start-up (exit 2).
 * - `TransientError`: worth retrying (timeouts, resets, 429, 5xx).
 * - `PermanentError`: retrying cannot help (404, robots disallow, output failing the schema).
 *
 * Every error has a string-literal `code` and a `context` of ids and URLs; never secrets or whole bodies.
 */
import type { z } from 'zod';

export type ErrorContext = Readonly<Record<string, string | number | boolean | null | undefined>>;

export class ThreatdraftError extends Error {
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }

  /** A plain object safe to print or log. */
  toJSON(): { name: string; code: string; message: string; context: ErrorContext } {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

/** Bad input or usage. The CLI exits 2; stored data is never changed on this path. */
export class InputError extends ThreatdraftError {}

/** Bad configuration (env, source config). Stops the command at start-up with exit 2. */
export class ConfigError extends ThreatdraftError {}

/** A failure worth retrying with backoff: timeouts, connection resets, 429, 5xx. */
export class TransientError extends ThreatdraftError {
  /** Server-suggested wait before the next attempt, when it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: string,
    message: string,
    context: ErrorContext = {},
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(code, message, context, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** A failure that retrying cannot fix; queues turn it into BullMQ's UnrecoverableError. */
export class PermanentError extends ThreatdraftError {}

/** Data that fails its schema; holds the zod issues and names each path in the message. */
export class ExtractionError extends PermanentError {
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(what: string, issues: readonly z.core.$ZodIssue[], context: ErrorContext = {}) {
    super('E_SCHEMA', `${what}: ${formatIssues(issues)}`, context);
    this.issues = issues;
  }
}

/** Formats zod issues as "`path`: message" pairs, the path in dotted form. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 8)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      return `\`${path}\`: ${issue.message}`;
    })
    .join('; ')
    .concat(issues.length > 8 ? `; and ${issues.length - 8} more` : '');
}

/** Builds an InputError from zod issues, naming each failing field. */
export function inputErrorFromIssues(
  what: string,
  issues: readonly z.core.$ZodIssue[],
  context: ErrorContext = {},
): InputError {
  return new InputError('E_INPUT', `Invalid ${what}: ${formatIssues(issues)}`, context);
}

/** Normalises anything thrown into an Error, once, at a boundary. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/** The process exit code for an error: 2 for bad input or config, 1 otherwise. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof InputError || error instanceof ConfigError ? 2 : 1;
}

/**
 * A listing that ran out of its time budget (`E_LISTING_BUDGET`): permanent for that listing, so a
 * hostile or stalling page costs at most the budget. `subject` (URL or input) goes into the context;
 * callers report it beside the message.
 */
export function listingBudgetError(subject: string, budgetMs: number, step: string): PermanentError {
  const budget = budgetMs >= 1000 ? `${(budgetMs / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s` : `${budgetMs} ms`;
  return new PermanentError(
    'E_LISTING_BUDGET',
    `Listing did not finish within its ${budget} time budget (stopped while ${step}); raise THREATDRAFT_LISTING_BUDGET_MS if the source is just slow`,
    { subject, budgetMs, step },
  );
}

/** A compare-and-set lost: someone saved a newer version first. Nothing was written. */
export class ConflictError extends ThreatdraftError {}
