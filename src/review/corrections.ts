/**
 * Vendor corrections: anyone may ask, through the public form, for a factual correction of a
 * published report; the request waits in the corrections queue, tied to the revision the vendor
 * saw; a reviewer accepts it (a new revision of the report with the change, which then goes
 * through review and publication like any draft and is marked "Corrected on DATE") or declines it
 * with a reply. The submitter follows it with a private status link. Every step is audit-logged
 * (the message and contact stay out of the log).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CORRECTION_LIMITS, type Correction, type CorrectionStatus } from '../../schemas/correction.js';
import { draftId, type Draft } from '../../schemas/draft.js';
import { ConflictError } from '../errors.js';
import { supersedeOlder } from '../pipeline/assess-stage.js';
import { diffDrafts } from './diff.js';
import { editPatchSchema, parseOrFieldError, previewEdit } from './edit.js';
import { NotFoundError, rulesRegenerator, type Channel, type ReviewService } from './service.js';
import { reconcileEdit } from './text-state.js';
import { hashToken, sameSecret } from './tokens.js';

/** What the public form sends. */
export const correctionRequestSchema = z.object({
  agent: z.string().min(1).max(128),
  name: z.string().trim().min(1).max(CORRECTION_LIMITS.name),
  email: z
    .string()
    .trim()
    .max(CORRECTION_LIMITS.email)
    .refine((value) => value === '' || /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(value), { message: 'expected an email address, or nothing' }),
  message: z.string().trim().min(CORRECTION_LIMITS.minMessage).max(CORRECTION_LIMITS.message),
});

const acceptSchema = z
  .object({
    version: z.number().int().min(1),
    reply: z.string().max(CORRECTION_LIMITS.reply).optional(),
    /** The change, as a reviewer's edit (the same fields as PATCH /api/drafts/:id). */
    patch: editPatchSchema.optional(),
  })
  .strict();
const declineSchema = z.object({ version: z.number().int().min(1), reply: z.string().trim().min(1).max(CORRECTION_LIMITS.reply) }).strict();

/** A correction with the report it is about: the revision the vendor saw and the listing's newest draft. */
export interface CorrectionView {
  correction: Correction;
  seen: Draft | null;
  current: Draft | null;
  /** The revision an acceptance made, once accepted. */
  result: Draft | null;
}

const subject = (id: string): string => `correction:${id}`;

/** Corrections on top of the review service's store, clock and rules. */
export class Corrections {
  readonly #service: ReviewService;
  readonly #now: () => string;

  constructor(service: ReviewService) {
    this.#service = service;
    this.#now = () => service.now().toISOString();
  }

