/**
 * A worker thread of {@link startAssessThreads}: builds the assessor its recipe names, checks it
 * has the version the executor expects, then assesses the listings it is sent, one at a time,
 * exactly as the main thread would (`assessListingWithUsage`: the assessor, the checks, the score).
 * A listing it cannot assess is answered `ok: false`, and the main thread assesses it itself, so
 * its error reaches the executor as the same class with the same message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { listingSchema } from '../../schemas/listing.js';
import { assessListingWithUsage } from '../assess/assess-with-usage.js';
import type { Assessor } from '../assess/assessor.js';

const setupSchema = z.object({ module: z.string().min(1), factory: z.string().min(1), version: z.string().min(1) }).strict();
const requestSchema = z.object({ id: z.number().int(), listing: z.unknown() }).strict();

const port = parentPort;
if (port === null) throw new Error('assess-thread-worker runs only as a worker thread');

const setup = setupSchema.parse(workerData);
const exported = ((await import(setup.module)) as Record<string, unknown>)[setup.factory];
if (typeof exported !== 'function') throw new Error(`${setup.module} exports no function ${setup.factory}`);
const assessor = (exported as () => Assessor)();
if (assessor.version !== setup.version) {
  throw new Error(`${setup.factory} built assessor version ${assessor.version} in the thread, expected ${setup.version}`);
}

port.on('message', (message: unknown) => {
  const request = requestSchema.safeParse(message);
  if (!request.success) return;
  const { id } = request.data;
  const listing = listingSchema.safeParse(request.data.listing);
  if (!listing.success) {
    port.postMessage({ id, ok: false });
    return;
  }
  assessListingWithUsage(listing.data, { assessor, now: () => new Date() }).then(
    ({ assessment, score, checks, provenance }) => port.postMessage({ id, ok: true, result: { assessment, score, checks, provenance } }),
    () => port.postMessage({ id, ok: false }),
  );
});
port.postMessage({ ready: true });
