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
  const { controller, dispose } = linkedController(parent);
  const timer = deadlineTimer(controller, ms);
  return {
    signal: controller.signal,
    timedOut: timer.timedOut,
    dispose() {
      timer.clear();
      dispose();
    },
  };
}

/** Aborts `controller` with a TimeoutError after `ms`, unless cleared first. */
function deadlineTimer(controller: AbortController, ms: number): { timedOut: () => boolean; clear: () => void } {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`Timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  return { timedOut: () => timedOut, clear: () => clearTimeout(timer) };
}

/** Signals lent out by {@link borrowSignal} right now. */
const borrowed = new WeakSet<AbortSignal>();

/**
 * `parent` itself for one piece of work at a time, a child linked to it for any other that asks
 * while the first still holds it (work that puts a listener on the signal it gets, such as an HTTP
 * request): the common case (one request after another under a listing's budget) makes no
 * controller at all, and many at once still add a single listener to `parent`.
 */
export function borrowSignal(parent: AbortSignal | undefined): LinkedSignal {
  if (parent === undefined || borrowed.has(parent)) return linkedSignal(parent);
  borrowed.add(parent);
  return { signal: parent, dispose: () => borrowed.delete(parent) };
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
  return budgetOver(startDeadline(parent, ms), ms, fail, now);
}

function budgetOver(deadline: Deadline, ms: number, fail: (step: string) => Error, now: () => number): Budget {
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

/**
 * Budgets for work items one worker runs one after another (a crawl worker's listings). They share
 * one signal, linked to `parent` once, until a budget runs out and aborts it: a listing then costs
 * a timer, not a controller and a link to the parent of its own. The work a budget guards must be
 * over (awaited) when it is disposed, so nothing of it is left listening on the shared signal.
 * `close` unlinks the lane from `parent`; call it when the worker stops.
 */
export class BudgetLane {
  readonly #parent: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #unlink: () => void = () => undefined;

  constructor(parent: AbortSignal | undefined) {
    this.#parent = parent;
  }

  /** Starts the next item's budget of `ms`; dispose it before starting another. */
  start(ms: number, fail: (step: string) => Error, now: () => number = performance.now.bind(performance)): Budget {
    const controller = this.#current();
    const timer = deadlineTimer(controller, ms);
    return budgetOver({ signal: controller.signal, timedOut: timer.timedOut, dispose: timer.clear }, ms, fail, now);
  }

  close(): void {
    this.#unlink();
    this.#unlink = () => undefined;
    this.#controller = undefined;
  }

  /** The shared controller, replaced once aborted (a budget ran out, or the parent aborted). */
  #current(): AbortController {
    if (this.#controller !== undefined && !this.#controller.signal.aborted) return this.#controller;
    this.#unlink();
    const { controller, dispose } = linkedController(this.#parent);
    this.#controller = controller;
    this.#unlink = dispose;
    return controller;
  }
}
