/**
 * A deterministic stand-in for a model: fills the Assessment schema from the listing block of a
 * request. Same listing, same answer; values on the 0.05 grid; evidence copied verbatim from the
 * listing text so it grounds. Pure: no I/O, no clock, no randomness.
 */
import { THREAT_BY_ID } from '../../schemas/catalogue/index.js';
import { LISTING_FACTOR_KEYS, MAESTRO_LAYERS, type ListingFactorKey } from '../../schemas/factors.js';
import type { ModelAnswer } from '../assess/model-schema.js';
import type { ListingBlock } from '../assess/prompts.js';

const FACTOR_SIGNALS: Record<ListingFactorKey, { base: number; words: RegExp }> = {
  autonomyOfAction: { base: 0.1, words: /\b(autonomous(ly)?|on its own|without (human )?approval|acts?|executes?|automat\w*)\b/i },
  goalDrivenPlanning: { base: 0.05, words: /\b(plans?|planning|multi-step|goals?|sub-?tasks?|orchestrat\w*)\b/i },
  selfModification: { base: 0, words: /\b(self-?(modif\w*|improv\w*)|learns?|fine-?tun\w*|rewrites?)\b/i },
  dynamicToolUse: { base: 0.05, words: /\b(tools?|shell|browser|api|plugins?|mcp|code execution|integrat\w*)\b/i },
  persistentMemory: { base: 0, words: /\b(memory|remembers?|vector (database|store)|history|persist\w*)\b/i },
  contextualAwareness: { base: 0.1, words: /\b(context|documents?|files?|web|screen|retriev\w*|rag|data)\b/i },
  dynamicIdentity: { base: 0, words: /\b(credentials?|api keys?|oauth|identit\w*|impersonat\w*|roles?|accounts?)\b/i },
  multiAgentInteractions: { base: 0, words: /\b(agents|multi-?agent|swarm|coordinat\w*|delegat\w*|protocol)\b/i },
  nonDeterminism: { base: 0.4, words: /\b(llm|gpt|language model|generat\w*|ai)\b/i },
  opacityAndReflexivity: { base: 0.4, words: /\b(closed|proprietary|not stated|black box)\b/i },
};

/** Per layer: words that pin it, catalogue threat ids that belong to it, and one name outside the catalogue. */
const LAYER_SIGNALS: Record<number, { words: RegExp; threats: ModelAnswer['layers'][number]['threats']; other: string }> = {
  1: { words: /\b(llm|gpt|claude|model|language model)\b/i, threats: ['jailbreak', 'adversarial-inputs'], other: 'adversarial prompts' },
  2: { words: /\b(data|memory|database|rag|documents?|vector)\b/i, threats: ['memory-poisoning', 'stored-data-exfiltration'], other: 'data leakage' },
  3: { words: /\b(tools?|framework|plugins?|api|shell|browser|mcp)\b/i, threats: ['tool-misuse', 'plan-hijacking'], other: 'prompt injection via tools' },
  4: { words: /\b(deploy\w*|hosted|cloud|saas|docker|self-?host\w*|on-?prem\w*)\b/i, threats: ['exposed-endpoints', 'credential-theft'], other: 'secret leakage' },
  5: { words: /\b(logs?|logging|monitor\w*|trac\w*|audit|eval\w*)\b/i, threats: ['log-tampering', 'detection-blind-spots'], other: 'missing audit trail' },
  6: { words: /\b(auth\w*|permissions?|api keys?|compliance|guardrails?|soc ?2|gdpr|approval)\b/i, threats: ['privilege-escalation', 'credential-misuse'], other: 'policy bypass' },
  7: { words: /\b(agents|marketplace|multi-?agent|swarm|protocol|ecosystem)\b/i, threats: ['agent-impersonation', 'cascading-failures'], other: 'malicious peer agents' },
};

