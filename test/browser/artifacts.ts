/**
 * Where browser tests leave their screenshots: `test-artifacts/` at the repository root, whatever
 * the working directory. The folder is gitignored; `.ci/run` lists its files with absolute paths at
 * the end of every run (passed or failed), and the CI machine keeps them.
 */
import { join } from 'node:path';

export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts');
