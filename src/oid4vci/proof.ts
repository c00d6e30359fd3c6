import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { checkKeyFits } from '../verify/algorithms.ts';
import { PROOF_ALGORITHMS, PROOF_TYP } from './configurations.ts';
import { OAuthError } from './oauth-error.ts';

/** How far `iat` may stray from our clock, either way (OID4VCI 1.0 §8.2.1.1 leaves the window to the issuer). */
export const PROOF_MAX_SKEW_SECONDS = 300;

/** Members only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export interface VerifiedProof {
  /** The holder's public key, reduced to the members that name it. */
  readonly jwk: Record<string, string>;
  /** RFC 7638 thumbprint of that key. */
  readonly thumbprint: string;
  readonly nonce: string;
}

const refuse = (why: string) => new OAuthError('invalid_proof', why);

/**
 * Checks a `jwt` proof of possession (OID4VCI 1.0 Appendix F.1) everywhere but its nonce, which
 * the caller spends in its own transaction. The key is taken from the `jwk` header, and only
 * after the algorithm is checked against the allowlist and the key against the algorithm: the
 * token never chooses how it is verified.
 */
export async function verifyJwtProof(jwt: string, expected: { audience: string; now: Date }): Promise<VerifiedProof> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw refuse('the proof is not a JWT');
  }
  if (header.typ !== PROOF_TYP) throw refuse(`typ must be ${PROOF_TYP}`);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(PROOF_ALGORITHMS as readonly string[]).includes(alg))
    throw refuse(`alg must be one of ${PROOF_ALGORITHMS.join(', ')}`);
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw refuse('the proof must carry the holder key in its jwk header');
  if ('kid' in header || 'x5c' in header) throw refuse('jwk is exclusive of kid and x5c');
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw refuse('the jwk header holds private key material');
  try {
    checkKeyFits(alg, jwk);
  } catch {
    throw refuse(`alg ${alg} does not fit the jwk`);
  }
  const publicJwk: Record<string, string> = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! };
  if (jwk.y !== undefined) publicJwk.y = jwk.y;

  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(publicJwk, alg);
    ({ payload } = await jwtVerify(jwt, key, {
      algorithms: [alg],
      typ: PROOF_TYP,
      audience: expected.audience,
      currentDate: expected.now,
    }));
  } catch (e) {
    // jose names the claim that failed (aud, exp, nbf); anything else is the signature or the encoding.
    const claim = (e as { claim?: unknown }).claim;
    throw refuse(typeof claim === 'string' ? `the ${claim} claim is not acceptable` : 'the proof signature does not verify');
  }
  const iat = payload.iat;
  if (typeof iat !== 'number' || Math.abs(iat - expected.now.getTime() / 1000) > PROOF_MAX_SKEW_SECONDS)
    throw refuse(`iat must be within ${PROOF_MAX_SKEW_SECONDS} seconds of now`);
  if (typeof payload.nonce !== 'string' || payload.nonce.length === 0 || payload.nonce.length > 200)
    throw new OAuthError('invalid_nonce', 'the proof carries no c_nonce from the nonce endpoint');
  return { jwk: publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'), nonce: payload.nonce };
}
