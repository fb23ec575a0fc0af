/**
 * The implementations behind `threatdraft reviewers`, `drafts` and `review` (loaded lazily by the
 * command definitions). They open the store, call the ReviewService and print JSON lines or text.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Draft } from '../../schemas/draft.js';
import { stripUncertainPrefix, UNCERTAIN_PREFIX } from '../assess/checks.js';
import { LISTING_FACTOR_KEYS, LISTING_FACTORS } from '../../schemas/factors.js';
import { humanOutput, readAll, table, writeJsonLine, type Io } from './io.js';
import { bandStyle, styledTable, writeParts, type Part } from './style.js';
import { loadEnv } from '../config.js';
import type { Env } from '../../schemas/config.js';
import { InputError, TransientError } from '../errors.js';
import { safeHttpUrl } from '../publish/html.js';
import { openStore, prefixesFor, redisTargetFrom } from '../store/open-store.js';
import type { RedisTarget } from '../store/redis-target.js';
import type { Reviewer, Store } from '../store/store.js';
import { queueQuerySchema } from '../review/queue.js';
import { requiredApprovals, ReviewService, type TwoPersonRule } from '../review/service.js';

/** Options every review command shares. */
export interface StoreOptions {
  data?: string | undefined;
  json?: boolean | undefined;
  twoPerson?: boolean | undefined;
}

/**
 * True when `--two-person` is given or THREATDRAFT_TWO_PERSON is 1/true/yes: this process adds the
 * rule on top of the store's policy (it cannot lift a policy that is on).
 */
export function twoPersonFrom(flag: boolean | undefined, env: Pick<Env, 'THREATDRAFT_TWO_PERSON'>): boolean {
  return flag === true || env.THREATDRAFT_TWO_PERSON;
}

/** Opens the store the command's flags and environment select, runs `body`, closes it. */
export async function withService<T>(options: StoreOptions, io: Io, body: (service: ReviewService, store: Store) => Promise<T>): Promise<T> {
  const env = loadEnv(io.env);
  const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: redisTargetFrom(env.REDIS_URL, env.REDIS_CLUSTER_NODES), namespace: env.THREATDRAFT_NAMESPACE });
  try {
    return await body(new ReviewService({ store, twoPerson: twoPersonFrom(options.twoPerson, env) }), store);
  } finally {
    await store.close();
  }
}

/**
 * `reviewers add NAME`: prints `{ name, token }` once, or with `--token-file FILE` writes the token
 * there (a new file, mode 600) and prints `{ name, tokenFile }`, so the token never reaches a
 * terminal or its scrollback.
 * @throws InputError (exit 2) when FILE exists or cannot be created, before the reviewer is added.
 */
export async function reviewersAdd(name: string, options: StoreOptions & { tokenFile?: string | undefined }, io: Io): Promise<void> {
  const path = options.tokenFile === undefined ? undefined : resolve(options.tokenFile);
  const file = path === undefined ? undefined : await open(path, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new InputError('E_USAGE', `Cannot create --token-file ${path}: ${error.code === 'EEXIST' ? 'it exists (a token file is never overwritten)' : (error.code ?? 'unwritable')}`, { option: 'token-file' });
  });
  let created: { name: string; token: string };
  try {
    created = await withService(options, io, (service) => service.addReviewer(name, 'cli'));
    await file?.writeFile(`${created.token}\n`);
  } catch (error) {
    await file?.close();
    if (path !== undefined) await unlink(path).catch(() => undefined);
    throw error;
  }
  await file?.close();
  if (path !== undefined) {
    if (humanOutput(io, options.json)) io.stdout.write(`Added reviewer ${created.name}. Personal token written to ${path} (mode 600); only a hash of it is stored.\n`);
    else writeJsonLine(io, { name: created.name, tokenFile: path });
  } else if (humanOutput(io, options.json)) {
    io.stdout.write(`Added reviewer ${created.name}. Personal token (shown only now, store it safely):\n${created.token}\n`);
  } else writeJsonLine(io, created);
}

/** Options of `reviewers policy`. */
export interface PolicyOptions {
  data?: string | undefined;
  json?: boolean | undefined;
  /** `on` or `off`; absent prints the policy. */
  twoPerson?: string | undefined;
}

/**
 * The OS account running this command, recorded as who set the policy (os.userInfo reads the
 * account of the process's user id, not $USER); 'cli' when the system has no name for it.
 */
export function osUserName(): string {
  try {
    const name = userInfo().username.trim();
    return name === '' ? 'cli' : name.slice(0, 128);
  } catch {
    return 'cli';
  }
}

