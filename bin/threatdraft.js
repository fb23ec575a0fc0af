#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci` through the `prepare` script).
import { exitQuietlyOnBrokenPipe } from '../dist/src/cli/io.js';
import { main } from '../dist/src/cli/main.js';

exitQuietlyOnBrokenPipe(process.stdout);

process.exitCode = await main(process.argv.slice(2));
