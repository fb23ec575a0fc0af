import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeControls, rawStream, terminalSafe } from '../../src/cli/terminal.js';
import { ensureBuilt } from '../helpers/built.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/threatdraft.js');
const LISTING = join(ROOT, 'evals/cases/ref-openhands/listing.html');

describe('the threatdraft binary', () => {
  it('exits quietly, without a stack trace, when the reader of stdout goes away (| head)', () => {
    ensureBuilt(ROOT);
    // 40 drafts of ~15 kB each overflow the pipe buffer long after `head` has closed its end.
    const inputs = Array.from({ length: 40 }, () => `'${LISTING}'`).join(' ');
    const child = spawnSync('sh', ['-c', `'${process.execPath}' '${BIN}' assess ${inputs} --json | head -c 100 > /dev/null`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    expect(child.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|at /);
    expect(child.status).toBe(0);
  });
});

describe('terminalSafe', () => {
  it('escapes C0 (but tab and newline), DEL and C1 controls in strings and buffers, and leaves the raw stream to progress bars', () => {
    const sink = Object.assign(new PassThrough(), { isTTY: true });
    let out = '';
    sink.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const safe = terminalSafe(sink);
    safe.write('a\tb\n\u001b]52;c;eA==\u0007 \u009b2J \u007f');
    safe.write(Buffer.from('\u001b[0m', 'utf8'));
    expect(out).toBe('a\tb\n\\u001b]52;c;eA==\\u0007 \\u009b2J \\u007f\\u001b[0m');
    expect(safe.isTTY).toBe(true);
    expect(terminalSafe(safe)).toBe(safe);
    expect(rawStream(safe)).toBe(sink);
    expect(escapeControls(JSON.stringify({ t: '\u009b' }))).toBe('{"t":"\\u009b"}');
    expect(JSON.parse(escapeControls(JSON.stringify({ t: '\u009b\u001b' })))).toEqual({ t: '\u009b\u001b' });
  });
});