/**
 * `reviewers policy [--two-person on|off]`: prints the store's review policy, or sets it for every
 * process that uses the store, with an audit entry. Whoever can write the store can set it.
 * @throws InputError (exit 2) for a value other than on or off, before the store is opened.
 */
export async function reviewersPolicy(options: PolicyOptions, io: Io): Promise<void> {
  let wanted: boolean | undefined;
  if (options.twoPerson !== undefined) {
    if (options.twoPerson !== 'on' && options.twoPerson !== 'off') {
      throw new InputError('E_USAGE', `Expected \`--two-person\` to be on or off, got ${JSON.stringify(options.twoPerson)}`, { option: 'two-person' });
    }
    wanted = options.twoPerson === 'on';
  }
  const onOff = (value: boolean): string => (value ? 'on' : 'off');
  if (wanted === undefined) {
    const policy = await withService({ data: options.data }, io, (service) => service.store.policy.get());
    if (humanOutput(io, options.json)) {
      io.stdout.write(
        policy === null
          ? 'Two-person rule: off (the default; no policy was ever set in this store)\n'
          : `Two-person rule: ${onOff(policy.twoPerson)} (set by ${policy.setBy} at ${policy.at})\n`,
      );
    } else writeJsonLine(io, policy ?? { twoPerson: false, setBy: null, at: null });
    return;
  }
  const twoPerson = wanted;
  const { policy, before } = await withService({ data: options.data }, io, (service) => service.setTwoPersonPolicy(twoPerson, osUserName()));
  if (humanOutput(io, options.json)) {
    io.stdout.write(
      `Two-person rule: ${onOff(policy.twoPerson)} for every process using this store (was ${before === null ? 'off, never set' : onOff(before)}; set by ${policy.setBy})\n`,
    );
  } else writeJsonLine(io, { ...policy, before });
}

/** `reviewers list`. */
export async function reviewersList(options: StoreOptions, io: Io): Promise<void> {
  const reviewers = await withService(options, io, (service) => service.listReviewers());
  if (humanOutput(io, options.json)) {
    io.stdout.write(`${reviewers.length === 0 ? 'No reviewers.' : table([['NAME', 'ADDED'], ...reviewers.map((r) => [r.name, r.createdAt])])}\n`);
    return;
  }
  for (const reviewer of reviewers) writeJsonLine(io, reviewer);
  writeJsonLine(io, { reviewers: reviewers.length });
}

/** `reviewers remove NAME`. */
export async function reviewersRemove(name: string, options: StoreOptions, io: Io): Promise<void> {
  await withService(options, io, (service) => service.removeReviewer(name, 'cli'));
  if (humanOutput(io, options.json)) io.stdout.write(`Removed reviewer ${name}.\n`);
  else writeJsonLine(io, { removed: name });
}

/** `drafts list [--status] [--severity] [--source] [--sort]`. */
export async function draftsList(options: StoreOptions & Record<string, unknown>, io: Io): Promise<void> {
  const parsed = queueQuerySchema.safeParse({ status: options['status'], severity: options['severity'], source: options['source'], changed: options['changed'], sort: options['sort'] });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('E_USAGE', `Invalid \`--${issue?.path.join('.') ?? 'option'}\`: ${issue?.message ?? 'invalid'}`, {});
  }
  const page = (name: 'limit' | 'offset'): number | undefined => {
    const raw = options[name];
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new InputError('E_USAGE', `Expected \`--${name}\` to be an integer from 0 up, got ${JSON.stringify(raw)}`, { option: name });
    return Number(raw);
  };
  const limit = page('limit');
  const offset = page('offset') ?? 0;
  const result = await withService(options, io, (service) => service.queue(parsed.data, { offset, limit }));
  if (humanOutput(io, options.json)) {
    const rows: Part[][] = result.items.map((i) => [i.id, i.status, i.score.toFixed(1), { text: i.severity, style: bandStyle(i.severity) }, String(i.warnings), i.title]);
    writeParts(io, [...styledTable([['ID', 'STATUS', 'SCORE', 'BAND', 'WARN', 'TITLE'], ...rows]), `\n${result.items.length} of ${result.counts.total} drafts\n`]);
    return;
  }
  for (const item of result.items) writeJsonLine(io, item);
  writeJsonLine(io, { drafts: result.items.length, counts: result.counts });
}

