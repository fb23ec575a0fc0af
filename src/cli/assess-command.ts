/**
 * `threatdraft assess INPUT…`: read each HTML file or fetch each URL, extract the listing, assess,
 * check and score it, and print the result. A bad input is reported by name and the rest go on;
 * the exit code is 2 when any input was bad, 1 when an assessment failed otherwise.
 */
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS, MAESTRO_LAYERS, type LayerNumber } from '../../schemas/factors.js';
import type { Listing } from '../../schemas/listing.js';
import { FORMULAS, type Formula } from '../../schemas/score.js';
import { assessListing, type AssessedListing } from '../assess/assess.js';
import type { Assessor } from '../assess/assessor.js';
import { loadEnv } from '../config.js';
import type { Fetcher } from '../crawl/fetcher.js';
import { startBudget } from '../abort.js';
import { ConfigError, InputError, ThreatdraftError, exitCodeFor, listingBudgetError, toError } from '../errors.js';
import { humanOutput, table, writeJsonLine, type Io } from './io.js';

/** Inputs above this many bytes are refused before parsing (a listing page is far smaller). */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

export interface AssessCommandOptions {
  assessor: string;
  formula: string;
  allowPrivateNetwork: boolean;
  json: boolean;
}

/** Test seams: a fetcher for URL inputs and a clock. */
export interface AssessCommandDeps {
  fetcher?: Fetcher;
  now?: () => Date;
}

