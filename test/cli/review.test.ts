import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
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

  it('reports the two-person rule in force from the store\'s policy when started without --two-person', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-review-cli-'));
    expect(await main(['reviewers', 'policy', '--two-person', 'on', '--data', data], captureIo())).toBe(0);
    const io = captureIo();
    const running = main(['review', '--port', '0', '--data', data, '--json'], io);
    const deadline = Date.now() + 10_000;
    while (!io.out().includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      expect(JSON.parse(io.out())).toMatchObject({ store: 'file', twoPerson: true });
    } finally {
      process.emit('SIGTERM');
      expect(await running).toBe(0);
    }
  });

  it('refuses requests whose Host is not its own (DNS rebinding), and accepts the names it was given', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-review-cli-'));
    const io = captureIo();
    const running = main(['review', '--port', '0', '--data', data, '--json', '--allowed-host', 'review.internal'], io);
    const deadline = Date.now() + 10_000;
    while (!io.out().includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const { url } = JSON.parse(io.out()) as { url: string };
    const port = new URL(url).port;
    const statusWithHost = (host: string, path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await statusWithHost(`attacker.example:${port}`, '/login')).toBe(403);
      expect(await statusWithHost('attacker.example', '/api/drafts')).toBe(403);
      expect(await statusWithHost(`127.0.0.1:${port}`, '/login')).toBe(200);
      expect(await statusWithHost(`localhost:${port}`, '/login')).toBe(200);
      expect(await statusWithHost(`[::1]:${port}`, '/login')).toBe(200);
      expect(await statusWithHost(`REVIEW.internal:${port}`, '/login')).toBe(200);
    } finally {
      process.emit('SIGTERM');
      expect(await running).toBe(0);
    }
  });

  it('exits 2 on a bad --allowed-host', async () => {
    const io = captureIo();
    expect(await main(['review', '--port', '0', '--allowed-host', 'evil.example:80', '--data', mkdtempSync(join(tmpdir(), 'td-review-cli-'))], io)).toBe(2);
    expect(io.err()).toContain('`--allowed-host`');
  });

  it('hardening #7: refuses to listen beyond loopback without --allowed-host (exit 2, saying why, nothing bound), and with it answers only those names', async () => {
    const data = mkdtempSync(join(tmpdir(), 'td-review-cli-'));
    const refused = captureIo();
    expect(await main(['review', '--host', '0.0.0.0', '--port', '0', '--data', data, '--json'], refused)).toBe(2);
    // With --json the error is also the one line on stdout; no { url } line: nothing was served.
    expect(JSON.parse(refused.out())).toMatchObject({ error: { code: 'E_ALLOWED_HOST' } });
    expect(refused.err()).toContain('Refusing to listen on 0.0.0.0 without --allowed-host');
    expect(refused.err()).toContain('[E_ALLOWED_HOST]');
    const { startReviewServer } = await import('../../src/review/server.js');
    const { createMemoryStore } = await import('../../src/store/memory-store.js');
    await expect(startReviewServer({ store: createMemoryStore(), host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'E_ALLOWED_HOST' });

    const io = captureIo();
    const running = main(['review', '--host', '0.0.0.0', '--port', '0', '--data', data, '--json', '--allowed-host', 'review.internal'], io);
    const deadline = Date.now() + 10_000;
    while (!io.out().includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const port = new URL((JSON.parse(io.out()) as { url: string }).url).port;
    const statusWithHost = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/login', headers: { Host: host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await statusWithHost(`review.internal:${port}`)).toBe(200);
      expect(await statusWithHost(`attacker.example:${port}`)).toBe(403);
      expect(await statusWithHost(`127.0.0.1:${port}`)).toBe(403);
    } finally {
      process.emit('SIGTERM');
      expect(await running).toBe(0);
    }
  });

  it('exits 2 on a bad port', async () => {
    const io = captureIo();
    expect(await main(['review', '--port', 'eighty', '--data', mkdtempSync(join(tmpdir(), 'td-review-cli-'))], io)).toBe(2);
  });
});
