import { compactVerify, importJWK } from 'jose';
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
 * Finds the key the header's kid names for this issuer and checks the signature with it, under
 * the algorithm allowlist. A key its issuer revoked as compromised verifies nothing, whenever it signed.
 */
export async function verifySignature(
  jws: string,
  header: Record<string, unknown>,
  issuer: IssuerReference,
  keys: IssuerKeySource,
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
  try {
    await compactVerify(jws, await importJWK(key.jwk, alg), { algorithms: [alg] });
  } catch {
    throw new VerificationFailure('signature', 'bad_signature', 'the signature does not verify with the issuer key');
  }
  return { key, kid, alg };
}
