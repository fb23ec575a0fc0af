/**
 * Per-call deadlines that leave nothing behind. `AbortSignal.timeout(ms)` keeps its timer, the
 * signal and every listener the HTTP client put on it (with the request they close over) alive
 * until the timer fires, long after the call ended: at 200 calls a second and a 60 s timeout that
 * is 12,000 requests' worth of memory. This one is disposed when the call ends.
 */

/** A signal for one call: aborts when `parent` does or after `ms`. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the deadline (not the parent) aborted the signal. */
  timedOut(): boolean;
  /** Clears the timer and unlinks the parent; call it when the call ends, however it ends. */
  dispose(): void;
}

/** Per parent signal: the callbacks linked to it now and the one listener that calls them. */
const linked = new WeakMap<AbortSignal, { callbacks: Set<() => void>; fire: () => void }>();

/**
 * Calls `onAbort` when `parent` aborts, until the returned unlink is called. However many calls
 * link to one signal at once (a crawl with 16 listings in flight under the run's signal), the
 * signal carries one listener, removed with the last link: no MaxListenersExceededWarning, and
 * nothing stays behind on a long-lived signal (`AbortSignal.any` on Node 20 keeps an entry on the
 * parent for every signal ever made from it).
 */
function linkToParent(parent: AbortSignal, onAbort: () => void): () => void {
  let entry = linked.get(parent);
  if (entry === undefined) {
    const callbacks = new Set<() => void>();
    const fire = (): void => {
      linked.delete(parent);
      for (const callback of callbacks) callback();
      callbacks.clear();
    };
    entry = { callbacks, fire };
    linked.set(parent, entry);
    parent.addEventListener('abort', fire, { once: true });
  }
  const { callbacks, fire } = entry;
  callbacks.add(onAbort);
  return () => {
    if (!callbacks.delete(onAbort) || callbacks.size > 0) return;
    if (linked.get(parent)?.callbacks === callbacks) linked.delete(parent);
    parent.removeEventListener('abort', fire);
  };
}

/** A signal of its own that aborts with `parent`, linked through the parent's one listener. */
export interface LinkedSignal {
  readonly signal: AbortSignal | undefined;
  /** Unlinks it from the parent; call it when the work it guards ends, however it ends. */
  dispose(): void;
}

/**
 * A child of `parent` (undefined when there is none) for work that runs beside other work under the
 * same parent: many in flight at once add no listener each to the parent.
 */
export function linkedSignal(parent: AbortSignal | undefined): LinkedSignal {
  if (parent === undefined) return { signal: undefined, dispose: () => undefined };
  const { controller, dispose } = linkedController(parent);
  return { signal: controller.signal, dispose };
}

/**
 * A controller that also aborts when `parent` does (with its reason): what `AbortSignal.any([parent,
 * own])` gives, without its cost per call (a composite signal, weak references kept on the parent).
 * `dispose` unlinks it; call it when the work it guards ends.
 */
export function linkedController(parent: AbortSignal | undefined): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  if (parent === undefined) return { controller, dispose: () => undefined };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => undefined };
  }
  return { controller, dispose: linkToParent(parent, () => controller.abort(parent.reason)) };
}

/** Starts a deadline of `ms` linked to `parent` (when given). */
export function startDeadline(parent: AbortSignal | undefined, ms: number): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`Timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  const onParentAbort = (): void => controller.abort(parent?.reason);
  let unlink = (): void => {};
  if (parent?.aborted === true) onParentAbort();
  else if (parent !== undefined) unlink = linkToParent(parent, onParentAbort);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      unlink();
    },
  };
}

/**
 * A total time budget for one piece of work that mixes I/O and synchronous steps: `signal` aborts
 * the I/O when the budget runs out, and `check(step)` (called between synchronous steps, where no
 * timer can fire) throws once it has run out. `step` names what was running when it did.
 */
export interface Budget {
  readonly signal: AbortSignal;
  /** Records `step` as the one running now. @throws the budget's error once the budget is spent. */
  check(step: string): void;
  /** True when the budget (not the parent) ran out. */
  exceeded(): boolean;
  /** The step recorded last. */
  step(): string;
  dispose(): void;
}

/**
 * How long one listing may take in the stage that handles it, unless configured
 * (`THREATDRAFT_LISTING_BUDGET_MS`): in the crawl, from its first request to its store write (page
 * with retries, extraction, README); on the model path, every attempt, wait and repair. Far above
 * what a normal listing needs; it bounds what one hostile or stalling listing can take from a run.
 */
export const DEFAULT_LISTING_BUDGET_MS = 90_000;

/** Starts a budget of `ms` linked to `parent`; `fail(step)` builds the error `check` throws. */
export function startBudget(parent: AbortSignal | undefined, ms: number, fail: (step: string) => Error, now: () => number = performance.now.bind(performance)): Budget {
  const deadline = startDeadline(parent, ms);
  const endsAt = now() + ms;
  let current = 'starting';
  let spent = false;
  return {
    signal: deadline.signal,
    check(step) {
      current = step;
      if (spent || deadline.timedOut() || now() >= endsAt) {
        spent = true;
        throw fail(step);
      }
    },
    exceeded: () => spent || deadline.timedOut(),
    step: () => current,
    dispose: () => deadline.dispose(),
  };
}
