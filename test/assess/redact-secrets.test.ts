import { describe, expect, it } from 'vitest';
import { REDACTED, SECRET_PATTERNS, redactSecrets, redactSecretsDeep } from '../../src/assess/redact-secrets.js';

// One credential of each kind in SECRET_PATTERNS, shaped like the real thing (none is a live key).
const EXAMPLES: Record<string, string> = {
  'OpenAI-style key (sk-, rk-, sk-proj-, sk-ant-…)': 'sk-proj-Zq81aBcDeFgHiJkLmNoPqRsTuV',
  'Stripe key': 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  'AWS access key id': 'AKIAIOSFODNN7EXAMPLE',
  'GitHub token': 'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'GitLab token': 'glpat-xxxxxxxxxxxxxxxxxxxx',
  'Google API key': 'AIzaSyA-1234567890abcdefghijklmnopqrstu',
  'Slack token': 'xoxb-1234567890-abcdefghij',
  'Hugging Face token': 'hf_abcdefghijklmnopqrstuvwxyz123456',
  'threatdraft reviewer token': `tdr_${'a'.repeat(43)}`,
  'JSON Web Token': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'private key block': '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
};

describe('redactSecrets', () => {
  it('has an example for every kind of secret it knows', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(SECRET_PATTERNS.map((entry) => entry.kind).sort());
  });

  it.each(Object.entries(EXAMPLES))('redacts a %s inside a sentence', (_kind, secret) => {
    expect(redactSecrets(`The agent was configured with ${secret} yesterday.`)).toBe(`The agent was configured with ${REDACTED} yesterday.`);
  });

  it.each([
    'Built with scikit-learn and task-management tools.',
    'sk-short is not a key; neither is rk-1.',
    'Ask hf_ hub or github_pat_ docs; AKIA alone is a prefix.',
    'It reads tdr_ tokens from a file.',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it('redacts a configured key whatever its shape, and every string of a JSON value', () => {
    expect(redactSecrets('local-key-1234 was used', 'local-key-1234')).toBe(`${REDACTED} was used`);
    expect(redactSecrets('abc stays', 'abc')).toBe('abc stays');
    // A placeholder key of a local endpoint is not a secret; the word it spells stays in the text.
    expect(redactSecrets('Runs on ollama; replay a session', 'ollama')).toBe('Runs on ollama; replay a session');
    expect(redactSecrets('Runs on ollama; replay a session', 'replay')).toBe('Runs on ollama; replay a session');
    const value = { summary: 'uses local-key-1234', list: ['AKIAIOSFODNN7EXAMPLE', 3, null], nested: { ok: true } };
    expect(redactSecretsDeep(value, 'local-key-1234')).toEqual({ summary: `uses ${REDACTED}`, list: [REDACTED, 3, null], nested: { ok: true } });
    expect(value.summary).toBe('uses local-key-1234');
  });
});