/** Splits listing text into verbatim fragments (lines, then sentences), each a substring of the text. */
export function fragments(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    for (const piece of line.split(/(?<=[.!?])\s+/)) {
      const trimmed = piece.trim();
      if (trimmed.length >= 3) out.push(trimmed.slice(0, 300));
    }
  }
  return out;
}

const step = (value: number): number => Math.round(Math.min(1, Math.max(0, value)) * 20) / 20;

/**
 * The model name recordings made from this generator carry (`THREATDRAFT_MODEL` when they were
 * recorded): answers from no real model, which `eval` says of a replay.
 */
export const GENERATOR_MODEL = 'fake-openai-generator';

/** Builds a schema-valid model answer from a listing block, deterministically. */
export function generateAssessment(listing: ListingBlock): ModelAnswer {
  const pieces = fragments(listing.text);
  const name = listing.title || listing.id;
  const matching = (words: RegExp): string[] => pieces.filter((piece) => words.test(piece));

  const factors = Object.fromEntries(
    LISTING_FACTOR_KEYS.map((key) => {
      const signal = FACTOR_SIGNALS[key];
      const evidence = matching(signal.words).slice(0, 3);
      const value = step(signal.base + 0.2 * evidence.length);
      const rationale =
        evidence.length > 0
          ? `The listing mentions ${evidence.length} related capabilit${evidence.length === 1 ? 'y' : 'ies'}.`
          : 'The listing says nothing on this factor.';
      return [key, { value, certainty: evidence.length > 0 ? 'stated' : 'unknown', rationale, evidence }];
    }),
  ) as ModelAnswer['factors'];

  const tools = factors.dynamicToolUse.value >= 0.45;
  const layers = ([1, 2, 3, 4, 5, 6, 7] as const).map((layer): ModelAnswer['layers'][number] => {
    const signal = LAYER_SIGNALS[layer] ?? { words: /$^/, threats: [], other: 'unknown' };
    const evidence = matching(signal.words).slice(0, 2);
    const certain = evidence.length > 0;
    const title = MAESTRO_LAYERS[layer];
    const named = signal.threats.map((id) => THREAT_BY_ID.get(id)?.name ?? id).join(' and ');
    const text = certain
      ? `${title}: the listing describes this layer for ${name}, exposing it to ${named}.`
      : `Not certain from the listing — ${title} is not described; an agent of this kind may face ${named}.`;
    // A layer the listing pins gets catalogue threats only; an open one also names one threat the catalogue lacks.
    return { layer, certain, threats: signal.threats, otherThreats: certain ? [] : [signal.other], text, evidence };
  });

  const sum = LISTING_FACTOR_KEYS.reduce((total, key) => total + factors[key].value, 0);
  return {
    summary: `${name} is assessed from its listing alone. Its agentic factors sum to ${sum.toFixed(2)}; ${
      tools ? 'its tool use makes prompt injection the main risk' : 'it shows little tool use'
    }. A reviewer should confirm the deployment details.`,
    factors,
    cvss: {
      vector: tools
        ? 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:L/SC:L/SI:L/SA:N'
        : 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N',
      rationale: tools
        ? 'Indirect prompt injection through content the agent reads can drive its tools.'
        : 'Prompt injection can only skew the text the agent returns.',
    },
    exploitMaturity: { value: tools ? 'poc' : 'unreported', rationale: 'Public proofs of concept exist for this class.' },
    mitigation: { value: 'none', rationale: 'The listing documents no concrete controls.' },
    layers,
  };
}

/** Breaks a valid assessment so it still parses as JSON but fails the schema (for fault injection). */
export function breakAssessment(assessment: ModelAnswer): Record<string, unknown> {
  const { summary: _summary, ...rest } = assessment;
  return {
    ...rest,
    factors: { ...assessment.factors, autonomyOfAction: { ...assessment.factors.autonomyOfAction, value: 1.7 } },
    layers: assessment.layers.slice(0, 5),
  };
}
