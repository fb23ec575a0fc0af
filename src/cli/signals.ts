/**
 * Signal handling for long-running commands (run, worker): the first SIGINT/SIGTERM aborts the
 * command so it can clean up, and the process always ends soon after.
 */
import { ThreatdraftError } from '../errors.js';

/** Options of {@link exitOnSignals}. */
export interface ExitOnSignalsOptions {
  /** The abort reason's message, e.g. 'Run interrupted'. */
  message: string;
  /** After the first signal, exit anyway when the command has not ended within this long. */
  graceMs: number;
  /** Called at the first signal, e.g. to say what shutting down waits for. */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** @default process.exit */
  exit?: (code: number) => void;
}

/**
 * Makes SIGINT and SIGTERM always end the process promptly. Listening to a signal replaces Node's
 * default (exit at once), so a command that listens must itself guarantee the exit: the first
 * signal aborts `controller` so the command stops and cleans up; if that is not done within
 * `graceMs` (a connection waiting on a dead Redis) or a second signal comes, the process exits
 * with 128 + the signal number. Returns a function that stops listening.
 */
export function exitOnSignals(controller: AbortController, options: ExitOnSignalsOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const codeOf = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143);
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      exit(codeOf(signal));
      return;
    }
    options.onSignal?.(signal);
    controller.abort(new ThreatdraftError('E_INTERRUPTED', `${options.message} (${signal})`, { signal }));
    // Unref'd: it never keeps a finished process alive; it fires only if something else does.
    setTimeout(() => exit(codeOf(signal)), options.graceMs).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}

/** Resolves or rejects like `promise`, or rejects with the abort reason as soon as `signal` aborts. */
export async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // The loser of the race must not become an unhandled rejection.
  promise.catch(() => undefined);
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
