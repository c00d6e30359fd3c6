import { SignJWT } from 'jose';
import { ATTESTATION_TYPE, credentialSubjectClaims, seconds, type AttestationContent } from '../attestation.ts';
import type { IssuerSigner } from '../signer.ts';
import { attestationUrls, tenantDid } from '../urls.ts';
import { bitstringStatusEntries } from '../status-reference.ts';

/**
 * `jwt_vc_json` (OID4VCI's name for it): a VC Data Model 1.1 credential in the `vc` claim of a
 * JWT whose registered claims carry issuer, subject, validity and id (VCDM 1.1 §6.3.1): the
 * form did-jwt-vc and most wallets verify.
 */
export async function signJwtVcJson(c: AttestationContent, signer: IssuerSigner, origin: URL): Promise<string> {
  const urls = attestationUrls(origin);
  const vc = {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential', ATTESTATION_TYPE],
    credentialSubject: credentialSubjectClaims(c),
    credentialSchema: { id: urls.credentialSchema, type: 'JsonSchema' },
    ...(c.status ? { credentialStatus: bitstringStatusEntries(c.status) } : {}),
  };
  const jwt = new SignJWT({ vc })
    .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: 'JWT' })
    .setIssuer(tenantDid(origin, signer.tenantId))
    .setJti(c.id)
    .setIssuedAt(seconds(c.issuedAt))
    .setNotBefore(seconds(c.validFrom))
    .setExpirationTime(seconds(c.validUntil));
  // `sub` is the credentialSubject.id of VCDM 1.1; a subject known only by name has none.
  const sub = c.subject.id ?? c.holderDid;
  if (sub) jwt.setSubject(sub);
  return jwt.sign(signer.key);
}
