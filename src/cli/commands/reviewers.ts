/**
 * `threatdraft reviewers add NAME | list | remove NAME | policy`: personal tokens, stored only as
 * sha256, and the store's review policy (the two-person rule).
 */
import type { DefineCommand } from './types.js';

const DATA_HELP = 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis';

export const defineReviewers: DefineCommand = (program, { io }) => {
  const reviewers = program.command('reviewers').description("Manage reviewers, their personal tokens and the store's two-person policy.");
  reviewers
    .command('add')
    .description('Add a reviewer; prints { name, token } once (only a hash of the token is stored).')
    .argument('<NAME>', 'reviewer name: letters, digits, ".", "_", "@", "-"')
    .option('--token-file <FILE>', 'write the token to FILE (a new file, mode 600) instead of printing it; prints { name, tokenFile }')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print { name, token } as one JSON line')
    .action(async (name: string, options: { data?: string; json?: boolean; tokenFile?: string }) => {
      const { reviewersAdd } = await import('../review-commands.js');
      await reviewersAdd(name, options, io);
    });
  reviewers
    .command('list')
    .description('List reviewers (immutable ids, names and dates; never tokens).')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'one JSON line { id, name, createdAt } per reviewer, then { reviewers }')
    .action(async (options: { data?: string; json?: boolean }) => {
      const { reviewersList } = await import('../review-commands.js');
      await reviewersList(options, io);
    });
  reviewers
    .command('remove')
    .description('Remove a reviewer; their token and sessions stop working at once (adding the name again makes a new reviewer).')
    .argument('<NAME>')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print { removed } as one JSON line')
    .action(async (name: string, options: { data?: string; json?: boolean }) => {
      const { reviewersRemove } = await import('../review-commands.js');
      await reviewersRemove(name, options, io);
    });
  reviewers
    .command('policy')
    .description("Show or set the store's review policy: the two-person rule for every process that uses this store.")
    .option('--two-person <on|off>', 'on: High and Critical drafts need two distinct approvers, whoever runs review or drafts approve; off: one approval')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print { twoPerson, setBy, at } (and before, when setting) as one JSON line')
    .addHelpText(
      'after',
      `
Without --two-person, prints the current policy (the default is off, with setBy null).
Setting it appends an audit entry (action "policy", subject "policy:two-person") and records the OS
account that ran the command as setBy. Like \`reviewers add\`, anyone who can write the store can run
this: protect the data directory (or the Redis server) accordingly.
--two-person on \`review\` and \`drafts\` (or THREATDRAFT_TWO_PERSON=1) can add the rule for one
process but never lift a policy that is on.`,
    )
    .action(async (options: { twoPerson?: string; data?: string; json?: boolean }) => {
      const { reviewersPolicy } = await import('../review-commands.js');
      await reviewersPolicy(options, io);
    });
};
