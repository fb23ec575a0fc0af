/**
 * Assessment on other cores: worker threads that each rebuild the executor's assessor from its
 * recipe ({@link Assessor.thread}) and run `assessListingWithUsage` there, so the main thread keeps
 * to reading listings, checking and saving drafts. Only an assessor that offers a recipe (the rules
 * assessor with its committed tables) is run this way; the result is the same draft as in process
 * (the thread reads the real clock for provenance, so an executor with an injected clock stays in
 * process). A listing the thread cannot assess, or any listing once a thread has died, is assessed
 * in process instead: errors keep their class, and nothing is lost to a thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Listing } from '../../schemas/listing.js';
import type { AssessedListing } from '../assess/assess.js';
import type { Assessor } from '../assess/assessor.js';

/** The most threads the default takes, whatever the machine. */
const MAX_DEFAULT_THREADS = 4;

/** Threads to use when not told: one per core beyond the main thread's, at most 4 (none on one core). */
export function defaultAssessThreads(cores: number = availableParallelism()): number {
  return Math.max(0, Math.min(cores - 1, MAX_DEFAULT_THREADS));
}

/** A thread's answer for one listing: its assessment, or null when the thread could not make it. */
type Answer = Omit<AssessedListing, 'listing'> | null;

/** Assesses listings in worker threads. */
export interface AssessThreads {
  /** The listing's assessment, or null when a thread could not make it (assess it in process then). */
  assess(listing: Listing): Promise<Answer>;
  /** Stops the threads; listings still out are answered null. */
  close(): Promise<void>;
}

interface Thread {
  worker: Worker;
  pending: Map<number, (answer: Answer) => void>;
  dead: boolean;
}

/**
 * A worker running the module beside this one. Run from TypeScript sources (tests, tsx), the thread
 * registers tsx's loader first and then imports the TypeScript worker (a loader given to a thread by
 * `--import` is not in place yet when its entry module loads).
 */
function newWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./assess-thread-worker.js', import.meta.url), { workerData });
  const entry = new URL('./assess-thread-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Starts `count` threads for `assessor`. Resolves once every thread has built its assessor, or with
 * null when the assessor offers no recipe, `count` is 0, or a thread fails to start (the caller
 * assesses in process: a thread is an optimisation, never a requirement).
 */
export async function startAssessThreads(assessor: Assessor, count: number): Promise<AssessThreads | null> {
  const recipe = assessor.thread;
  if (recipe === undefined || count < 1) return null;
  const threads: Thread[] = [];
  const started = Array.from({ length: count }, () => {
    let worker: Worker;
    try {
      worker = newWorker({ module: recipe.module, factory: recipe.factory, version: assessor.version });
    } catch {
      return Promise.resolve(false);
    }
    // Referenced only while a listing is out: idle threads never keep the process alive.
    worker.unref();
    const thread: Thread = { worker, pending: new Map(), dead: false };
    threads.push(thread);
    return new Promise<boolean>((resolve) => {
      // A thread that fails or ends: not started (if it was starting), and every listing it holds answered null.
      const gone = (): void => {
        resolve(false);
        thread.dead = true;
        for (const answer of thread.pending.values()) answer(null);
        thread.pending.clear();
      };
      worker.on('error', gone);
      worker.on('exit', gone);
      worker.on('message', (message: unknown) => {
        const reply = message as { ready?: true; id?: number; ok?: boolean; result?: Answer };
        if (reply.ready === true) return resolve(true);
        if (typeof reply.id !== 'number') return;
        const answer = thread.pending.get(reply.id);
        thread.pending.delete(reply.id);
        if (thread.pending.size === 0) worker.unref();
        answer?.(reply.ok === true && reply.result !== undefined ? reply.result : null);
      });
    });
  });
  const stop = async (): Promise<void> => {
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  };
  if (!(await Promise.all(started)).every(Boolean)) {
    await stop();
    return null;
  }
  let nextId = 0;
  return {
    assess(listing) {
      // The thread with the fewest listings out takes the next one.
      let chosen: Thread | undefined;
      for (const thread of threads) if (!thread.dead && (chosen === undefined || thread.pending.size < chosen.pending.size)) chosen = thread;
      if (chosen === undefined) return Promise.resolve(null);
      const thread = chosen;
      const id = nextId++;
      return new Promise<Answer>((resolve) => {
        if (thread.pending.size === 0) thread.worker.ref();
        thread.pending.set(id, resolve);
        thread.worker.postMessage({ id, listing });
      });
    },
    close: stop,
  };
}

/**
 * Threads started on demand and kept for reuse: a local executor keeps one across its runs, so
 * threads warmed by one run serve the next. `start` is idempotent; `close` stops them.
 */
export class AssessThreadPool {
  readonly #assessor: Assessor;
  readonly #count: number;
  #starting: Promise<AssessThreads | null> | undefined;
  #ready: AssessThreads | undefined;

  /** @param count threads to start; @default defaultAssessThreads() */
  constructor(assessor: Assessor, count?: number) {
    this.#assessor = assessor;
    this.#count = count ?? defaultAssessThreads();
  }

  /** Whether starting could give threads (the assessor offers a recipe and the count is above 0). */
  get usable(): boolean {
    return this.#count > 0 && this.#assessor.thread !== undefined;
  }

  /**
   * Starts the threads unless started; listings use them once {@link ready} gives them. Resolves
   * when they are ready (null when there are none to be had).
   */
  start(): Promise<AssessThreads | null> {
    if (!this.usable) return Promise.resolve(null);
    this.#starting ??= startAssessThreads(this.#assessor, this.#count).then((threads) => {
      this.#ready = threads ?? undefined;
      return threads;
    });
    return this.#starting;
  }

  /** The threads, once started and ready. */
  get ready(): AssessThreads | undefined {
    return this.#ready;
  }

  async close(): Promise<void> {
    const starting = this.#starting;
    this.#starting = undefined;
    this.#ready = undefined;
    await (await starting)?.close();
  }
}
