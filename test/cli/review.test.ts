import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

describe('threatdraft review', () => {
  it('serves the UI on 127.0.0.1 until SIGTERM, then exits 0', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-review-cli-'));
    const io = captureIo();
    const running = main(['review', '--port', '0', '--data', data, '--json'], io);
    const deadline = Date.now() + 10_000;
    while (!io.out().includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const info = JSON.parse(io.out()) as { url: string; store: string; twoPerson: boolean };
    expect(info).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), store: 'file', twoPerson: false });
    const login = await fetch(`${info.url}/login`);
    expect(login.status).toBe(200);
    expect((await fetch(`${info.url}/api/drafts`)).status).toBe(401);
    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });

  it('exits 2 on a bad port', async () => {
    const io = captureIo();
    expect(await main(['review', '--port', 'eighty', '--data', mkdtempSync(join(tmpdir(), 'td-review-cli-'))], io)).toBe(2);
  });
});
