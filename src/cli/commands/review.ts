/** `threatdraft review`: the review web UI and JSON API, bound to 127.0.0.1 by default. */
import type { DefineCommand } from './types.js';

export const defineReview: DefineCommand = (program, { io }) => {
  program
    .command('review')
    .description('Serve the review web UI and its JSON API (sign in with a personal reviewer token).')
    .option('--host <HOST>', 'address to bind; beyond loopback (e.g. 0.0.0.0) --allowed-host is required', '127.0.0.1')
    .option('--port <N>', 'port (0 picks a free one)', '4173')
    .option(
      '--allowed-host <NAMES>',
      "comma-separated Host names to answer to (a reverse proxy's name); on loopback in addition to 127.0.0.1, localhost and [::1]; required beyond loopback; others get 403",
    )
    .option('--two-person', "require two distinct approvers for High and Critical in this server even if the store's policy is off (or THREATDRAFT_TWO_PERSON=1); `reviewers policy --two-person on` sets it for everyone")
    .option('--queues <NAMES>', 'comma-separated BullMQ queue names for /admin/queues (default: the pipeline queues)')
    .option('--queue-prefix <PREFIX>', 'BullMQ key prefix for /admin/queues (default <THREATDRAFT_NAMESPACE>:q, i.e. threatdraft:q)')
    .option('--correction-rate-limit <N>', 'public corrections form: submissions per client address in ten minutes', '5')
    .option('--site <DIR>', 'site folder the Publish page writes (as `publish --out DIR`); without it the page only previews')
    .option('--corrections-url <URL>', "with --site: where agent pages send vendors for corrections (?agent=<id> is added); default: this server's /corrections/new")
    .option('--data <DIR>', 'file store root (default ./.threatdraft, or THREATDRAFT_DATA); REDIS_URL selects Redis and enables /admin/queues')
    .option('--json', 'print { url, ... } as one JSON line once listening')
    .addHelpText(
      'after',
      `
API:  GET /api/drafts  GET /api/drafts/:id  PATCH /api/drafts/:id (JSON with "version")
      POST /api/drafts/:id/approve|reject|request-changes  (JSON { "comment": "…", "version": N })
        "version" is optional; when given, a draft changed since answers 409 and nothing is recorded.
      GET /api/corrections[?status=open|accepted|declined]  GET /api/corrections/:id
      POST /api/corrections/:id/accept (JSON { "version": N, "reply"?: "…", "patch"?: { …as PATCH… } })
      POST /api/corrections/:id/decline (JSON { "version": N, "reply": "…" })
      Authorization: Bearer <token>, or the browser session cookie plus X-CSRF-Token.
Public (no sign-in): GET /corrections/new?agent=<id> (the vendor's form), POST /corrections,
      GET /corrections/status/<id>?key=… (the vendor's private status page).
      POST /api/drafts/bulk-approve (JSON { "drafts": [{ "id": "…", "version": N }], "comment"?: "…" }): approves the
        drafts that were never above Low, have no warning, no stale text and no pending approval; skips the rest
        with the reason: { approved: [id], skipped: [{ id, reason }] }.
      GET /api/publish/plan: what publishing now would change on the site.
Pages: / (queue; filters ?status ?severity ?source ?changed=yes ?warnings ?evidence=insufficient ?sort=date;
      bulk approval of Low drafts), /drafts/:id (keys: j/k next/previous, a approve, c request changes,
      x reject), /publish (preview, and publish with --site), /corrections, /corrections/:id, /methodology,
      /audit, /admin/queues (with REDIS_URL).`,
    )
    .action(async (options: {
      host: string;
      port: string;
      allowedHost?: string;
      twoPerson?: boolean;
      queues?: string;
      queuePrefix?: string;
      data?: string;
      json?: boolean;
      correctionRateLimit?: string;
      site?: string;
      correctionsUrl?: string;
    }) => {
      const { runReview } = await import('../review-commands.js');
      await runReview(options, io);
    });
};
