import { CompactSign } from 'jose';
import { ATTESTATION_TYPE, credentialSubjectClaims, type AttestationContent } from '../attestation.ts';
import type { IssuerSigner } from '../signer.ts';
import { attestationUrls, tenantDid } from '../urls.ts';
import { bitstringStatusEntries } from '../status-reference.ts';

export const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';

/**
 * The VC Data Model 2.0 credential itself: with VC-JOSE-COSE the JWT claims set *is* the
 * credential, so this is also exactly the payload that gets signed.
 */
export function vcdm2Credential(c: AttestationContent, origin: URL, tenantId: string) {
  const urls = attestationUrls(origin);
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', urls.context],
    id: c.id,
    type: ['VerifiableCredential', ATTESTATION_TYPE],
    issuer: tenantDid(origin, tenantId),
    validFrom: c.validFrom.toISOString(),
    validUntil: c.validUntil.toISOString(),
    credentialSubject: { ...(c.subject.id ? { id: c.subject.id } : {}), ...credentialSubjectClaims(c) },
    credentialSchema: { id: urls.credentialSchema, type: 'JsonSchema' },
    ...(c.status ? { credentialStatus: bitstringStatusEntries(c.status) } : {}),
  };
}

/**
 * `vc+jwt` (W3C VC-JOSE-COSE): compact JWS over the credential, `typ` vc+jwt, `cty` vc, and
 * `kid` the DID URL of the signing key so a verifier resolves it from the issuer's DID document.
 * jose does the JWS serialisation; the signature comes from the tenant's WebCrypto key.
 */
export async function signVcJwt(c: AttestationContent, signer: IssuerSigner, origin: URL): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(vcdm2Credential(c, origin, signer.tenantId)));
  return new CompactSign(payload).setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: 'vc+jwt', cty: 'vc' }).sign(signer.key);
}
