import { z } from 'zod';

const httpUrl = z
  .string()
  .url({ message: 'expected an absolute http(s) URL' })
  .refine((value) => /^https?:\/\//i.test(value), { message: 'expected an http:// or https:// URL' });

const css = z.string().min(1, { message: 'expected a CSS selector' });

/** A directory of agent listings to crawl (a JSON file). */
export const sourceConfigSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'expected lowercase letters, digits and dashes (max 63)' }),
    name: z.string().min(1),
    start: z.array(httpUrl).min(1, { message: 'expected at least one start URL' }),
    sitemap: httpUrl.optional(),
    listingLinks: css,
    nextPage: css.optional(),
    fields: z
      .object({
        title: css.optional(),
        description: css.optional(),
        capabilities: css.optional(),
        repository: css.optional(),
      })
      .strict()
      .optional(),
    maxListings: z.number().int().positive().optional(),
    maxPages: z.number().int().positive().default(200),
    politeness: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(2),
        intervalMs: z.number().int().min(0).default(500),
      })
      .strict()
      .default({ concurrency: 2, intervalMs: 500 }),
    allowPrivateNetwork: z.boolean().default(false),
    /** Contact URL put in the User-Agent so site owners can reach the operator. */
    contactUrl: httpUrl.optional(),
  })
  .strict();

export type SourceConfig = z.infer<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;