function describeDraft(draft: Draft, title: string): Part[] {
  const factors = LISTING_FACTOR_KEYS.map((key) => [LISTING_FACTORS[key], draft.assessment.factors[key].value.toFixed(2)]);
  return [
    { text: `${title} — ${draft.id}`, style: 'bold' },
    ` (${draft.status}, version ${draft.version})\n${draft.assessment.summary}\nAIVSS ${draft.score.score.toFixed(1)} `,
    { text: draft.score.severity, style: bandStyle(draft.score.severity) },
    ` (C ${draft.score.cvssBase}, ΣF ${draft.score.factorSum}, AARS ${draft.score.aars}, ThM ${draft.score.thm}, MF ${draft.score.mf ?? '—'})\n`,
    [
      table(factors),
      ...draft.assessment.layers.map((l) => `L${l.layer} ${l.certain ? l.text : UNCERTAIN_PREFIX + stripUncertainPrefix(l.text)}`),
      `Warnings: ${draft.checks.warnings.length === 0 ? 'none' : draft.checks.warnings.map((w) => w.code).join(', ')}`,
    ].join('\n'),
  ];
}

/** One line saying whether the two-person rule is in force and why. */
export function describeRule(rule: TwoPersonRule): string {
  if (!rule.inForce) return 'Two-person rule: off';
  const why = [
    ...(rule.policy?.twoPerson === true ? [`store policy, set by ${rule.policy.setBy} at ${rule.policy.at}`] : []),
    ...(rule.flag ? ['--two-person or THREATDRAFT_TWO_PERSON in this process'] : []),
  ];
  return `Two-person rule: on (${why.join('; ')}): High and Critical drafts need two distinct approvers`;
}

/** `drafts show ID`. */
export async function draftsShow(id: string, options: StoreOptions, io: Io): Promise<void> {
  const view = await withService(options, io, (service) => service.show(id));
  if (humanOutput(io, options.json)) {
    writeParts(io, [
      ...describeDraft(view.draft, view.listing?.title ?? view.draft.listingId),
      `\nApprovals: ${view.approvals.length} of ${view.requiredApprovals}\n${describeRule(view.twoPerson)}\n`,
    ]);
    return;
  }
  writeJsonLine(io, {
    draft: view.draft,
    listing: view.listing === null ? null : { id: view.listing.id, title: view.listing.title, url: view.listing.url },
    approvals: view.approvals,
    requiredApprovals: view.requiredApprovals,
    twoPerson: view.twoPerson.inForce,
    diff: view.diff,
    listingChanges: view.listingChanges,
    listingFlags: view.listingFlags,
    audit: view.audit,
  });
}

/** Options of `drafts approve|reject|request-changes`. */
export interface DecisionOptions extends StoreOptions {
  /** A file holding the reviewer's personal token (`-` reads it from stdin). */
  tokenFile?: string | undefined;
  /** Removed: naming a reviewer without their token let one operator approve as anyone. */
  as?: string | undefined;
  comment?: string | undefined;
  expectVersion?: string | undefined;
}

/**
 * `drafts approve|reject|request-changes ID`, as the reviewer whose personal token is in
 * `--token-file` or THREATDRAFT_REVIEWER_TOKEN; the same rules and audit entries as the web UI.
 * @throws InputError (exit 2) without a token or with an unknown one, before anything is read or changed.
 */
export async function draftsDecide(action: 'approve' | 'reject' | 'request-changes', id: string, options: DecisionOptions, io: Io): Promise<void> {
  if (options.as !== undefined) {
    throw new InputError(
      'E_USAGE',
      '`--as` was removed: a review action needs the reviewer\'s own token, in THREATDRAFT_REVIEWER_TOKEN or a file named by --token-file',
      { option: 'as' },
    );
  }
  const version = expectedVersion(options);
  const token = await reviewerToken(options, io);
  const result = await withService(options, io, async (service) => {
    const reviewer = await authenticated(service, token);
    const decision = { comment: options.comment ?? null, version };
    if (action === 'approve') return service.approve(id, reviewer.name, decision, 'cli');
    const draft =
      action === 'reject' ? await service.reject(id, reviewer.name, decision, 'cli') : await service.requestChanges(id, reviewer.name, decision, 'cli');
    const rule = await service.twoPersonRule();
    return { draft, approvals: [] as string[], requiredApprovals: requiredApprovals(draft, rule.inForce), twoPerson: rule.inForce };
  });
  const summary = {
    id: result.draft.id,
    action,
    status: result.draft.status,
    version: result.draft.version,
    approvals: result.approvals,
    requiredApprovals: result.requiredApprovals,
    twoPerson: result.twoPerson,
  };
  if (humanOutput(io, options.json)) {
    const pending = action === 'approve' && result.draft.status !== 'approved';
    io.stdout.write(
      `${result.draft.id}: ${result.draft.status}${pending ? ` (${result.approvals.length} of ${result.requiredApprovals} approvals; a different reviewer must approve too)` : ''}\n`,
    );
  } else writeJsonLine(io, summary);
}

