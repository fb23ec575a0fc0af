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
