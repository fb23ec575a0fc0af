import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function fake(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/fake-openai/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

describe('the fake OpenAI server CLI', () => {
  it('prints its usage for --help and exits 0 without starting', () => {
    const child = fake(['--help']);
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('--fault-rate');
    expect(child.stdout).toContain('--mode M');
    expect(child.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  it('names an unknown option with the usage and exits 2, without a stack trace', () => {
    const child = fake(['--prot', '0']);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain("Unknown option '--prot'");
    expect(child.stderr).toContain('Usage:');
    expect(child.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an unknown engine mode with exit 2', () => {
    const child = fake(['--mode', 'tgi', '--port', '0']);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('Expected --mode to be one of openai, azure, vllm, llamacpp, ollama');
  });
});
