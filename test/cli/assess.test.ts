import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessmentSchema } from '../../schemas/assessment.js';
import { checksSchema, provenanceSchema } from '../../schemas/draft.js';
import { listingSchema } from '../../schemas/listing.js';
import { scoreSchema } from '../../schemas/score.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { startFakeOpenAI } from '../../src/fake-openai/server.js';
import { ensureBuilt } from '../helpers/built.js';

const ROOT = resolve(import.meta.dirname, '../..');
const GOOD = join(ROOT, 'evals/cases/ref-openhands/listing.html');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

async function run(args: string[], options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const io: Io = {
    stdout: Object.assign(stdout, { isTTY: options.tty === true }),
    stderr,
    stdin: new PassThrough(),
    env: options.env ?? {},
  };
  const code = await main(args, io);
  const lines = options.tty === true ? [] : out.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, stdout: out, stderr: err, lines };
}

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'threatdraft-assess-'));
  await writeFile(join(dir, 'empty.html'), '   \n');
  await writeFile(join(dir, 'huge.html'), `<html><body><p>${'a'.repeat(5 * 1024 * 1024)}</p></body></html>`);
  await writeFile(join(dir, 'image.html'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  await writeFile(join(dir, 'paper.pdf'), '%PDF-1.7\n%âãÏÓ\n1 0 obj\n');
  await writeFile(join(dir, 'blob.bin'), Buffer.from([1, 2, 0, 3, 4, 0, 5]));
  const html = await readFile(GOOD, 'utf8');
  server = createServer((request, response) => {
    if (request.url === '/robots.txt') {
      response.writeHead(404).end();
      return;
    }
    if (request.url === '/stall') {
      // Headers and a first chunk, then nothing: only the time budget ends this input.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).write('<html><body><h1>Stall');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await rm(dir, { recursive: true, force: true });
});

describe('threatdraft assess', () => {
  it('prints { listing, assessment, score, checks, provenance } for an HTML file, then a summary', async () => {
    const result = await run(['assess', GOOD, '--json']);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(2);
    const [first, summary] = result.lines;
    expect(Object.keys(first ?? {}).sort()).toEqual(['assessment', 'checks', 'listing', 'provenance', 'score']);
    expect(listingSchema.safeParse(first?.['listing']).success).toBe(true);
    expect(assessmentSchema.safeParse(first?.['assessment']).success).toBe(true);
    expect(scoreSchema.safeParse(first?.['score']).success).toBe(true);
    expect(checksSchema.safeParse(first?.['checks']).success).toBe(true);
    const provenance = provenanceSchema.parse(first?.['provenance']);
    expect(provenance).toMatchObject({ assessor: 'rules', model: null, tokensIn: 0, cached: false });
    expect(summary).toEqual({ inputs: 1, assessed: 1, failed: 0 });
  });

  it('reports each bad input by name, still assesses the good ones, and exits 2', async () => {
    const bad = ['empty.html', 'huge.html', 'image.html', 'paper.pdf', 'blob.bin', 'missing.html'].map((name) => join(dir, name));
    const unreachable = `${base.replace('127.0.0.1', 'localhost')}/agent`;
    const result = await run(['assess', bad[0]!, GOOD, ...bad.slice(1), unreachable, GOOD, '--json']);
    expect(result.code).toBe(2);
    const assessed = result.lines.filter((line) => 'assessment' in line);
    expect(assessed).toHaveLength(2);
    const errors = result.lines.filter((line) => 'error' in line) as { input: string; error: { code: string; message: string } }[];
    expect(errors.map((line) => [line.input, line.error.code])).toEqual([
      [bad[0], 'E_EMPTY'],
      [bad[1], 'E_TOO_LARGE'],
      [bad[2], 'E_NOT_HTML'],
      [bad[3], 'E_NOT_HTML'],
      [bad[4], 'E_NOT_HTML'],
      [bad[5], 'E_FILE'],
      [unreachable, 'E_SSRF'],
    ]);
    expect(result.stderr).toContain(`${bad[1]!}: 5.0 MB is over the 2 MB input cap`);
    expect(result.stderr).toContain('looks like a PNG image');
    expect(result.stderr).toContain('looks like a PDF document');
    expect(result.stderr).toContain(`${bad[5]!}: no such file`);
    expect(result.stderr).toContain(`${unreachable}: cannot fetch`);
    // The advice names this command's flag, not the source-config field.
    expect(result.stderr).toContain('pass --allow-private-network');
    expect(result.stderr).not.toContain('allowPrivateNetwork');
    expect(result.lines.at(-1)).toEqual({ inputs: 9, assessed: 2, failed: 7 });
  });

  it('names an unsupported URL scheme instead of reporting it as a missing file', async () => {
    const result = await run(['assess', 'ftp://agents.example/listing.html', '--json']);
    expect(result.code).toBe(2);
    expect(result.lines[0]).toMatchObject({ input: 'ftp://agents.example/listing.html', error: { code: 'E_INPUT' } });
    expect(result.stderr).toContain('only http(s) URLs and file paths');
  });

  it('fetches a URL input when private networks are allowed, and names a closed port as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/agent`;
    await new Promise<void>((done) => closed.close(() => done()));
    const result = await run(['assess', `${base}/agents/openhands`, closedUrl, '--allow-private-network', '--json']);
    expect(result.code).toBe(2);
    const listing = listingSchema.parse(result.lines[0]?.['listing']);
    expect(listing.url).toBe(`${base}/agents/openhands`);
    expect(listing.title).toBe('OpenHands');
    // robots.txt is asked first; a host that does not answer it at all is named unreachable, with the reason.
    expect(result.lines[1]).toEqual({
      input: closedUrl,
      error: { code: 'E_UNREACHABLE', message: expect.stringMatching(new RegExp(`^${closedUrl}: cannot fetch \\(Cannot reach http://127\\.0\\.0\\.1:\\d+ \\(ECONNREFUSED\\)\\)`)) as unknown },
    });
    expect(result.stderr).toContain(`${closedUrl}: cannot fetch`);
    expect(result.stderr).toMatch(/\(ECONNREFUSED\)\) \[E_UNREACHABLE\]/);
  }, 30_000);

  it('hardening #1 (hostile listing): an input that stalls fails with E_LISTING_BUDGET after its budget; the rest are assessed (exit 1)', async () => {
    const stall = `${base}/stall`;
    const result = await run(['assess', stall, GOOD, '--allow-private-network', '--json'], { env: { THREATDRAFT_LISTING_BUDGET_MS: '1500' } });
    expect(result.code).toBe(1);
    expect(result.lines[0]).toEqual({
      input: stall,
      error: {
        code: 'E_LISTING_BUDGET',
        message: `${stall}: Listing did not finish within its 1.5 s time budget (stopped while fetching the page); raise THREATDRAFT_LISTING_BUDGET_MS if the source is just slow`,
      },
    });
    expect(result.lines[1]).toHaveProperty('assessment');
    expect(result.lines.at(-1)).toEqual({ inputs: 2, assessed: 1, failed: 1 });
  }, 30_000);

  it('refuses --assessor openai without a key or base URL, before reading any input', async () => {
    const result = await run(['assess', GOOD, '--assessor', 'openai', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('OPENAI_API_KEY');
    expect(result.lines.filter((line) => 'assessment' in line)).toEqual([]);
  });

  it('refuses an unknown assessor with exit 2', async () => {
    const result = await run(['assess', GOOD, '--assessor', 'magic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown assessor "magic"');
  });

  it('prints a readable report on a TTY', async () => {
    const result = await run(['assess', GOOD], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OpenHands — agentic threat model');
    expect(result.stdout).toMatch(/AIVSS \d+\.\d \((Low|Medium|High|Critical)\)/);
    expect(result.stdout).toContain('Autonomy of Action');
    expect(result.stdout).toContain('L3 Agent Frameworks [grounded]');
    expect(result.stdout).toContain('Not certain from the listing — ');
  });
});

/** Runs the built CLI in a child process: logs go to the real stderr (fd 2), which an in-process run cannot capture. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/threatdraft.js'), ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('threatdraft assess (spawned)', () => {
  const bin = join(ROOT, 'bin/threatdraft.js');
  beforeAll(() => {
    // `npm test` builds first; build here when run on its own.
    ensureBuilt(ROOT);
  }, 180_000);

  it('assesses with --assessor openai against the fake server, retrying a 500, and never shows the API key', async () => {
    const key = `sk-test-${randomUUID().replace(/-/g, '')}`;
    const server = await startFakeOpenAI({ expectedApiKey: key, echoApiKeyInErrors: true, faults: { sequence: ['server-error'] } });
    try {
      // The profile is configured, so no GET /v1/models detection request is counted below.
      const env = { OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: key, THREATDRAFT_MODEL: 'gpt-4o-mini', THREATDRAFT_ENDPOINT_PROFILE: 'openai', LOG_LEVEL: 'debug' };
      const result = await spawnCli(['assess', GOOD, '--assessor', 'openai', '--json'], env);
      expect(result.stderr).not.toMatch(/"level":5\d/);
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(2);
      expect(assessmentSchema.safeParse(lines[0]?.['assessment']).success).toBe(true);
      const provenance = provenanceSchema.parse(lines[0]?.['provenance']);
      expect(provenance).toMatchObject({ assessor: 'openai', model: 'gpt-4o-mini', promptId: 'assess-listing', cached: false });
      expect(provenance.tokensIn).toBeGreaterThan(0);
      expect(lines[1]).toEqual({ inputs: 1, assessed: 1, failed: 0 });
      // One 500, then the answer: two HTTP attempts, and the retry was logged on stderr.
      expect(server.requests()).toBe(2);
      expect(result.stderr).toContain('model request failed; retrying');
      // The rules values went into the prompt as hints, as the CLI always sends them.
      expect(server.requestLog.at(-1)?.messages.find((message) => message.role === 'user')?.content).toContain('Hints from a deterministic rules engine');
      for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(key);
      expect(result.stdout).not.toContain(key.slice(3));

      // A wrong key: the endpoint echoes the key it got in its 401 message; nothing of it may be printed.
      const wrong = `sk-wrong-${randomUUID().replace(/-/g, '')}`;
      const refused = await spawnCli(['assess', GOOD, '--assessor', 'openai', '--json'], { ...env, OPENAI_API_KEY: wrong });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('[E_MODEL_AUTH]');
      for (const text of [refused.stdout, refused.stderr]) {
        expect(text).not.toContain(wrong);
        expect(text).not.toContain(wrong.slice(3));
      }
    } finally {
      await server.close();
    }
  }, 60_000);

  it('exits 2 with the good input assessed and the missing one named', () => {
    const missing = join(dir, 'nope.html');
    const child = spawnSync(process.execPath, [bin, 'assess', GOOD, missing, '--json'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    expect(child.status).toBe(2);
    const lines = child.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => 'assessment' in line)).toHaveLength(1);
    expect(child.stderr).toContain(`${missing}: no such file`);
  }, 30_000);
});
