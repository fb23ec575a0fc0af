#!/usr/bin/env node
// Entry point: runs the bundled CLI (built by `npm ci` through the `prepare` script: tsc, then
// build/bundle-cli.ts).
import { exitQuietlyOnBrokenPipe } from '../dist/cli/io.js';
import { main } from '../dist/cli/main.js';

exitQuietlyOnBrokenPipe(process.stdout);

process.exitCode = await main(process.argv.slice(2));
