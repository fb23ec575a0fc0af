import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { colorAllowed } from '../../src/cli/style.js';
import { captureIo } from '../helpers/io.js';

describe('threatdraft with no command', () => {
  it('prints usage on stderr and exits 2 (bad usage), with nothing on stdout', async () => {
    const io = captureIo({ tty: true });
    expect(await main([], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/^Usage: threatdraft \[options\] \[command\]\n/);
    expect(io.err()).toContain('drafts ');
  });

  it.each([['drafts'], ['reviewers']])('prints the usage of `%s` on stderr and exits 2 when its subcommand is missing', async (group) => {
    const io = captureIo();
    expect(await main([group], io)).toBe(2);
    expect(io.err()).toContain(`Usage: threatdraft ${group} [options] [command]`);
  });

  it.each([[['help']], [['help', 'drafts']], [['--help']], [['drafts', '--help']]])('exits 0 when help is asked for (%j)', async (argv) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(0);
    expect(io.out()).toContain('Usage: threatdraft');
  });

  it('lists --no-color among the options', async () => {
    const io = captureIo();
    await main(['--help'], io);
    expect(io.out()).toMatch(/--no-color +no color in human output \(also NO_COLOR=1\)/);
  });
});

describe('colorAllowed', () => {
  it.each([
    [[], {}, true],
    [['drafts', 'list', '--no-color'], {}, false],
    [['--no-color', 'drafts', 'list'], {}, false],
    // After `--` it is an argument, not the option.
    [['assess', '--', '--no-color'], {}, true],
    [[], { NO_COLOR: '1' }, false],
    [[], { NO_COLOR: '' }, true],
    [[], { TERM: 'dumb' }, false],
  ] as const)('%j with %j: %s', (argv, env, expected) => {
    expect(colorAllowed(argv, env)).toBe(expected);
  });
});