/** Options of `drafts regenerate|confirm-text`. */
export interface TextActionOptions extends DecisionOptions {
  /** Text paths (`summary`, `factors.<key>.rationale`, …); default: every stale text. */
  path?: string[] | undefined;
}

/**
 * `drafts regenerate ID` rewrites stale texts from the draft's current values; `drafts confirm-text
 * ID` keeps them as written. Both as the reviewer whose token is given, audit-logged like the UI.
 */
export async function draftsText(action: 'regenerate' | 'confirm-text', id: string, options: TextActionOptions, io: Io): Promise<void> {
  const version = expectedVersion(options);
  const token = await reviewerToken(options, io);
  const draft = await withService(options, io, async (service) => {
    const reviewer = await authenticated(service, token);
    const body = { ...(version === undefined ? {} : { version }), ...(options.path === undefined ? {} : { paths: options.path }) };
    return action === 'regenerate' ? service.regenerate(id, body, reviewer.name, 'cli') : service.confirmText(id, body, reviewer.name, 'cli');
  });
  const summary = { id: draft.id, action, status: draft.status, version: draft.version, staleText: draft.staleText };
  if (humanOutput(io, options.json)) {
    io.stdout.write(`${draft.id}: ${draft.status}, ${draft.staleText.length === 0 ? 'no stale text' : `still stale: ${draft.staleText.join(', ')}`}\n`);
  } else writeJsonLine(io, summary);
}

/** `--expect-version N`, checked: a positive integer or absent. @throws InputError (exit 2). */
function expectedVersion(options: DecisionOptions): number | undefined {
  const version = options.expectVersion === undefined ? undefined : Number(options.expectVersion);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    throw new InputError('E_USAGE', `Expected \`--expect-version\` to be a positive integer, got ${JSON.stringify(options.expectVersion)}`, { option: 'expect-version' });
  }
  return version;
}

/** The reviewer a token belongs to. @throws InputError (exit 2) for an unknown token. */
async function authenticated(service: ReviewService, token: { value: string; from: string }): Promise<Reviewer> {
  const reviewer = await service.authenticate(token.value);
  if (reviewer === null) {
    throw new InputError('E_AUTH', `The token in ${token.from} is not a known reviewer token (tokens come from \`threatdraft reviewers add NAME\`)`, {});
  }
  return reviewer;
}

/**
 * The personal token of the reviewer running a decision: `--token-file FILE` (or `-` for stdin)
 * when given, else THREATDRAFT_REVIEWER_TOKEN. Never a command-line argument, which would land in
 * shell history and the process list.
 */
