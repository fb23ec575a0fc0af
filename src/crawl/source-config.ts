/**
 * Loading a SourceConfig JSON file. Every problem (missing file, malformed JSON, a field failing
 * the schema, a CSS selector that does not parse) becomes an `InputError` naming the file and the
 * field or line and column, so the CLI exits 2.
 */
import { readFile } from 'node:fs/promises';
import { select } from 'cheerio-select';
import type { z } from 'zod';
import { sourceConfigSchema, type SourceConfig } from '../../schemas/source.js';
import { InputError, inputErrorFromIssues } from '../errors.js';

/** Source files larger than this are refused (a directory config is a few hundred bytes). */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;

/**
 * Reads and validates a source config file.
 * @throws InputError when the file is missing or unreadable, not JSON, or fails the schema.
 */
export async function loadSourceConfig(path: string): Promise<SourceConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : 'cannot be read';
    throw new InputError('E_SOURCE_FILE', `Source config ${path}: ${why}`, { path });
  }
  if (bytes.length > MAX_SOURCE_FILE_BYTES) {
    throw new InputError('E_SOURCE_FILE', `Source config ${path}: larger than ${MAX_SOURCE_FILE_BYTES} bytes`, { path });
  }
  return parseSourceConfig(bytes.toString('utf8'), path);
}

/**
 * Parses source config JSON text; `where` names the file in errors.
 * @throws InputError `E_JSON` with line and column, or `E_INPUT` naming each invalid field.
 */
export function parseSourceConfig(text: string, where: string): SourceConfig {
  const json = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (thrown) {
    const { line, column } = lineColumn(json, locateJsonError(json));
    // V8 quotes the whole input after ', "'; keep only the reason.
    const detail = thrown instanceof Error ? (thrown.message.replace(/, "[\s\S]*$/, '').split('\n')[0] ?? '') : '';
    throw new InputError('E_JSON', `Source config ${where}: malformed JSON at line ${line}, column ${column}${detail === '' ? '' : ` (${detail.slice(0, 120)})`}`, {
      path: where,
      line,
      column,
    });
  }
  const parsed = sourceConfigSchema.safeParse(value);
  if (!parsed.success) throw inputErrorFromIssues(`source config ${where}`, parsed.error.issues, { path: where });
  const selectorIssues = invalidSelectors(parsed.data);
  if (selectorIssues.length > 0) throw inputErrorFromIssues(`source config ${where}`, selectorIssues, { path: where });
  return parsed.data;
}

/**
 * Issues for CSS selectors that cheerio cannot parse (the schema only checks they are non-empty).
 * Compiled by cheerio-select, the selector engine cheerio itself uses, so the same selectors pass
 * without loading an HTML parser.
 */
function invalidSelectors(source: SourceConfig): z.core.$ZodIssue[] {
  const probe = (selector: string): unknown => select(selector, []);
  const selectors: Array<[PropertyKey[], string | undefined]> = [
    [['listingLinks'], source.listingLinks],
    [['nextPage'], source.nextPage],
    ...Object.entries(source.fields ?? {}).map(([key, value]): [PropertyKey[], string | undefined] => [['fields', key], value]),
  ];
  const issues: z.core.$ZodIssue[] = [];
  for (const [path, selector] of selectors) {
    if (selector === undefined) continue;
    try {
      probe(selector);
    } catch {
      issues.push({ code: 'custom', path, message: `expected a valid CSS selector, got ${JSON.stringify(selector.slice(0, 100))}`, input: selector });
    }
  }
  return issues;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

class JsonSyntaxAt extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`JSON syntax error at offset ${offset}`);
    this.offset = offset;
  }
}

/**
 * The offset of the first syntax error in `text` under strict JSON (RFC 8259). Node's messages
 * only sometimes carry a position, so this small scanner finds it.
 */
export function locateJsonError(text: string): number {
  let index = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(index);
  };
  const ws = (): void => {
    while (index < text.length && ' \t\n\r'.includes(text[index] as string)) index += 1;
  };
  const literal = (word: string): void => {
    // A misspelt word is reported where it starts.
    if (text.startsWith(word, index)) index += word.length;
    else fail();
  };
  const string = (): void => {
    if (text[index] !== '"') fail();
    index += 1;
    for (;;) {
      const char = text[index];
      if (char === undefined || char < ' ') fail();
      if (char === '"') {
        index += 1;
        return;
      }
      if (char === '\\') {
        index += 1;
        const escape = text[index];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(index + 1, index + 5))) fail();
          index += 5;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) index += 1;
        else fail();
      } else index += 1;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
    if (match === null) fail();
    index += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const char = text[index];
    if (char === '{') {
      index += 1;
      ws();
      if (text[index] === '}') return void (index += 1);
      for (;;) {
        ws();
        string();
        ws();
        literal(':');
        value();
        ws();
        if (text[index] === ',') index += 1;
        else if (text[index] === '}') return void (index += 1);
        else fail();
      }
    }
    if (char === '[') {
      index += 1;
      ws();
      if (text[index] === ']') return void (index += 1);
      for (;;) {
        value();
        ws();
        if (text[index] === ',') index += 1;
        else if (text[index] === ']') return void (index += 1);
        else fail();
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    return number();
  };
  try {
    value();
    ws();
    if (index < text.length) fail();
    return text.length;
  } catch (thrown) {
    // A RangeError from absurd nesting still points near the problem.
    return Math.min(thrown instanceof JsonSyntaxAt ? thrown.offset : index, text.length);
  }
}
