/** Every command, in the order `--help` lists them. Add a line per command module. */
import type { DefineCommand } from './types.js';
import { defineScore } from './score.js';
import { defineCrawl } from './crawl.js';
import { defineEval } from './eval.js';
import { defineAssess } from './assess.js';

export const COMMANDS: readonly DefineCommand[] = [defineScore, defineCrawl, defineEval, defineAssess];
