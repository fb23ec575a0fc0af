#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli/threatdraft.cjs, built by `npm ci` through the
// `prepare` script) with this command's V8 code cache (src/cli/bundle-loader.ts).
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../dist/src/cli/bundle-loader.js';

const args = process.argv.slice(2);
const bundle = loadBundle(fileURLToPath(new URL('../dist/cli/threatdraft.cjs', import.meta.url)), {
  cache: process.env.THREATDRAFT_CODE_CACHE !== '0',
  command: args[0],
});
const { main, exitQuietlyOnBrokenPipe } = bundle.exports;

exitQuietlyOnBrokenPipe(process.stdout);

process.exitCode = await main(args);
bundle.saveCache();
