import { describe, expect, it } from 'vitest';
import { modifierAt, sentenceContext } from '../../../src/assess/rules/context.js';

/** The modifier over the first occurrence of `phrase` in `sentence`. */
function modifier(sentence: string, phrase: string) {
  const start = sentence.indexOf(phrase);
  if (start < 0) throw new Error(`${phrase} not in ${sentence}`);
  return modifierAt(sentenceContext(sentence), start, start + phrase.length);
}

describe('clause modifiers (NegEx / ConText)', () => {
  it.each([
    ['No tools, planning or external data transmission', 'planning', 'negated'],
    ['It cannot call tools', 'call tools', 'negated'],
    ['Chat history is not stored', 'Chat history', 'negated'],
    ['Web browsing is disabled', 'Web browsing', 'negated'],
    ['Uses inpainting rather than LLMs', 'LLMs', 'negated'],
    ['No tools except web search', 'web search', 'affirmed'],
    ['It does not store data but sends email', 'sends email', 'affirmed'],
    ['It has no memory and executes code', 'executes code', 'affirmed'],
    ['No memory; it sends email', 'sends email', 'affirmed'],
    ['Not only reads but also sends email', 'reads', 'affirmed'],
    ['It no longer requires a human to approve refunds', 'requires a human', 'affirmed'],
    ['Acts without human approval', 'Acts', 'affirmed'],
    ['Can be configured to send email', 'send email', 'hypothetical'],
    ['Likely supports several LLMs', 'supports several LLMs', 'hypothetical'],
    ['Voice calls are coming soon', 'Voice calls', 'hypothetical'],
    ['Daily loss limit configurable', 'Daily loss limit', 'hypothetical'],
    ["The store's checkout holds the card", 'the card', 'other-party'],
    ['Card details are handled by the payment provider', 'Card details', 'other-party'],
    ['Tasks are handled by the agent', 'Tasks', 'affirmed'],
    ['Can act on security tooling such as firewalls', 'act on security tooling', 'affirmed'],
  ] as const)('%j: %j is %s', (sentence, phrase, expected) => {
    expect(modifier(sentence, phrase)).toBe(expected);
  });

  it('lets a trigger govern only a few words on its side', () => {
    expect(modifier('No account is needed to start, and the assistant answers questions about your orders and returns', 'returns')).toBe('affirmed');
  });

  it('prefers negation over another party over hypothesis when several apply', () => {
    expect(modifier('The host application may not execute the code', 'execute the code')).toBe('negated');
  });
});