  get #store() {
    return this.#service.store;
  }

  /** The newest published revision of a listing, or null (only published reports take corrections). */
  async publishedReport(listingId: string): Promise<Draft | null> {
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(listingId)) return null;
    return (await this.#store.drafts.list({ listingId, status: ['published'] })).at(-1) ?? null;
  }

  /**
   * Files a request from the public form and returns it with the private status key (shown once).
   * @throws InputError naming the field; NotFoundError when the agent has no published report.
   */
  async submit(body: unknown): Promise<{ correction: Correction; key: string }> {
    const request = parseOrFieldError(correctionRequestSchema, body);
    const report = await this.publishedReport(request.agent);
    if (report === null) throw new NotFoundError('E_NOT_FOUND', `No published report for agent ${JSON.stringify(request.agent)}`, { field: 'agent' });
    const key = randomBytes(24).toString('base64url');
    const at = this.#now();
    const correction = await this.#store.corrections.save(
      {
        id: `c-${randomBytes(12).toString('hex')}`,
        listingId: report.listingId,
        draftId: report.id,
        status: 'open',
        name: request.name,
        email: request.email === '' ? null : request.email,
        message: request.message,
        keyHash: hashToken(key),
        createdAt: at,
        version: 1,
        decision: null,
      },
      null,
    );
    await this.#store.audit.append({
      at,
      actor: 'vendor',
      action: 'correction-submit',
      subject: subject(correction.id),
      detail: { listingId: correction.listingId, draftId: correction.draftId, via: 'public-form' },
    });
    return { correction, key };
  }

  /** The request as its submitter may see it, or null for an unknown id or a wrong key. */
  async statusFor(id: string, key: string): Promise<Correction | null> {
    const correction = /^c-[a-f0-9]{24}$/.test(id) ? await this.#store.corrections.get(id) : null;
    if (correction === null || key.length < 16 || key.length > 64 || !sameSecret(hashToken(key), correction.keyHash)) return null;
    return correction;
  }

  async list(status?: CorrectionStatus): Promise<Correction[]> {
    return this.#store.corrections.list(status === undefined ? {} : { status: [status] });
  }

  /** @throws NotFoundError when there is no such correction. */
  async get(id: string): Promise<Correction> {
    const correction = /^c-[a-f0-9]{24}$/.test(id) ? await this.#store.corrections.get(id) : null;
    if (correction === null) throw new NotFoundError('E_NOT_FOUND', `No correction ${JSON.stringify(id)}`, { id });
    return correction;
  }

  async show(id: string): Promise<CorrectionView> {
    const correction = await this.get(id);
    const [seen, current, result] = await Promise.all([
      this.#store.drafts.get(correction.draftId),
      this.#store.drafts.current(correction.listingId),
      correction.decision?.draftId === null || correction.decision === null ? Promise.resolve(null) : this.#store.drafts.get(correction.decision.draftId),
    ]);
    return { correction, seen, current, result };
  }

  /**
   * Accepts: a new revision of the listing's newest draft with the reviewer's change (texts follow
   * the values as in any edit), marked with the correction, waiting for approval; older revisions
   * still awaiting review are superseded. The correction records the decision.
   * @throws InputError naming the field; ConflictError when the correction changed since `version`
   * or was already decided, or another revision was made meanwhile.
   */
  async accept(id: string, body: unknown, actor: string, channel: Channel): Promise<{ correction: Correction; draft: Draft }> {
    const { version, reply, patch } = parseOrFieldError(acceptSchema, body);
    const correction = await this.#open(id, version);
    const base = await this.#store.drafts.current(correction.listingId);
    if (base === null) throw new NotFoundError('E_NOT_FOUND', `Listing ${correction.listingId} has no draft to correct`, { id });
    const edited = previewEdit(base, patch ?? {});
    const regenerate = base.provenance.assessor === 'rules' ? await rulesRegenerator(this.#store, base) : null;
    const text = reconcileEdit(base, edited.assessment, edited.score, regenerate);
    const at = this.#now();
    const revision = base.revision + 1;
    const comment = reply?.trim() || `Vendor correction ${id}`;
    const draft = await this.#store.drafts.save(
      {
        ...base,
        id: draftId(base.listingId, revision),
        revision,
        version: 1,
        status: 'draft',
        assessment: text.assessment,
        score: edited.score,
        reviews: [{ reviewer: actor, action: 'correction', comment, at }],
        staleText: text.staleText,
        reviewerText: text.reviewerText,
        correction: { id, acceptedAt: at, acceptedBy: actor },
        createdAt: at,
        updatedAt: at,
      },
      null,
    );
    const decided = await this.#store.corrections.save(
      { ...correction, status: 'accepted', decision: { by: actor, at, reply: reply?.trim() || null, draftId: draft.id } },
      correction.version,
    );
    await supersedeOlder(this.#store, draft, () => new Date(at));
    const fields = diffDrafts(base, draft).map((entry) => entry.path);
    await this.#store.audit.append({ at, actor, action: 'correction-accept', subject: subject(id), detail: { draftId: draft.id, from: base.id, fields, via: channel } });
    await this.#store.audit.append({ at, actor, action: 'correction', subject: draft.id, detail: { correction: id, from: base.id, fields, version: draft.version, via: channel } });
    return { correction: decided, draft };
  }

  /** Declines with a reply to the vendor. @throws InputError without a reply; ConflictError as for accept. */
  async decline(id: string, body: unknown, actor: string, channel: Channel): Promise<Correction> {
    const { version, reply } = parseOrFieldError(declineSchema, body);
    const correction = await this.#open(id, version);
    const at = this.#now();
    const decided = await this.#store.corrections.save({ ...correction, status: 'declined', decision: { by: actor, at, reply, draftId: null } }, correction.version);
    await this.#store.audit.append({ at, actor, action: 'correction-decline', subject: subject(id), detail: { listingId: correction.listingId, via: channel } });
    return decided;
  }

  async #open(id: string, version: number): Promise<Correction> {
    const correction = await this.get(id);
    if (correction.version !== version) {
      throw new ConflictError('E_CONFLICT', `Correction ${id} was changed by someone else (you had version ${version}, it is now ${correction.version})`, { id });
    }
    if (correction.status !== 'open') throw new ConflictError('E_STATE', `Correction ${id} is already ${correction.status}`, { id, status: correction.status });
    return correction;
  }
}