const MAGIC: readonly { name: string; bytes: readonly number[] }[] = [
  { name: 'a PDF document', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
  { name: 'a GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'a ZIP archive', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'a gzip archive', bytes: [0x1f, 0x8b] },
  { name: 'a WebP or RIFF file', bytes: [0x52, 0x49, 0x46, 0x46] },
];

/** Names what a non-HTML input looks like (PDF, PNG, other binary), or null when it may be HTML. */
export function sniffNonHtml(bytes: Uint8Array): string | null {
  for (const { name, bytes: magic } of MAGIC) {
    if (magic.every((byte, index) => bytes[index] === byte)) return name;
  }
  const head = bytes.subarray(0, 8192);
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return 'a binary file';
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control += 1;
  }
  return head.length > 0 && control / head.length > 0.1 ? 'a binary file' : null;
}

function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

function bad(input: string, code: string, reason: string): InputError {
  return new InputError(code, `${input}: ${reason}`, { input });
}

function checkBody(input: string, bytes: Uint8Array): string {
  const kind = sniffNonHtml(bytes);
  if (kind !== null) throw bad(input, 'E_NOT_HTML', `not an HTML page (looks like ${kind})`);
  const html = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (html.trim().length === 0) throw bad(input, 'E_EMPTY', 'the page is empty');
  return html;
}

async function readHtmlFile(input: string): Promise<{ html: string; url: string }> {
  // `ftp://…` or `file://…` would otherwise be looked up as a relative path and reported missing.
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(input)) throw bad(input, 'E_INPUT', 'only http(s) URLs and file paths can be assessed');
  const path = resolve(input);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw bad(input, 'E_FILE', 'not a regular file');
    size = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw bad(input, 'E_FILE', code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'stat failed'})`);
  }
  if (size > MAX_INPUT_BYTES) {
    throw bad(input, 'E_TOO_LARGE', `${(size / 1024 / 1024).toFixed(1)} MB is over the ${MAX_INPUT_BYTES / 1024 / 1024} MB input cap`);
  }
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return { html: checkBody(input, buffer.subarray(0, bytesRead)), url: pathToFileURL(path).href };
  } finally {
    await handle.close();
  }
}

async function fetchHtml(input: string, fetcher: Fetcher, signal: AbortSignal): Promise<{ html: string; url: string; fetchedAt: string }> {
  try {
    const result = await fetcher.fetch(input, { accept: 'page', signal });
    return { html: checkBody(input, Buffer.from(result.body, 'utf8')), url: result.finalUrl, fetchedAt: result.fetchedAt };
  } catch (error) {
    if (error instanceof InputError || signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const code = error instanceof ThreatdraftError ? error.code : 'E_FETCH';
    // The guard's advice names the source-config field; here the switch is a flag.
    const advice = code === 'E_SSRF' ? reason.replace(/; set allowPrivateNetwork on the source.*$/, '; pass --allow-private-network to allow it') : reason;
    // Every fetch failure of a named input is bad input for this command: the user gave the URL.
    throw bad(input, code, `cannot fetch (${advice})`);
  }
}

async function createFetcher(allowPrivateNetwork: boolean): Promise<Fetcher> {
  const { UndiciFetcher } = await import('../crawl/undici-fetcher.js');
  return new UndiciFetcher({
    allowPrivateNetwork,
    maxBodyBytes: MAX_INPUT_BYTES,
    maxAttempts: 2,
    retry: { baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
  });
}

/** What one input may use: its time budget's signal (for the fetch) and checkpoint (for extraction). */
interface InputBudget {
  signal: AbortSignal;
  check(step: string): void;
}

async function loadListing(input: string, deps: { fetcher: () => Promise<Fetcher>; now: () => Date }, budget: InputBudget): Promise<Listing> {
  const { extractListing } = await import('../crawl/extract.js');
  budget.check(isUrl(input) ? 'fetching the page' : 'reading the file');
  const source = isUrl(input)
    ? await fetchHtml(input, await deps.fetcher(), budget.signal)
    : { ...(await readHtmlFile(input)), fetchedAt: deps.now().toISOString() };
  budget.check('extracting');
  const listing = extractListing(source.html, {
    url: source.url,
    sourceId: 'cli',
    fetchedAt: source.fetchedAt,
    checkpoint: (step) => budget.check(`extracting (${step})`),
  });
  if (listing.text.trim().length === 0 && listing.title.trim().length === 0) {
    throw bad(input, 'E_EMPTY', 'the page has no readable text');
  }
  return listing;
}

function formatHuman(input: string, result: AssessedListing): string {
  const { listing, assessment, score, checks } = result;
  const factors = table([
    ['factor', 'value'],
    ...LISTING_FACTOR_KEYS.map((key) => [LISTING_FACTORS[key], assessment.factors[key].value.toFixed(2)]),
  ]);
  const layers = assessment.layers
    .map((layer) => `  L${layer.layer} ${MAESTRO_LAYERS[layer.layer as LayerNumber]} [${layer.certain ? 'grounded' : 'not certain'}] — threats: ${layer.threats.join(', ')}\n    ${layer.text}`)
    .join('\n');
  const warnings = checks.warnings.length === 0 ? '  none' : checks.warnings.map((warning) => `  ${warning.code}: ${warning.message}`).join('\n');
  return [
    `${listing.title || input} — agentic threat model (${input})`,
    `AIVSS ${score.score.toFixed(1)} (${score.severity}), ${score.formula}; CVSS base ${score.cvssBase.toFixed(1)} ${assessment.cvss.vector}`,
    `exploit maturity ${assessment.exploitMaturity.value}, mitigation ${assessment.mitigation.value}, factor sum ${score.factorSum}`,
    '',
    assessment.summary,
    '',
    factors,
    '',
    'MAESTRO layers',
    layers,
    '',
    `checks: grounding ${(checks.groundingRate * 100).toFixed(0)}%, injection ${checks.injection.suspected ? `SUSPECTED (${checks.injection.matches.join(' | ')})` : 'none'}`,
    warnings,
    '',
  ].join('\n');
}

/**
 * Runs the command and resolves to its exit code.
 * @throws ConfigError for an unknown assessor or formula, or `openai` without endpoint or key.
 */
export async function runAssess(inputs: readonly string[], options: AssessCommandOptions, io: Io, deps: AssessCommandDeps = {}): Promise<number> {
  if (!(FORMULAS as readonly string[]).includes(options.formula)) {
    throw new ConfigError('E_USAGE', `Unknown formula "${options.formula}": expected one of ${FORMULAS.join(', ')}`);
  }
  const formula = options.formula as Formula;
  const env = loadEnv(io.env);
  const { createAssessor } = await import('../assess/create-assessor.js');
  const { createLogger } = await import('../log.js');
  const { assessor }: { assessor: Assessor } = await createAssessor(options.assessor, { env, cache: null, logger: createLogger(env.LOG_LEVEL) });
  const now = deps.now ?? (() => new Date());
  let fetcher: Fetcher | undefined = deps.fetcher;
  let ownFetcher: Fetcher | undefined;
  const getFetcher = async (): Promise<Fetcher> => {
    if (fetcher === undefined) {
      ownFetcher = await createFetcher(options.allowPrivateNetwork);
      fetcher = ownFetcher;
    }
    return fetcher;
  };
  const human = humanOutput(io, options.json);
  const budgetMs = env.THREATDRAFT_LISTING_BUDGET_MS;
  let exitCode = 0;
  let assessed = 0;
  const failed: { input: string; code: string; message: string }[] = [];
  try {
    for (const input of inputs) {
      // Each input gets the whole budget for fetching, extracting and assessing it.
      const budget = startBudget(undefined, budgetMs, (step) => listingBudgetError(input, budgetMs, step));
      try {
        const listing = await loadListing(input, { fetcher: getFetcher, now }, budget);
        budget.check('assessing');
        const result = await assessListing(listing, { assessor, now, formula, signal: budget.signal });
        assessed += 1;
        if (human) io.stdout.write(`${formatHuman(input, result)}\n`);
        else writeJsonLine(io, result);
      } catch (thrown) {
        const error = budget.exceeded() ? listingBudgetError(input, budgetMs, budget.step()) : toError(thrown);
        const code = error instanceof ThreatdraftError ? error.code : 'E_INTERNAL';
        const message = error instanceof InputError ? error.message : `${input}: ${error.message}`;
        failed.push({ input, code, message });
        exitCode = Math.max(exitCode, exitCodeFor(error));
        io.stderr.write(`threatdraft assess: ${message} [${code}]\n`);
        if (!human) writeJsonLine(io, { input, error: { code, message } });
      } finally {
        budget.dispose();
      }
    }
  } finally {
    await ownFetcher?.close();
  }
  const summary = { inputs: inputs.length, assessed, failed: failed.length };
  if (human) {
    if (inputs.length > 1 || failed.length > 0) io.stdout.write(`${assessed} of ${inputs.length} input(s) assessed, ${failed.length} failed\n`);
  } else {
    writeJsonLine(io, summary);
  }
  return exitCode;
}
