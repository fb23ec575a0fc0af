/** Redis URLs in messages: no module here loads ioredis, so commands can use it before connecting. */

/** Strips credentials from a Redis URL so it can appear in an error, a log or a hint. */
export function safeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

/** True when the URL carries a username or password (so it must not be printed as is). */
export function hasRedisCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return true;
  }
}