async function reviewerToken(options: DecisionOptions, io: Io): Promise<{ value: string; from: string }> {
  if (options.tokenFile !== undefined) {
    const from = options.tokenFile === '-' ? '--token-file - (stdin)' : `--token-file ${options.tokenFile}`;
    let text: string;
    try {
      text = options.tokenFile === '-' ? await readAll(io.stdin) : await readFile(options.tokenFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new InputError('E_USAGE', `Cannot read ${from}: ${code}`, { option: 'token-file' });
    }
    const value = text.trim();
    if (value === '') throw new InputError('E_AUTH', `${from} is empty; it should hold one personal reviewer token`, { option: 'token-file' });
    return { value, from };
  }
  const value = io.env['THREATDRAFT_REVIEWER_TOKEN']?.trim() ?? '';
  if (value === '') {
    throw new InputError(
      'E_AUTH',
      'Authenticate as a reviewer: set THREATDRAFT_REVIEWER_TOKEN to your personal token, or pass --token-file FILE (tokens come from `threatdraft reviewers add NAME`)',
      {},
    );
  }
  return { value, from: 'THREATDRAFT_REVIEWER_TOKEN' };
}

/** Options of `threatdraft review`. */
export interface ReviewCommandOptions extends StoreOptions {
  host: string;
  port: string;
  queues?: string | undefined;
  queuePrefix?: string | undefined;
  allowedHost?: string | undefined;
  /** Public corrections form: submissions per client address in ten minutes. */
  correctionRateLimit?: string | undefined;
  /** The site folder the UI's Publish writes. */
  site?: string | undefined;
  /** Where published agent pages send vendors for corrections. */
  correctionsUrl?: string | undefined;
}

/** `threatdraft review`: serves until SIGINT or SIGTERM, then closes the server and the store. */
export async function runReview(options: ReviewCommandOptions, io: Io): Promise<void> {
  const port = Number(options.port);
  if (!/^\d+$/.test(options.port) || port > 65535) {
    throw new InputError('E_USAGE', `Expected \`--port\` to be 0..65535, got ${JSON.stringify(options.port)}`, { option: 'port' });
  }
  const correctionRateLimit = options.correctionRateLimit === undefined ? undefined : Number(options.correctionRateLimit);
  if (correctionRateLimit !== undefined && (!/^\d+$/.test(options.correctionRateLimit ?? '') || correctionRateLimit < 1 || correctionRateLimit > 10_000)) {
    throw new InputError('E_USAGE', `Expected \`--correction-rate-limit\` to be 1..10000, got ${JSON.stringify(options.correctionRateLimit)}`, { option: 'correction-rate-limit' });
  }
  if (options.correctionsUrl !== undefined && safeHttpUrl(options.correctionsUrl) === null) {
    throw new InputError('E_USAGE', `Expected \`--corrections-url\` to be an http(s) URL, got ${JSON.stringify(options.correctionsUrl.slice(0, 200))}`, { option: 'corrections-url' });
  }
  const env = loadEnv(io.env);
  const { allowedHostsFor, startReviewServer } = await import('../review/server.js');
  const queueNames = options.queues?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const allowedHosts = options.allowedHost?.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  for (const name of allowedHosts ?? []) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(name)) {
      throw new InputError('E_USAGE', `Expected \`--allowed-host\` to be host names without ports, got ${JSON.stringify(name)}`, { option: 'allowed-host' });
    }
  }
  // Beyond loopback without --allowed-host: refused (exit 2) before the store is opened.
  allowedHostsFor(options.host, allowedHosts);
  const redis = await reviewRedisTarget(redisTargetFrom(env.REDIS_URL, env.REDIS_CLUSTER_NODES));
  const store = await openStore({ dataDir: options.data ?? env.THREATDRAFT_DATA ?? './.threatdraft', redisUrl: redis, namespace: env.THREATDRAFT_NAMESPACE });
  let server;
  try {
    server = await startReviewServer({
      store,
      host: options.host,
      port,
      twoPerson: twoPersonFrom(options.twoPerson, env),
      redisUrl: redis,
      queueNames,
      allowedHosts,
      // The queues of this namespace unless told otherwise, so the dashboard shows what `run` enqueued.
      queuePrefix: options.queuePrefix ?? prefixesFor(env.THREATDRAFT_NAMESPACE, redis).queue,
      logLevel: env.LOG_LEVEL,
      correctionRateLimit,
      ...(options.site === undefined ? {} : { siteDir: resolve(options.site) }),
      ...(options.correctionsUrl === undefined ? {} : { correctionsUrl: options.correctionsUrl }),
    });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new InputError('E_LISTEN', `Cannot listen on ${options.host}:${port}: ${code}`, { host: options.host, port });
    }
    throw error;
  }
  // A snapshot at start-up: each decision reads the store's policy again, so a later change applies at once.
  let rule: TwoPersonRule;
  try {
    rule = await server.service.twoPersonRule();
  } catch (error) {
    await server.close();
    await store.close();
    throw error;
  }
  // Listen for the stop signals before saying where the server listens: whoever reads that line may
  // stop the server at once, and a SIGTERM before the handler exists would kill the process (exit 143).
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const info = {
    url: server.url,
    twoPerson: rule.inForce,
    store: store.kind,
    queues: env.REDIS_URL === undefined ? null : `${server.url}/admin/queues`,
    site: options.site === undefined ? null : resolve(options.site),
  };
  if (humanOutput(io, options.json)) io.stdout.write(`Review UI at ${server.url}/ (Ctrl-C to stop)\n${describeRule(rule)}\n`);
  else writeJsonLine(io, info);
  await stopped;
  await server.close();
  await store.close();
}

/**
 * The review server's Redis: a cluster node is detected so the queue dashboard connects as a cluster
 * client; when Redis does not answer yet, the URL as is (the UI starts and reports Redis errors per
 * request, as it always has).
 */
async function reviewRedisTarget(named: RedisTarget | undefined): Promise<RedisTarget | undefined> {
  if (named === undefined) return undefined;
  const { resolveRedisTarget } = await import('../store/redis-client.js');
  try {
    return await resolveRedisTarget(named);
  } catch (error) {
    if (error instanceof TransientError) return named;
    throw error;
  }
}
