import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('createLogger', () => {
  it('writes JSON lines to stderr at the level given, with secrets redacted', () => {
    const script = `
      import { createLogger } from './src/log.ts';
      const logger = createLogger('info');
      logger.debug({ listingId: 'a' }, 'hidden at info');
      logger.info({ listingId: 'b', apiKey: 'sk-secret-123', headers: { authorization: 'Bearer sk-secret-123' } }, 'shown');
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'shown', listingId: 'b', apiKey: '[redacted]', headers: { authorization: '[redacted]' } });
    expect(result.stderr).not.toContain('sk-secret-123');
  });
});

describe('deferredLogger', () => {
  it('loads pino only when something is logged, then logs like createLogger', () => {
    const script = `
      import { createRequire } from 'node:module';
      import { deferredLogger } from './src/log.ts';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/node_modules/pino/'));
      const logger = deferredLogger('info');
      const before = loaded();
      logger.info({ listingId: 'c', token: 'sk-secret-456' }, 'first');
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ before: false, after: true });
    expect(JSON.parse(result.stderr.trim())).toMatchObject({ msg: 'first', listingId: 'c', token: '[redacted]' });
  });
});
