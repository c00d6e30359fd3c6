import type { JWK } from 'jose';

/** A public key of an issuer as the verifier found it, with what its source knows of its history. */
export interface IssuerKey {
  /** Public members only. */
  readonly jwk: JWK;
  /**
   * When the issuer's own records say the key was revoked as compromised. Whatever it signed is
   * then invalid, whenever it was signed. A key that merely retired or expired has none.
   */
  readonly revokedAt?: Date;
}

/**
 * Where issuer keys come from. Every method throws a VerificationFailure('issuer_key', code, detail)
 * when the key cannot be found or must not be used; codes: `unresolvable_issuer` (the DID or
 * metadata could not be obtained), `unknown_key` (no such kid for that issuer), `key_not_for_assertion`
 * (the key exists but is not an assertionMethod), `unsupported_did_method`, `unsafe_url`.
 */
export interface IssuerKeySource {
  /** VC formats, and SD-JWT VCs with a DID `iss`: `kid` is a DID URL whose DID is `did`. */
  fromDid(did: string, kid: string): Promise<IssuerKey>;
  /**
   * SD-JWT VC with an https `iss`: the key `kid` of its `/.well-known/jwt-vc-issuer` metadata
   * (`jwks` or `jwks_uri`). `kid` is undefined when the header names none (the SD-JWT VC draft
   * allows that); the metadata must then hold exactly one key, else `ambiguous_key`.
   */
  fromIssuerMetadata(issuerUrl: string, kid: string | undefined): Promise<IssuerKey>;
}
