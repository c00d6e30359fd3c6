import { issuerIdentity } from '../did/issuer-identity.ts';

/**
 * Where the published parts of the attestation type live. The `vct` is an https URL that
 * answers with its type metadata; the same document is also served with `/.well-known/vct`
 * inserted after the authority, the retrieval rule of earlier SD-JWT VC drafts.
 */
export function attestationUrls(origin: URL) {
  const base = origin.origin;
  return {
    vct: `${base}/types/launch-readiness/v1`,
    vctWellKnown: `${base}/.well-known/vct/types/launch-readiness/v1`,
    credentialSchema: `${base}/schemas/launch-readiness-credential.schema.json`,
    /** JSON-LD context defining every term of the credential, so none falls to the base context's issuer-dependent @vocab. */
    context: `${base}/contexts/launch-readiness/v1`,
  };
}

export const tenantDid = (origin: URL, tenantId: string) => issuerIdentity(origin, tenantId).did;
