import { base58 } from '@scure/base';
import type { JWK } from 'jose';
import { base64urlEncode } from '../../util/base64url.ts';

/** A decoded key, or the DID Resolution error name (did:key method spec) for why not. */
export type MultikeyResult =
  { readonly ok: true; readonly jwk: JWK } | { readonly ok: false; readonly error: string; readonly detail: string };

/** Multicodec codes as unsigned varints: 0xed (ed25519-pub) and 0x1200 (p256-pub). */
const ED25519_PUB = [0xed, 0x01] as const;
const P256_PUB = [0x80, 0x24] as const;

const refuse = (error: string, detail: string): MultikeyResult => ({ ok: false, error, detail });

/** A multibase (base58btc, `z`) multicodec public key, as did:key and Multikey methods carry it. */
export async function multikeyToJwk(multibase: string): Promise<MultikeyResult> {
  if (!multibase.startsWith('z')) return refuse('invalidPublicKey', 'key is not multibase base58btc');
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(multibase.slice(1));
  } catch {
    return refuse('invalidPublicKey', 'key is not valid base58btc');
  }
  const key = bytes.slice(2);
  if (hasPrefix(bytes, ED25519_PUB)) {
    if (key.length !== 32) return refuse('invalidPublicKeyLength', 'Ed25519 key is not 32 bytes');
    return { ok: true, jwk: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(key) } };
  }
  if (hasPrefix(bytes, P256_PUB)) {
    if (key.length !== 33 || (key[0] !== 0x02 && key[0] !== 0x03))
      return refuse('invalidPublicKeyLength', 'P-256 key is not a compressed point');
    return p256FromCompressed(key);
  }
  return refuse('unsupportedPublicKeyType', 'key type is not Ed25519 or P-256');
}

/**
 * WebCrypto decompresses the point itself: measured on Node 20.20 and workerd 1.20260426, raw
 * import of a 33-byte SEC1 point succeeds and a JWK export then gives y. So no @noble/curves
 * here. The import also refuses a point that is not on the curve.
 */
async function p256FromCompressed(point: Uint8Array<ArrayBuffer>): Promise<MultikeyResult> {
  let jwk: JsonWebKey;
  try {
    const key = await crypto.subtle.importKey('raw', point, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    jwk = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  } catch {
    return refuse('invalidPublicKey', 'P-256 point is not on the curve');
  }
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return refuse('invalidPublicKey', 'P-256 point did not export');
  return { ok: true, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } };
}

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}
