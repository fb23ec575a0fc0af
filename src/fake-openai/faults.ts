/**
 * Fault plans for the fake OpenAI server: a sequence consumed one request at a time, then an
 * optional seeded random draw per request. Pure apart from the plan's own state.
 */
import { seededRandom } from './schema-answer.js';

/** The seeded PRNG the schema generator uses, so a fault plan's `random` is as reproducible. */
export { seededRandom };

/** What the fake server can do wrong on one request. */
export type Fault =
  | { kind: 'none' }
  /** 429 with `Retry-After` (seconds) and, when given, `retry-after-ms`. */
  | { kind: 'rate-limit'; retryAfterSeconds?: number; retryAfterMs?: number }
  /** 5xx with an OpenAI-style error body. @default status 500 */
  | { kind: 'server-error'; status?: number }
  /** Waits `ms` before answering normally (past the client timeout, so the client gives up). */
  | { kind: 'delay'; ms: number }
  /** Destroys the socket without answering. */
  | { kind: 'reset' }
  /** Sends only the first half of the JSON response body (a matching Content-Length). */
  | { kind: 'truncated-body' }
  /** A normal response whose message content is JSON cut in half. */
  | { kind: 'truncated-content' }
  /** A normal response whose content is valid JSON that breaks the assessment schema. */
  | { kind: 'schema-break' }
  /** A refusal: `message.refusal` set, content null. */
  | { kind: 'refusal'; message?: string };

export type FaultKind = Fault['kind'];
/** A fault, or its kind alone for the defaults. */
export type FaultSpec = Fault | FaultKind;

/** Which faults to inject: `sequence` first, one entry per request, then `random` draws. */
export interface FaultPlan {
  sequence?: readonly FaultSpec[];
  random?: {
    seed: number;
    /** Probability per request of each fault kind; their sum must be at most 1. */
    rates: Partial<Record<Exclude<FaultKind, 'none'>, number>>;
    /** For drawn `delay` faults. @default 5000 */
    delayMs?: number;
    /** For drawn `rate-limit` faults. @default 1 */
    retryAfterSeconds?: number;
  };
}


function normalise(spec: FaultSpec): Fault {
  if (typeof spec !== 'string') return spec;
  switch (spec) {
    case 'rate-limit':
      return { kind: 'rate-limit', retryAfterSeconds: 1 };
    case 'delay':
      return { kind: 'delay', ms: 5_000 };
    default:
      return { kind: spec } as Fault;
  }
}

/** Hands out the fault for each request in turn, according to a plan. */
export class FaultSchedule {
  #queue: Fault[];
  #random: (() => number) | null;
  #plan: FaultPlan;

  constructor(plan: FaultPlan = {}) {
    this.#plan = plan;
    this.#queue = (plan.sequence ?? []).map(normalise);
    this.#random = plan.random ? seededRandom(plan.random.seed) : null;
  }

  /** The fault for the next request (`none` when the plan has nothing to say). */
  next(): Fault {
    const queued = this.#queue.shift();
    if (queued) return queued;
    const random = this.#plan.random;
    if (!random || !this.#random) return { kind: 'none' };
    const draw = this.#random();
    let cumulative = 0;
    for (const [kind, rate] of Object.entries(random.rates) as [Exclude<FaultKind, 'none'>, number][]) {
      cumulative += rate;
      if (draw < cumulative) {
        if (kind === 'delay') return { kind, ms: random.delayMs ?? 5_000 };
        if (kind === 'rate-limit') return { kind, retryAfterSeconds: random.retryAfterSeconds ?? 1 };
        return normalise(kind);
      }
    }
    return { kind: 'none' };
  }

  /** Faults still queued in the sequence. */
  get pending(): number {
    return this.#queue.length;
  }
}
