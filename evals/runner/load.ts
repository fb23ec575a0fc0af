/** Loads eval cases from disk; every problem is an InputError naming the file and the field. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROMPT_VERSION } from '../../src/assess/prompts.js';
import { InputError, formatIssues } from '../../src/errors.js';
import { LISTING_FILES, expectedSchema, type EvalCase, type ListingFile } from './case-schema.js';
import { listingForCase } from './listing.js';

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError('E_JSON', `Malformed JSON in ${path}: ${error instanceof Error ? error.message : String(error)}`, { file: path });
  }
}

/**
 * The recording file of a prompt version: `model-response.json` for the default prompt version,
 * `model-response.v<N>.json` for another, so recordings of two prompt versions sit side by side
 * and each replays offline (that is how prompt versions are compared).
 */
export function recordingFile(promptVersion: number | undefined): string {
  return promptVersion === undefined || promptVersion === DEFAULT_PROMPT_VERSION ? 'model-response.json' : `model-response.v${promptVersion}.json`;
}

/** Loads one case folder (with the recording of `promptVersion`). @throws InputError for a missing or invalid file. */
export async function loadCase(dir: string, options: { promptVersion?: number } = {}): Promise<EvalCase> {
  const expectedPath = join(dir, 'expected.json');
  if (!existsSync(expectedPath)) {
    throw new InputError('E_EVAL_CASE', `Eval case ${dir} has no expected.json (each case needs expected.json and one listing file: ${Object.keys(LISTING_FILES).join(', ')})`, { dir });
  }
  const present = (Object.keys(LISTING_FILES) as ListingFile[]).filter((file) => existsSync(join(dir, file)));
  if (present.length !== 1) {
    throw new InputError(
      'E_EVAL_CASE',
      `Eval case ${dir} needs exactly one listing file (${Object.keys(LISTING_FILES).join(', ')}), found ${present.length === 0 ? 'none' : present.join(' and ')}`,
      { dir },
    );
  }
  const listingFile = present[0] as ListingFile;
  const parsed = expectedSchema.safeParse(await readJson(expectedPath));
  if (!parsed.success) {
    throw new InputError('E_EVAL_CASE', `Invalid ${expectedPath}: ${formatIssues(parsed.error.issues)}`, { file: expectedPath });
  }
  const listingText = await readFile(join(dir, listingFile), 'utf8');
  const responsePath = join(dir, recordingFile(options.promptVersion));
  const responseText = existsSync(responsePath) ? await readFile(responsePath, 'utf8') : null;
  const modelResponse = responseText === null ? null : await readJson(responsePath);
  const folder = dir.split(/[\\/]/).filter(Boolean).pop() ?? '';
  if (parsed.data.id !== folder) {
    throw new InputError('E_EVAL_CASE', `Invalid ${expectedPath}: \`id\` is "${parsed.data.id}" but the folder is "${folder}"`, { file: expectedPath });
  }
  const evalCase: EvalCase = {
    id: parsed.data.id,
    dir,
    html: listingFile === 'listing.html' ? listingText : '',
    expected: parsed.data,
    ...(listingFile === 'listing.html' ? {} : { document: { file: listingFile, text: listingText } }),
    modelResponse,
    responseHash: responseText === null ? null : createHash('sha256').update(responseText).digest('hex'),
  };
  // A structured document that cannot be read is bad input, found now rather than mid-run.
  if (evalCase.document !== undefined) listingForCase(evalCase);
  return evalCase;
}

/** Loads every case under `casesDir` (one folder each), sorted by id. */
export async function loadCases(casesDir: string, options: { promptVersion?: number } = {}): Promise<EvalCase[]> {
  let entries: string[];
  try {
    entries = await readdir(casesDir);
  } catch {
    throw new InputError('E_EVAL_CASES', `Cannot read eval cases folder ${casesDir}`, { dir: casesDir });
  }
  const dirs: string[] = [];
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    if ((await stat(join(casesDir, entry))).isDirectory()) dirs.push(join(casesDir, entry));
  }
  if (dirs.length === 0) throw new InputError('E_EVAL_CASES', `No eval cases in ${casesDir}`, { dir: casesDir });
  const cases = await Promise.all(dirs.map((dir) => loadCase(dir, options)));
  const ids = new Set(cases.map((evalCase) => evalCase.id));
  for (const evalCase of cases) {
    const twin = evalCase.expected.twinOf;
    if (twin !== undefined && !ids.has(twin)) {
      throw new InputError('E_EVAL_CASE', `Eval case ${evalCase.id}: \`twinOf\` names "${twin}", which is not a case here`, { dir: evalCase.dir });
    }
  }
  return cases;
}
