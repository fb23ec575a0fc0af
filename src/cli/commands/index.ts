/** Every command, in the order `--help` lists them. Add a line per command module. */
import type { DefineCommand } from './types.js';
import { defineScore } from './score.js';
import { defineCrawl } from './crawl.js';
import { defineEval } from './eval.js';
import { defineAssess } from './assess.js';
import { defineRun } from './run.js';
import { defineWorker } from './worker.js';
import { defineStatus } from './status.js';
import { defineReviewers } from './reviewers.js';
import { defineDrafts } from './drafts.js';
import { defineReview } from './review.js';
import { definePublish } from './publish.js';
import { defineDoctor } from './doctor.js';

export const COMMANDS: readonly DefineCommand[] = [defineScore, defineCrawl, defineEval, defineAssess, defineRun, defineWorker, defineStatus, defineReviewers, defineDrafts, defineReview, definePublish, defineDoctor];
