import type { JWK } from 'jose';
import { VerificationFailure } from './result.ts';

/**
 * The only algorithms a credential may be signed with, each with the one key type that fits it.
 * `none`, HMAC and RSA are absent on purpose: a verifier that lets the token name its own
 * algorithm can be made to check an HMAC keyed with a public key, or nothing at all.
 */
const KEY_FOR: Readonly<Record<string, { kty: string; crv: string }>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
};
export const ALLOWED_ALGORITHMS = Object.keys(KEY_FOR);

/** Header parameters that point at a key: we take keys from the issuer's published documents, never from the token. */
const KEY_POINTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'];

export function checkHeader(header: Record<string, unknown>): string {
  const alg = header.alg;
  if (typeof alg !== 'string' || !(alg in KEY_FOR)) {
    throw new VerificationFailure(
      'algorithm',
      'algorithm_not_allowed',
      `alg ${JSON.stringify(alg)} is not one of ${ALLOWED_ALGORITHMS.join(', ')}`,
    );
  }
  const pointing = KEY_POINTING_HEADERS.filter((h) => h in header);
  if (pointing.length > 0) {
    throw new VerificationFailure(
      'algorithm',
      'key_in_header',
      `header names its own key (${pointing.join(', ')}); keys come only from the issuer`,
    );
  }
  if ('crit' in header)
    throw new VerificationFailure('algorithm', 'unsupported_critical_header', 'the header marks extensions as critical');
  return alg;
}

/** Refuses an algorithm that does not fit the key, or a key that declares a different one. */
export function checkKeyFits(alg: string, jwk: JWK): void {
  const fit = KEY_FOR[alg]!;
  if (
    jwk.kty !== fit.kty ||
    jwk.crv !== fit.crv ||
    (jwk.alg !== undefined && jwk.alg !== alg && !(alg === 'Ed25519' && jwk.alg === 'EdDSA'))
  ) {
    throw new VerificationFailure(
      'algorithm',
      'algorithm_key_mismatch',
      `alg ${alg} does not fit a ${jwk.kty}/${jwk.crv} key${jwk.alg ? ` for ${jwk.alg}` : ''}`,
    );
  }
}
