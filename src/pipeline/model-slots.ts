/**
 * Model slots: at most `limit` model calls in flight at once, first come first served. The
 * executors hold more listings in flight than model slots, so the store reads, checks and saves
 * of some listings overlap with the model calls of others instead of holding a model slot idle.
 */
import type { ModelSlot } from '../assess/assessor.js';

/** Listings in flight per model slot: the executors' stage concurrency over their model concurrency. */
export const LISTINGS_PER_MODEL_SLOT = 2;

/**
 * Listings in flight at least, whatever the model concurrency: enough for the file store's group
 * commit to gather a batch worth one flush (the extra listings only wait for a model slot).
 */
export const MIN_LISTINGS_IN_FLIGHT = 96;

/** Listings in flight for a model concurrency. */
export function listingsInFlight(modelConcurrency: number): number {
  return Math.max(modelConcurrency * LISTINGS_PER_MODEL_SLOT, MIN_LISTINGS_IN_FLIGHT);
}

/** A {@link ModelSlot} with its counters (for progress and tests). */
export interface ModelSlots {
  readonly run: ModelSlot;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a slot now. */
  readonly waiting: number;
}

/** Creates `limit` model slots. @throws RangeError unless `limit` is an integer from 1 up. */
export function createModelSlots(limit: number): ModelSlots {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Expected the model slot limit to be an integer from 1 and up, got ${limit}`);
  }
  let active = 0;
  const waiters: Array<() => void> = [];
  const release = (): void => {
    const next = waiters.shift();
    // Hand the slot straight to the next waiter: `active` stays the same.
    if (next === undefined) active -= 1;
    else next();
  };
  const run: ModelSlot = async (call) => {
    if (active < limit) active += 1;
    else await new Promise<void>((resolve) => waiters.push(resolve));
    try {
      return await call();
    } finally {
      release();
    }
  };
  return {
    run,
    get active() {
      return active;
    },
    get waiting() {
      return waiters.length;
    },
  };
}
