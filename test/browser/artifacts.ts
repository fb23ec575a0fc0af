/**
 * Shared by the browser tests: where they leave their screenshots (`test-artifacts/` at the
 * repository root, whatever the working directory; gitignored; `.ci/run` lists its files with
 * absolute paths at the end of every run, passed or failed, and the CI machine keeps them), and how
 * they start Debian's Chromium (never a downloaded browser).
 */
import { join } from 'node:path';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Launches headless Chromium at CHROMIUM_PATH or /usr/bin/chromium, with no background traffic. */
export function launchChromium(options: Omit<LaunchOptions, 'executablePath' | 'args'> = {}): Promise<Browser> {
  return chromium.launch({
    ...options,
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts');
