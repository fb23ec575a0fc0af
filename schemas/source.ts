import { z } from 'zod';

const httpUrl = z
  .string()
  .url({ message: 'expected an absolute http(s) URL' })
  .refine((value) => /^https?:\/\//i.test(value), { message: 'expected an http:// or https:// URL' });

const css = z.string().min(1, { message: 'expected a CSS selector' });

/** The kinds of source: an HTML directory read with selectors, A2A agent cards, an MCP registry. */
export const SOURCE_TYPES = ['html', 'a2a', 'mcp-registry'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** How HTML pages are loaded: as served, in headless Chromium, or in Chromium only when the served HTML holds no content. */
export const RENDER_MODES = ['static', 'browser', 'auto'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

/** Keys that only mean something for an HTML directory. */
const HTML_ONLY = ['listingLinks', 'nextPage', 'sitemap', 'fields', 'render'] as const;

/** A directory of agent listings to crawl (a JSON file). */
export const sourceConfigSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'expected lowercase letters, digits and dashes (max 63)' }),
    name: z.string().min(1),
    /** `html` (default): index pages read with CSS selectors; `a2a`: agent cards; `mcp-registry`: an MCP registry's API. */
    type: z.enum(SOURCE_TYPES).optional(),
    /**
     * `html`: index pages; `a2a`: agent origins or card URLs (`/.well-known/agent-card.json`, then the
     * legacy `/.well-known/agent.json`); `mcp-registry`: registry bases (`GET <base>/v0.1/servers`).
     */
    start: z.array(httpUrl).min(1, { message: 'expected at least one start URL' }),
    sitemap: httpUrl.optional(),
    /** Required for `html` sources only. */
    listingLinks: css.optional(),
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
    /** `static` (default) as served; `browser` in headless Chromium; `auto` in Chromium only when the served HTML holds no listing content. */
    render: z.enum(RENDER_MODES).optional(),
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
  .strict()
  .superRefine((source, context) => {
    const type = source.type ?? 'html';
    if (type === 'html') {
      if (source.listingLinks === undefined) context.addIssue({ code: 'custom', path: ['listingLinks'], message: 'expected a CSS selector (required for an html source)' });
      return;
    }
    for (const key of HTML_ONLY) {
      if (source[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `only an html source takes \`${key}\` (this source is ${type})` });
    }
  });

export type SourceConfig = z.infer<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;

/** A source's type, `html` when the config leaves it out. */
export function sourceTypeOf(source: Pick<SourceConfig, 'type'>): SourceType {
  return source.type ?? 'html';
}
