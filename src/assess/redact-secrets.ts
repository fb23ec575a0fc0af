/**
 * Secret redaction (pure): the configured API key, and anything shaped like a common credential,
 * become `[redacted]`. Used on error texts and on every model answer before it is stored in a
 * draft or the response cache: a model can echo a key it saw (in its prompt, in a listing that
 * leaked one) back in a rationale or a quote.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Shapes of common credentials, one entry per kind (data: each has an example in the tests).
 * Patterns ask for the length real keys have, so ordinary words with the same prefix survive.
 */
export const SECRET_PATTERNS: ReadonlyArray<{ kind: string; pattern: RegExp }> = [
  { kind: 'OpenAI-style key (sk-, rk-, sk-proj-, sk-ant-…)', pattern: /\b(?:sk|rk)-[A-Za-z0-9_*.-]{16,}/g },
  { kind: 'Stripe key', pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { kind: 'GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'Hugging Face token', pattern: /\bhf_[A-Za-z0-9]{30,}/g },
  { kind: 'threatdraft reviewer token', pattern: /\btdr_[A-Za-z0-9_-]{43}/g },
  { kind: 'JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: 'private key block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g },
];

/**
 * Shortest configured key treated as a secret. Local endpoints take any key, and their docs suggest
 * words (`ollama`, `EMPTY`, `none`); such a placeholder protects nothing, and removing it from an
 * answer would cut ordinary words out of a draft (and break the grounding of a true quote). Real
 * keys are far longer than this.
 */
export const MIN_KNOWN_SECRET_LENGTH = 12;

/**
 * `text` with every `known` secret (of at least {@link MIN_KNOWN_SECRET_LENGTH} characters) and
 * every credential-shaped string replaced by `[redacted]`.
 */
export function redactSecrets(text: string, ...known: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of known) if (secret !== undefined && secret.length >= MIN_KNOWN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  for (const { pattern } of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/** A JSON value with {@link redactSecrets} applied to every string value in it; the input is not changed. */
export function redactSecretsDeep<T>(value: T, ...known: ReadonlyArray<string | undefined>): T {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return redactSecrets(node, ...known);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, walk(inner)]));
    }
    return node;
  };
  return walk(value) as T;
}
