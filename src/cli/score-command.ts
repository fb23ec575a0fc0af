/** `threatdraft score [FILE|-]`: read, validate, compute, print. */
import { readFile } from 'node:fs/promises';
import { scoreInputSchema, type Score } from '../../schemas/score.js';
import { computeAivss } from '../aivss/index.js';
import { InputError, inputErrorFromIssues } from '../errors.js';
import { humanOutput, readAll, writeJsonLine, type Io } from './io.js';
import { bandStyle, styledTable, writeParts, type Part } from './style.js';

/** Parses JSON text, naming the source and the position of a syntax error. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputError('E_JSON', `Malformed JSON in ${source}: ${detail}`, { source });
  }
}

async function readInput(file: string, io: Io): Promise<{ text: string; source: string }> {
  if (file === '-') {
    if (io.stdin.isTTY === true) {
      throw new InputError('E_USAGE', 'No input: give a FILE, or pipe JSON into `threatdraft score -`', {});
    }
    return { text: await readAll(io.stdin), source: 'standard input' };
  }
  try {
    return { text: await readFile(file, 'utf8'), source: file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError('E_FILE', `Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'read failed')}`, { file });
  }
}

/** Scores one parsed input object; `where` names it in errors. */
export function scoreValue(value: unknown, where: string): Score {
  const parsed = scoreInputSchema.safeParse(value);
  if (!parsed.success) throw inputErrorFromIssues(`score input in ${where}`, parsed.error.issues, { source: where });
  try {
    return computeAivss(parsed.data);
  } catch (error) {
    if (error instanceof InputError) {
      throw new InputError(error.code, `${error.message} (in ${where})`, { ...error.context, source: where });
    }
    throw error;
  }
}

function formatScore(score: Score): Part[] {
  const parts =
    score.formula === 'v0.5'
      ? 'AIVSS = round(((C + AARS) / 2) × ThM, 1), AARS = ΣF'
      : score.formula === 'v0.8'
        ? 'AIVSS = roundHalfUp((C + AARS) × MF, 1), AARS = (10 − C) × (ΣF / 10) × ThM'
        : 'AIVSS = max(C, min(10, roundHalfUp(C + AARS × MF, 1))), AARS = (10 − C) × (ΣF / 10) × ThM';
  return [
    ...styledTable([
      ['AIVSS', { text: `${score.score.toFixed(1)} (${score.severity})`, style: bandStyle(score.severity) }],
      ['formula', `${score.formula}  ${parts}`],
      ['CVSS base (C)', `${score.cvssBase.toFixed(1)}${score.cvssVector ? `  ${score.cvssVector}` : ''}`],
      ['factor sum (ΣF)', String(score.factorSum)],
      ['AARS', String(score.aars)],
      ['ThM', String(score.thm)],
      ['MF', score.mf === null ? '— (none in v0.5)' : String(score.mf)],
      ['unrounded', String(score.raw)],
      ['rounding', score.rounding],
    ]),
    '\n',
  ];
}

export async function runScore(file: string, options: { json: boolean }, io: Io): Promise<void> {
  const { text, source } = await readInput(file, io);
  const value = parseJsonText(text, source);
  const inputs = Array.isArray(value) ? value : [value];
  if (inputs.length === 0) throw new InputError('E_INPUT', `Invalid score input in ${source}: an empty array has nothing to score`, { source });
  // Validate everything before printing anything, so a bad item never leaves half an output.
  const scores = inputs.map((item, index) => scoreValue(item, Array.isArray(value) ? `${source}[${index}]` : source));
  const human = humanOutput(io, options.json);
  for (const score of scores) {
    if (human) writeParts(io, formatScore(score));
    else writeJsonLine(io, score);
  }
}
