/**
 * Context triggers (data): the words that change what a capability phrase means in its clause,
 * after NegEx (Chapman et al., 2001) and ConText (Harkema et al., 2009).
 *
 * - `negation`: the capability is stated as absent ("cannot call tools", "history is not stored").
 * - `hypothetical`: it is optional, planned, hedged or merely possible ("can be configured to send",
 *   "likely supports", "coming soon"): weaker evidence, never enough to pin a layer.
 * - `other-party`: it belongs to someone else ("the store's checkout holds the card"): not this agent's.
 * - `pseudo`: looks like a trigger and is not ("not only", "no longer requires a human"): masked.
 * - `terminator`: ends a trigger's scope ("but", "except", "; ", "and" before a new verb).
 *
 * A `pre` trigger governs what follows it in its clause (up to `SCOPE_WORDS` words); a `post`
 * trigger governs what precedes it. Every entry carries sentences where it must match and where it
 * must not (test/assess/rules/context.test.ts runs them all), so a change shows what it touches.
 */

export type TriggerKind = 'negation' | 'hypothetical' | 'other-party' | 'pseudo' | 'terminator';

export interface ContextTrigger {
  id: string;
  kind: TriggerKind;
  /** `pre` governs the words after it, `post` the words before it; terminators and pseudo-triggers are `any`. */
  position: 'pre' | 'post' | 'any';
  pattern: RegExp;
  examples: { match: readonly string[]; noMatch: readonly string[] };
}

/** How many words after a `pre` trigger (or before a `post` one) it governs, within its clause. */
export const SCOPE_WORDS = 8;

/** Verbs that start a new clause after "and" / "or" ("has no memory and executes code"). */
const CLAUSE_VERBS =
  'acts|applies|books|browses|buys|calls|can|clicks|connects|controls|creates|delegates|deletes|deploys|edits|executes|fetches|files|forwards|generates|handles|holds|invokes|keeps|learns|logs|makes|manages|modifies|monitors|navigates|notifies|opens|operates|pays|places|plans|posts|reads|remembers|routes|runs|schedules|searches|sells|sends|spawns|stores|submits|trades|triggers|types|updates|uses|will|writes';

