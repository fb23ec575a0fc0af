import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds the package (tsc, then the CLI bundle `bin/threatdraft.js` runs) when a test that spawns
 * the binary runs on its own; `npm test` builds first.
 */
export function ensureBuilt(root: string): void {
  if (existsSync(join(root, 'dist/cli/threatdraft.cjs')) && existsSync(join(root, 'dist/src/cli/assess-command.js'))) return;
  spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}
