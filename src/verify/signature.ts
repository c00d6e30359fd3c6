import { compactVerify, importJWK, type JWK } from 'jose';
import { checkHeader, checkKeyFits } from './algorithms.ts';
import type { IssuerKey, IssuerKeySource } from './issuer-keys.ts';
import { VerificationFailure } from './result.ts';

/** How the issuer of a JWS is named, which decides where its key is looked up. */
export type IssuerReference = { readonly did: string } | { readonly issuerUrl: string };

export function issuerReference(issuer: string): IssuerReference {
  if (issuer.startsWith('did:')) return { did: issuer };
  // http is accepted here only so a development deployment (http://localhost) can verify its own
  // credentials: every fetch of another issuer's documents refuses anything but https.
  if (issuer.startsWith('https://') || issuer.startsWith('http://')) return { issuerUrl: issuer };
  throw new VerificationFailure('issuer_key', 'unresolvable_issuer', 'the issuer is neither a DID nor an http(s) URL');
}

/**
 * Imported public keys, by the JWK object a key source handed out. The service's sources hand out
 * the same objects from one verification to the next (its projection), so each key is imported
 * once instead of on every call (10–16% of a verification's time before); sources that build new
 * objects each time simply never hit. Weak, so a key no source holds any more is dropped.
 */
const imported = new WeakMap<JWK, Map<string, ReturnType<typeof importJWK>>>();

function importOnce(jwk: JWK, alg: string): ReturnType<typeof importJWK> {
  let byAlg = imported.get(jwk);
  if (!byAlg) imported.set(jwk, (byAlg = new Map()));
  let key = byAlg.get(alg);
  if (!key) {
    key = importJWK(jwk, alg);
    byAlg.set(alg, key);
    // A key that cannot be imported is not remembered: the error is reported each time.
    key.catch(() => byAlg.delete(alg));
  }
  return key;
}

/**
 * Finds the key the header's kid names for this issuer and checks the signature with it, under
 * the algorithm allowlist. A key its issuer revoked as compromised verifies nothing, whenever it signed.
 */
export async function verifySignature(
  jws: string,
  header: Record<string, unknown>,
  issuer: IssuerReference,
  keys: IssuerKeySource,
  /** True when this exact text is already known to verify under this key object (status lists checked before). */
  verifiedBefore?: (key: IssuerKey) => boolean,
): Promise<{ key: IssuerKey; kid: string | undefined; alg: string }> {
  const alg = checkHeader(header);
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid === ''))
    throw new VerificationFailure('issuer_key', 'no_kid', 'the header kid is not a string');
  // A DID issuer has many keys and says which by a DID URL; only issuer metadata may go without.
  if (kid === undefined && 'did' in issuer) throw new VerificationFailure('issuer_key', 'no_kid', 'the header names no key (kid)');
  const key = 'did' in issuer ? await keys.fromDid(issuer.did, kid as string) : await keys.fromIssuerMetadata(issuer.issuerUrl, kid);
  if (key.revokedAt) {
    throw new VerificationFailure(
      'issuer_key',
      'key_revoked',
      `the issuer revoked key ${kid ?? '(the only one)'} as compromised at ${key.revokedAt.toISOString()}`,
    );
  }
  checkKeyFits(alg, key.jwk);
  if (verifiedBefore?.(key)) return { key, kid, alg };
  try {
    await compactVerify(jws, await importOnce(key.jwk, alg), { algorithms: [alg] });
  } catch {
    throw new VerificationFailure('signature', 'bad_signature', 'the signature does not verify with the issuer key');
  }
  return { key, kid, alg };
}
