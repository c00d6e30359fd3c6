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

/**
 * A did:web DID document. Keys are `JsonWebKey2020`: the did-jwt/Veramo family of verifiers
 * accepts that type and not the newer `JsonWebKey`, so it reaches the most verifiers today.
 */
export function didDocument(identity: IssuerIdentity, keys: readonly KeyRecord[]) {
  const methods = keys.map((k) => ({
    id: `${identity.did}#${k.kid}`,
    type: 'JsonWebKey2020',
    controller: identity.did,
    publicKeyJwk: publishedJwk(k),
  }));
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
    id: identity.did,
    verificationMethod: methods,
    assertionMethod: methods.map((m) => m.id),
  };
}

/** SD-JWT VC issuer metadata: the issuer URL and its keys inline. */
export function jwtVcIssuerMetadata(identity: IssuerIdentity, keys: readonly KeyRecord[]) {
  return { issuer: identity.issuerUrl, jwks: jwkSet(keys) };
}
