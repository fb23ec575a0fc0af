import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listingForCase } from '../../evals/runner/listing.js';
import { loadCase } from '../../evals/runner/load.js';

const CASES = join(import.meta.dirname, '..', '..', 'evals', 'cases');
const work = mkdtempSync(join(tmpdir(), 'td-load-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const copy = (id: string): string => {
  const dir = join(work, id);
  cpSync(join(CASES, id), dir, { recursive: true });
  return dir;
};

describe('eval cases from structured documents', () => {
  it.each([
    ['hw-card-millrow-quote-agent', 'agent-card.json', 'a2a-agent-card'],
    ['hw-serverjson-ledgerline-postgres', 'server.json', 'mcp-server'],
    ['hw-registry-jotpad-deprecated', 'registry-entry.json', 'mcp-server'],
  ])('loads %s from its %s and reads it as the crawl would', async (id, file, type) => {
    const evalCase = await loadCase(join(CASES, id));
    expect(evalCase.html).toBe('');
    expect(evalCase.document?.file).toBe(file);
    const listing = listingForCase(evalCase);
    expect(listing.document?.type).toBe(type);
    expect(listing.url).toBe(evalCase.expected.url);
  });

  it('refuses a case with two listing files, or with none', async () => {
    const two = copy('hw-card-brevity-summarizer');
    writeFileSync(join(two, 'listing.html'), '<h1>Also a page</h1>');
    await expect(loadCase(two)).rejects.toMatchObject({ code: 'E_EVAL_CASE', message: expect.stringContaining('found listing.html and agent-card.json') });
    const none = copy('hw-serverjson-crateview-files');
    rmSync(join(none, 'server.json'));
    await expect(loadCase(none)).rejects.toMatchObject({ code: 'E_EVAL_CASE', message: expect.stringContaining('needs exactly one listing file') });
  });

  it('refuses a document that is not JSON or says nothing to assess, naming the case', async () => {
    const broken = copy('hw-card-lanternfish-open-research');
    writeFileSync(join(broken, 'agent-card.json'), '{ "name": ');
    await expect(loadCase(broken)).rejects.toMatchObject({ code: 'E_EVAL_CASE', message: expect.stringMatching(/hw-card-lanternfish-open-research: agent-card.json is not JSON/) });
    writeFileSync(join(broken, 'agent-card.json'), '{ "name": "No more" }');
    await expect(loadCase(broken)).rejects.toMatchObject({ code: 'E_EVAL_CASE', message: expect.stringContaining('nothing to assess') });
  });
});
