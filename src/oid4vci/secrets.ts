import { base64urlEncode } from '../util/base64url.ts';
import { sha256Url } from '../util/sha256.ts';

/** A bearer secret (pre-authorized code, access token, c_nonce): 256 random bits, base64url. */
export function randomSecret(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** A public identifier of 128 random bits, as status list ids are made. */
export function randomId(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
}

/** What is stored for a secret: its SHA-256, base64url. The secrets are random, so no salt is needed. */
export async function secretHash(secret: string): Promise<string> {
  return sha256Url(secret);
}

/**
 * A tx_code has little entropy (a million values for six digits), so its stored hash is keyed
 * with the pre-authorized code, which is itself never stored: a copy of the database alone
 * cannot be searched for the tx_code.
 */
export function txCodeHash(preAuthorizedCode: string, txCode: string): Promise<string> {
  return secretHash(`${preAuthorizedCode}\u0000${txCode}`);
}

/** Compares two hashes without an early exit, so timing says nothing about where they differ. */
export function sameHash(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

const ALPHABETS = {
  numeric: '0123456789',
  // No 0/O, 1/I/L: the holder reads this from one screen and types it into another.
  text: 'ABCDEFGHJKMNPQRSTUVWXYZ23456789',
} as const;

/** A tx_code of `length` characters, uniform over the alphabet (rejection sampling, no modulo bias). */
export function randomTxCode(length: number, mode: keyof typeof ALPHABETS): string {
  const alphabet = ALPHABETS[mode];
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}