export const CONTEXT_TRIGGERS: readonly ContextTrigger[] = [
  // ── Negation, before the capability ───────────────────────────────────────────────────────
  {
    id: 'neg-no',
    kind: 'negation',
    position: 'pre',
    pattern: /\b(?:no|none of|nor|neither|never|without|zero)\b/i,
    examples: { match: ['No tools, planning or external data transmission', 'It works without internet access'], noMatch: ['Notes are kept', 'Knows the codebase'] },
  },
  {
    id: 'neg-not',
    kind: 'negation',
    position: 'pre',
    pattern: /\b(?:not|cannot|can't|can ?not|does ?n[o']t|do ?n[o']t|did ?n[o']t|is ?n[o']t|are ?n[o']t|won't|will not|isn’t|doesn’t|don’t|can’t|won’t)\b/i,
    examples: { match: ['It cannot call tools', 'Does not store conversations', 'It doesn’t browse'], noMatch: ['Notifies the team', 'Cannonball mode'] },
  },
  {
    id: 'neg-lacks',
    kind: 'negation',
    position: 'pre',
    pattern: /\b(?:lacks?|free of|instead of|rather than|refuses to|is unable to|are unable to|has no|have no|offers no|with no)\b/i,
    examples: { match: ['Uses inpainting rather than LLMs', 'It is unable to send mail'], noMatch: ['Rather large models', 'Free tier included'] },
  },
  // ── Negation, after the capability ────────────────────────────────────────────────────────
  {
    id: 'neg-post-passive',
    kind: 'negation',
    position: 'post',
    pattern:
      /\b(?:is|are|was|were|gets?|get) (?:never|not|n[o']t)\b|\b(?:isn't|aren't|isn’t|aren’t|wasn't|weren't)\b|\bnot (?:supported|included|available|offered|provided|enabled|stored|kept|retained|saved|persisted|logged|used|allowed|permitted|possible)\b/i,
    examples: { match: ['Chat history is not stored', 'Conversations are never retained', 'Tool calling not supported'], noMatch: ['History is stored for 30 days', 'It is noted'] },
  },
  {
    id: 'neg-post-disabled',
    kind: 'negation',
    position: 'post',
    pattern: /\b(?:is |are )?(?:disabled|turned off|switched off|off by default|unsupported|out of scope)\b/i,
    examples: { match: ['Web browsing is disabled', 'Memory is off by default'], noMatch: ['Web browsing is enabled', 'Offboarding flows'] },
  },
  // ── Hypothetical, hedged or optional ─────────────────────────────────────────────────────
  {
    id: 'hyp-configurable',
    kind: 'hypothetical',
    position: 'pre',
    pattern: /\b(?:can|could|may) (?:optionally )?be (?:configured|set up|extended|connected|enabled|integrated|customi[sz]ed|self-hosted|deployed)\b|\b(?:if|when|once) (?:enabled|configured|connected|allowed|granted|you (?:enable|connect|allow|grant|add))\b|\boptional(?:ly)?\b|\bopt-in\b|\bon request\b|\bupon request\b|\bcan be set\b/i,
    examples: {
      match: ['Can be configured to send email', 'Optionally connects to Slack', 'If enabled, it remembers preferences', 'Can be self-hosted'],
      noMatch: ['Can act on security tooling', 'Configured by default to log every call'],
    },
  },
  {
    id: 'hyp-optional-post',
    kind: 'hypothetical',
    position: 'post',
    pattern: /\b(?:is |are )?(?:configurable|optional|available on request|if (?:enabled|configured|you (?:set|enable|turn) (?:it|one|them)(?: on)?))\b/i,
    examples: { match: ['Daily loss limit configurable', 'Memory is optional', 'Spending caps if you set one'], noMatch: ['A daily loss limit stops trading'] },
  },
  {
    id: 'hyp-hedge',
    kind: 'hypothetical',
    position: 'pre',
    pattern: /\b(?:likely|probably|possibly|perhaps|presumably|apparently|may|might|could|seems? to|appears? to|reportedly|said to|expected to|mostly|largely|partly|somewhat)\b/i,
    examples: { match: ['Likely supports several LLMs', 'Probably relies on commercial LLMs', 'May store user exchange credentials', 'Mostly read-only analytics'], noMatch: ['Mayfair office', 'It supports several LLMs'] },
  },
  {
    id: 'hyp-future',
    kind: 'hypothetical',
    position: 'any',
    pattern: /\b(?:coming soon|planned|on the roadmap|in a future (?:release|version)|in the future|will soon|not yet|soon to|future releases?|(?:in )?(?:beta|preview) later|plans to)\b/i,
    examples: { match: ['Voice calls (coming soon)', 'Memory is planned for a future release', 'It plans to add browsing'], noMatch: ['Plans multi-step tasks', 'Long-term memory'] },
  },
  // ── Another party's capability ────────────────────────────────────────────────────────────
  {
    id: 'other-party-subject',
    kind: 'other-party',
    position: 'pre',
    pattern:
      /\b(?:the |your |a )?(?:store|shop|merchant|retailer|host(?: application| app| platform)?|operator|deploying team|deployer|integrator|payment (?:processor|provider)|provider|client application|(?:calling |client )?application|caller)(?:'s|’s)? (?:own )?(?:\w+ )?(?:holds?|handles?|keeps?|stores?|processes|manages?|performs?|owns?|runs?|executes?|decides|chooses|must|should|needs? to|is responsible for)\b/i,
    examples: {
      match: ["The store's checkout holds the card", 'The deploying team must add authentication', 'The host application executes any code', 'Your application decides whether to run them'],
      noMatch: ['The agent holds API keys', 'Stores API keys for workflows'],
    },
  },
  {
    id: 'other-party-passive',
    kind: 'other-party',
    position: 'post',
    pattern: /\b(?:is|are) (?:handled|held|stored|processed|managed|performed|executed|done|run|kept|owned) (?:entirely |only )?by (?!(?:the |your |a |an )?(?:agent|assistant|bot|it|itself)\b)(?:the |your |a |an )?\w+/i,
    examples: { match: ['Card details are handled by the payment provider', 'Payments are processed by Stripe'], noMatch: ['Tasks are handled by the agent', 'Stored for 30 days'] },
  },
  // ── Pseudo-triggers: look like negation, are not ──────────────────────────────────────────
  {
    id: 'pseudo-not-only',
    kind: 'pseudo',
    position: 'any',
    pattern: /\bnot (?:only|just|merely|limited to)\b|\bno (?:doubt|matter)\b|\bwithout (?:limits?|restrictions?|a hitch)\b/i,
    examples: { match: ['Not only reads but also sends email', 'No matter the channel'], noMatch: ['Not stored', 'No tools'] },
  },
  {
    id: 'pseudo-no-longer-human',
    kind: 'pseudo',
    position: 'any',
    pattern: /\bno longer (?:needs?|requires?|waits? for|asks? for)\b|\bwithout (?:any |a )?(?:human|manual|user) (?:input|intervention|approval|review|oversight|sign-off|confirmation)\b|\bwithout (?:asking|waiting for|stopping)\b/i,
    examples: {
      match: ['It no longer requires a human to approve refunds', 'Acts without human approval', 'Fixes issues without asking'],
      noMatch: ['Without internet access', 'No human review'],
    },
  },
  // ── Scope terminators ─────────────────────────────────────────────────────────────────────
  {
    id: 'term-punctuation',
    kind: 'terminator',
    position: 'any',
    pattern: /[;:!?]|\.(?=\s|$)|\s[-–—]\s|[()]/,
    examples: { match: ['No tools; it sends email', 'No memory — it sends email'], noMatch: ['No tools, planning or memory', 'v1.2 build'] },
  },
  {
    id: 'term-contrast',
    kind: 'terminator',
    position: 'any',
    pattern: /\b(?:but|however|except(?: for)?|apart from|although|though|whereas|yet|while|which|instead|only|unless)\b/i,
    examples: { match: ['No tools except web search', 'Does not store data but sends email'], noMatch: ['No tools, planning or memory', 'Butterfly'] },
  },
  {
    id: 'term-new-verb',
    kind: 'terminator',
    position: 'any',
    pattern: new RegExp(String.raw`(?:,\s*|\s)(?:and|or|then|so)(?=\s+(?:it\s+|also\s+|it also\s+)?(?:${CLAUSE_VERBS})\b)`, 'i'),
    examples: { match: ['It has no memory and executes code', 'No login, and it sends email'], noMatch: ['No tools and APIs', 'No tools or memory'] },
  },
];
