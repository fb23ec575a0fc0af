/**
 * Body decoding (pure): find the charset from a BOM, the Content-Type header, or a `<meta>` /
 * XML declaration in the first 1024 bytes, then decode with TextDecoder (full ICU in Node).
 */

/** Where the charset came from. */
export type CharsetSource = 'bom' | 'header' | 'meta' | 'default';

/** A decoded body and how its charset was chosen. */
export interface DecodedBody {
  text: string;
  /** The WHATWG encoding name actually used (`utf-8`, `windows-1252`, `shift_jis`…). */
  charset: string;
  source: CharsetSource;
}

/**
 * windows-1252 code points for bytes 0x80–0x9F (the rest equal Latin-1). Node 20's TextDecoder
 * decodes "windows-1252" through a Latin-1 fast path that maps 0x93 to U+0093 instead of “, so
 * this one encoding is decoded by table.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  const step = 8192;
  for (let start = 0; start < bytes.length; start += step) {
    const codes = Array.from(bytes.subarray(start, start + step), (byte) =>
      byte >= 0x80 && byte <= 0x9f ? (WINDOWS_1252_HIGH[byte - 0x80] ?? byte) : byte,
    );
    out += String.fromCharCode(...codes);
  }
  return out;
}

/** Decodes bytes in a WHATWG encoding, working around runtime gaps. */
export function decodeAs(bytes: Uint8Array, charset: string): string {
  return charset === 'windows-1252' ? decodeWindows1252(bytes) : new TextDecoder(charset).decode(bytes);
}

/** The WHATWG name for a charset label, or `undefined` when TextDecoder does not know it. */
export function canonicalCharset(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim().replace(/^["']|["']$/g, '')).encoding;
  } catch {
    return undefined;
  }
}

/** The `charset` parameter of a Content-Type header value, if any. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return match?.[2];
}

/** The media type of a Content-Type header value, lowercased, without parameters (`''` when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function bomCharset(bytes: Uint8Array): { charset: string; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: 'utf-8', length: 3 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  return undefined;
}

/** Sniffs `<meta charset>`, `<meta http-equiv content="…; charset=…">` or `<?xml encoding=…?>` in the first 1024 bytes. */
export function sniffMetaCharset(bytes: Uint8Array): string | undefined {
  // latin1 maps every byte to one code unit, so ASCII markup is readable whatever the real charset.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  const xml = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/i.exec(head);
  if (xml?.[1] !== undefined) return xml[1];
  const tagPattern = /<meta\b[^>]*>/gi;
  for (let tag = tagPattern.exec(head); tag !== null; tag = tagPattern.exec(head)) {
    const text = tag[0];
    const direct = /\bcharset\s*=\s*["']?\s*([^"'\s/>;]+)/i.exec(text);
    if (direct?.[1] !== undefined) return direct[1];
  }
  return undefined;
}

/**
 * Decodes a body. Precedence follows the HTML standard: BOM, then the header's charset, then a
 * meta/XML declaration; unknown labels fall through to the next source and finally UTF-8.
 * A declared UTF-16 in markup means UTF-8 (the markup could not have been read otherwise).
 */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined): DecodedBody {
  const bom = bomCharset(bytes);
  if (bom !== undefined) {
    return { text: decodeAs(bytes.subarray(bom.length), bom.charset), charset: bom.charset, source: 'bom' };
  }
  const candidates: [string | undefined, CharsetSource][] = [
    [charsetFromContentType(contentType), 'header'],
    [sniffMetaCharset(bytes), 'meta'],
  ];
  for (const [label, source] of candidates) {
    if (label === undefined) continue;
    let charset = canonicalCharset(label);
    if (charset === undefined) continue;
    if (source === 'meta' && charset.startsWith('utf-16')) charset = 'utf-8';
    return { text: decodeAs(bytes, charset), charset, source };
  }
  return { text: new TextDecoder('utf-8').decode(bytes), charset: 'utf-8', source: 'default' };
}
