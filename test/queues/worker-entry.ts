/** Runs the CLI from source (tsx) so process tests do not depend on a fresh `npm run build`. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
