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

export function base64urlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
