/** `threatdraft drafts list|show|approve|reject|request-changes|regenerate|confirm-text`: the review actions from scripts. */
import { Option, type Command } from 'commander';
import type { DefineCommand } from './types.js';

const DATA_HELP = 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis';

function decision(drafts: Command, name: 'approve' | 'reject' | 'request-changes', description: string, io: Parameters<DefineCommand>[1]['io']): void {
  drafts
    .command(name)
    .description(description)
    .argument('<ID>', 'draft id, <listingId>.r<revision>')
    .option('--token-file <FILE>', 'read your personal reviewer token from FILE (- for stdin); default: THREATDRAFT_REVIEWER_TOKEN')
    // Kept hidden only to explain its removal: naming a reviewer without their token is not authentication.
    .addOption(new Option('--as <NAME>').hideHelp())
    .option('--comment <TEXT>', name === 'approve' ? 'optional comment' : 'why (required)')
    .option('--expect-version <N>', 'fail with a conflict unless the draft is still at this version')
    .option('--two-person', "require two distinct approvers for High and Critical even if the store's policy is off (or THREATDRAFT_TWO_PERSON=1); it cannot lift the policy")
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      `
You act as the reviewer whose personal token you give (from \`threatdraft reviewers add NAME\`), never on argv:
  THREATDRAFT_REVIEWER_TOKEN="$(cat ~/.config/threatdraft/token)" threatdraft drafts ${name} ID${name === 'approve' ? '' : ' --comment "why"'}
  threatdraft drafts ${name} ID --token-file ~/.config/threatdraft/token${name === 'approve' ? '' : ' --comment "why"'}
A missing or unknown token exits 2 and changes nothing.${
        name === 'approve'
          ? `
The two-person rule applies when the store's policy is on (\`threatdraft reviewers policy\`) or --two-person is given.`
          : ''
      }`,
    )
    .action(async (id: string, options: Record<string, string | boolean | undefined>) => {
      const { draftsDecide } = await import('../review-commands.js');
      await draftsDecide(name, id, options as never, io);
    });
}

function textAction(drafts: Command, name: 'regenerate' | 'confirm-text', description: string, io: Parameters<DefineCommand>[1]['io']): void {
  drafts
    .command(name)
    .description(description)
    .argument('<ID>', 'draft id, <listingId>.r<revision>')
    .option('--path <PATH...>', 'only these texts (summary, factors.<key>.rationale, cvss.rationale, exploitMaturity.rationale, mitigation.rationale, layers.<n>.text); default: every stale text')
    .option('--token-file <FILE>', 'read your personal reviewer token from FILE (- for stdin); default: THREATDRAFT_REVIEWER_TOKEN')
    .option('--expect-version <N>', 'fail with a conflict unless the draft is still at this version')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print the result as one JSON line')
    .action(async (id: string, options: Record<string, string | string[] | boolean | undefined>) => {
      const { draftsText } = await import('../review-commands.js');
      await draftsText(name, id, options as never, io);
    });
}

export const defineDrafts: DefineCommand = (program, { io }) => {
  const drafts = program.command('drafts').description('List, show, approve or reject drafts, regenerate or confirm stale text (same rules and audit as the review UI).');
  drafts
    .command('list')
    .description('List drafts, highest score first (or --sort date).')
    .option('--status <STATUS>', 'draft | changes-requested | approved | rejected | published | superseded')
    .option('--severity <BAND>', 'None | Low | Medium | High | Critical')
    .option('--source <ID>', 'only drafts of listings from this source')
    .option('--changed <yes|no>', 'yes: only drafts of listings that changed since their last published revision')
    .option('--sort <KEY>', 'severity | date', 'severity')
    .option('--limit <N>', 'at most N drafts (a page; counts still cover every draft)')
    .option('--offset <N>', 'skip the first N matching drafts (with --limit: the next page)', '0')
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'one JSON line per draft, then { drafts, counts }')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const { draftsList } = await import('../review-commands.js');
      await draftsList(options as never, io);
    });
  drafts
    .command('show')
    .description('Show one draft with approvals, diff against the published revision and audit trail.')
    .argument('<ID>')
    .option('--two-person', "count approvals under the two-person rule even if the store's policy is off (or THREATDRAFT_TWO_PERSON=1)")
    .option('--data <DIR>', DATA_HELP)
    .option('--json', 'print as one JSON line')
    .action(async (id: string, options: Record<string, string | boolean | undefined>) => {
      const { draftsShow } = await import('../review-commands.js');
      await draftsShow(id, options as never, io);
    });
  decision(drafts, 'approve', 'Approve a draft (under the two-person rule a High/Critical draft needs a second, distinct approver).', io);
  decision(drafts, 'reject', 'Reject a draft, with --comment.', io);
  decision(drafts, 'request-changes', 'Send a draft back for changes, with --comment.', io);
  textAction(drafts, 'regenerate', 'Rewrite stale texts (written for earlier values) from the current values, with the rules assessor’s words.', io);
  textAction(drafts, 'confirm-text', 'Keep stale texts as written, so publish accepts the draft.', io);
};
