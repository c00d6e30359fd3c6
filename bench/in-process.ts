/**
 * The in-process baselines: jose alone, one operation at a time on the bench's own thread,
 * with the key made or imported once. What signing or verifying one credential costs when
 * nothing else (HTTP, database, status lists) is in the way.
 */
import { importJWK, jwtVerify, SignJWT, generateKeyPair, type JWK } from 'jose';
import { opsPerSecond } from './measure.ts';

/**
 * The better of two runs: a neighbour's burst on the shared machine can halve a one-second
 * figure, and a baseline measured low would flatter every ratio taken against it.
 */
async function bestOfTwo(fn: () => Promise<unknown>, ms: number): Promise<number> {
  return Math.max(await opsPerSecond(fn, ms), await opsPerSecond(fn, ms));
}
import { unsignedCredential, type AssessmentLike, type Format } from './peer-credential.ts';

/** jose SignJWT (ES256) per second over the peer's payload for `format`, built once. */
export async function joseSignPerSecond(format: Format, assessment: AssessmentLike, ms = 1_000): Promise<number> {
  const { privateKey } = await generateKeyPair('ES256');
  const unsigned = await unsignedCredential(format, 'did:web:peer.bench:acme', assessment, new Date());
  return bestOfTwo(
    () => new SignJWT(unsigned.payload).setProtectedHeader({ alg: 'ES256', typ: unsigned.typ, kid: 'k' }).sign(privateKey),
    ms,
  );
}

/**
 * jose jwtVerify per second of launchproof's own credential (for an SD-JWT, its issuer-signed
 * JWT) against the issuer's public JWK, imported once: same key type, same token.
 */
export async function joseVerifyPerSecond(credential: string, jwk: JWK, ms = 1_000): Promise<number> {
  const jwt = credential.split('~')[0]!;
  const key = await importJWK(jwk, jwk.alg ?? 'ES256');
  await jwtVerify(jwt, key); // a baseline that fails is no baseline
  return bestOfTwo(() => jwtVerify(jwt, key), ms);
}
