import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FileStore } from '../../src/store/file-store.js';
import { createDraft } from '../factories/draft.js';
import { createListing } from '../factories/listing.js';
import { captureIo } from '../helpers/io.js';

describe('threatdraft publish', () => {
  it('publishes approved drafts from the file store and prints the summary', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-pubcli-'));
    const store = new FileStore({ root: data });
    await store.listings.put(createListing());
    await store.drafts.save(createDraft({ status: 'approved', reviews: [{ reviewer: 'alice', action: 'approve', comment: null, at: '2025-02-01T00:00:00.000Z' }] }), null);
    await store.drafts.save(createDraft({ listingId: 'other' }), null);
    await store.close();
    const out = join(data, 'site');
    const io = captureIo();
    expect(await main(['publish', '--out', out, '--data', data, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ outDir: out, published: ['acme-ops-agent.r1'], superseded: [], agents: 1 });
    expect(readFileSync(join(out, 'agents/acme-ops-agent/index.html'), 'utf8')).toContain('Acme Ops Agent — agentic threat model');
    expect(existsSync(join(out, 'agents/other'))).toBe(false);
  });

  it('exits 2 without --out or when --out holds other files', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-pubcli-'));
    expect(await main(['publish', '--data', data], captureIo())).toBe(2);
    const io = captureIo();
    expect(await main(['publish', '--out', join(process.cwd(), 'src'), '--data', data], io)).toBe(2);
    expect(io.err()).toContain('not a threatdraft site');
  });
});
