/** `threatdraft reviewers add NAME | list | remove NAME`: personal tokens, stored only as sha256. */
import type { DefineCommand } from './types.js';

const DATA_HELP = 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis';

export const defineReviewers: DefineCommand = (program, { io }) => {
  const reviewers = program.command('reviewers').description('Manage reviewers and their personal tokens.');
  reviewers
    .command('add')
    .description('Add a reviewer; prints { name, token } once (only a hash of the token is stored).')
    .argument('<NAME>', 'reviewer name: letters, digits, ".", "_", "@", "-"')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print { name, token } as one JSON line')
    .action(async (name: string, options: { data?: string; json?: boolean }) => {
      const { reviewersAdd } = await import('../../review/commands.js');
      await reviewersAdd(name, options, io);
    });
  reviewers
    .command('list')
    .description('List reviewers (names and dates; never tokens).')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'one JSON line per reviewer, then { reviewers }')
    .action(async (options: { data?: string; json?: boolean }) => {
      const { reviewersList } = await import('../../review/commands.js');
      await reviewersList(options, io);
    });
  reviewers
    .command('remove')
    .description('Remove a reviewer; their token and sessions stop working at once.')
    .argument('<NAME>')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print { removed } as one JSON line')
    .action(async (name: string, options: { data?: string; json?: boolean }) => {
      const { reviewersRemove } = await import('../../review/commands.js');
      await reviewersRemove(name, options, io);
    });
};
