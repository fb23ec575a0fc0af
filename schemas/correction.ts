import { z } from 'zod';

/** A vendor's request to correct a published report, and what a reviewer decided. */
export const CORRECTION_STATUSES = ['open', 'accepted', 'declined'] as const;
export const correctionStatusSchema = z.enum(CORRECTION_STATUSES);
export type CorrectionStatus = z.infer<typeof correctionStatusSchema>;

/** Bounds of what the public form accepts. */
export const CORRECTION_LIMITS = { name: 120, email: 200, message: 4000, minMessage: 10, reply: 2000 } as const;

export const correctionSchema = z.object({
  /** `c-` and 24 lowercase hex characters, random. */
  id: z.string().regex(/^c-[a-f0-9]{24}$/, { message: 'expected c- and 24 hex characters' }),
  listingId: z.string().min(1).max(128),
  /** The published revision the vendor saw when they asked. */
  draftId: z.string().min(1).max(200),
  status: correctionStatusSchema,
  name: z.string().min(1).max(CORRECTION_LIMITS.name),
  /** How to reach the vendor (optional; never published). */
  email: z.string().max(CORRECTION_LIMITS.email).nullable(),
  message: z.string().min(CORRECTION_LIMITS.minMessage).max(CORRECTION_LIMITS.message),
  /** sha256 of the status key handed to the submitter (the key itself is never stored). */
  keyHash: z.string().regex(/^[a-f0-9]{64}$/),
  createdAt: z.string().min(1),
  /** Store version for compare-and-set. */
  version: z.number().int().min(1),
  decision: z
    .object({
      by: z.string().min(1),
      at: z.string().min(1),
      reply: z.string().max(CORRECTION_LIMITS.reply).nullable(),
      /** The new revision an acceptance created. */
      draftId: z.string().nullable(),
    })
    .nullable(),
});
export type Correction = z.infer<typeof correctionSchema>;
