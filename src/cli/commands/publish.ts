/** `threatdraft publish --out DIR`: the static site of approved reports. */
import type { DefineCommand } from './types.js';

export const definePublish: DefineCommand = (program, { io, setExitCode }) => {
  program
    .command('publish')
    .description('Publish approved drafts and write the static site (HTML, methodology page, JSON with schema, Markdown, OTM per agent, CSV).')
    .requiredOption('--out <DIR>', 'site directory (replaced as a whole; must be empty or an earlier site)')
    .option('--corrections-url <URL>', "where agent pages send vendors for corrections (?agent=<id> is added); default: the review server's /corrections/new")
    // Not an approval: publish only releases revisions reviewers already approved, so a name suffices.
    .option('--as <NAME>', 'name recorded as publisher in the audit log (not authenticated)', 'publisher')
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis')
    .option('--json', 'print the summary as one JSON line')
    .addHelpText(
      'after',
      '\nWrites index.html, methodology.html, agents.json, agents.csv, schema/, and per agent agents/<id>/index.{html,json,md,otm.json}\n' +
        '(and the same under v<revision>/ for every published revision).\n' +
        'Summary: { outDir, published: [id], refused: [{ id, staleText }], superseded: [id], agents, files, swept: [folder] }\n' +
        'An approved draft whose text no longer matches its values (staleText) is refused, and the command exits 1,\n' +
        'until that text is regenerated or a reviewer keeps it as written (drafts regenerate|confirm-text).\n' +
        'swept: temporary folders of interrupted runs removed from beside --out',
    )
    .action(async (options: { out: string; data?: string; json?: boolean; as?: string; correctionsUrl?: string }) => {
      const { runPublish } = await import('../publish-command.js');
      setExitCode(await runPublish(options, io));
    });
};
