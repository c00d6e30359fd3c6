import type { KeyRecord } from '../keys/lifecycle.ts';
import type { PublicJwk } from '../keys/key-crypto.ts';
import type { IssuerIdentity } from './issuer-identity.ts';

/** A JWK as published: public members plus `kid`, `alg`, `use`. Never a private member. */
export type PublishedJwk = PublicJwk & { kid: string; alg: string; use: 'sig' };

export function publishedJwk(key: KeyRecord): PublishedJwk {
  // Members in a fixed, conventional order (storage as jsonb does not keep the order), so the
  // document bytes and therefore its ETag depend only on the keys.
  const { kty, crv, x, y } = key.publicJwk;
  return { kty, crv, x, ...(y ? { y } : {}), kid: key.kid, alg: key.alg, use: 'sig' };
}

export function jwkSet(keys: readonly KeyRecord[]): { keys: PublishedJwk[] } {
  return { keys: keys.map(publishedJwk) };
}

/** A tenant log's key (keys/log-key.ts) as its DID document names it: the kid and the public Ed25519 JWK. */
export interface LogKeyJwk {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
}

/**
 * A did:web DID document. Keys are `JsonWebKey2020`: the did-jwt/Veramo family of verifiers
 * accepts that type and not the newer `JsonWebKey`, so it reaches the most verifiers today.
 *
 * The tenant log's keys, current and retired, are verification methods of their own
 * (`#log-KID`, `JsonWebKey`), so an auditor finds the key that opens the log's checkpoints where
 * it finds the issuer; they are never in assertionMethod: they sign checkpoints, not credentials,
 * and a verifier must not accept a credential signed by one.
 */
export function didDocument(identity: IssuerIdentity, keys: readonly KeyRecord[], logKeys: readonly LogKeyJwk[] = []) {
  const methods = keys.map((k) => ({
    id: `${identity.did}#${k.kid}`,
    type: 'JsonWebKey2020',
    controller: identity.did,
    publicKeyJwk: publishedJwk(k),
  }));
  const logMethods = logKeys.map((k) => {
    // Fixed member order, as for the signing keys: the document's bytes depend only on the keys.
    const { kty, crv, x } = k.publicJwk;
    return { id: `${identity.did}#log-${k.kid}`, type: 'JsonWebKey', controller: identity.did, publicKeyJwk: { kty, crv, x } };
  });
  return {
    '@context': [
      'https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/suites/jws-2020/v1',
      ...(logMethods.length > 0 ? ['https://w3id.org/security/jwk/v1'] : []),
    ],
    id: identity.did,
    verificationMethod: [...methods, ...logMethods],
    assertionMethod: methods.map((m) => m.id),
  };
}

/** SD-JWT VC issuer metadata: the issuer URL and its keys inline. */
export function jwtVcIssuerMetadata(identity: IssuerIdentity, keys: readonly KeyRecord[]) {
  return { issuer: identity.issuerUrl, jwks: jwkSet(keys) };
}
