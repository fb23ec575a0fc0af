/**
 * The control characters in `text` that must never reach a terminal: C0 but tab and newline, DEL
 * and C1. Written out by code point, independently of the implementation's own pattern.
 */
export function controlCharacters(text: string): string[] {
  return [...text].filter((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
  });
}
