/** Standard base64 with padding (RFC 4648 §4): what Subresource Integrity strings use. */
export function base64Encode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 with padding, strictly: the canonical encoding of some bytes or a TypeError
 * (no whitespace, no missing padding, no stray bits), so one value has one spelling.
 */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> {
  if (!CANONICAL_BASE64.test(text)) throw new TypeError('not canonical base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (base64Encode(bytes) !== text) throw new TypeError('not canonical base64');
  return bytes;
}
