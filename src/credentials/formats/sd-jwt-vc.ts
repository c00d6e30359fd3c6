import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { DisclosureFrame } from '@sd-jwt/types';
import { base64urlEncode } from '../../util/base64url.ts';
import { sha256 } from '../../util/sha256.ts';
import { resultsClaims, seconds, subjectClaims, verdictClaims, type AttestationContent } from '../attestation.ts';
import type { IssuerSigner } from '../signer.ts';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { attestationUrls } from '../urls.ts';
import { tokenStatusClaim } from '../status-reference.ts';

export const SD_JWT_VC_TYP = 'dc+sd-jwt';

/** SHA-256 for disclosure digests (the only `_sd_alg` we emit), as the library hands them over. */
const disclosureDigest = (data: string | ArrayBuffer): Promise<Uint8Array> =>
  sha256(typeof data === 'string' ? data : new Uint8Array(data));

/** Salts from the platform CSPRNG, never fewer than 128 bits whatever the library asks for. */
function salt(length: number): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(Math.max(16, length))));
}

/**
 * `dc+sd-jwt`: an SD-JWT VC. `iss` is the tenant's issuer URL, so a verifier finds the key
 * through `/.well-known/jwt-vc-issuer`, and `kid` is the bare thumbprint that metadata lists.
 * Each control result, and each evidence item inside it, is selectively disclosable; the
 * verdict, the profile and the subject are always visible, and `iss`, `nbf`, `exp`, `cnf`,
 * `vct` and `status` never are (the draft forbids it).
 */
export async function signSdJwtVc(c: AttestationContent, signer: IssuerSigner, origin: URL, integrity: string): Promise<string> {
  const sdjwt = new SDJwtVcInstance({
    signer: (input) => signer.sign(input),
    signAlg: signer.alg,
    hasher: disclosureDigest,
    hashAlg: 'sha-256',
    saltGenerator: salt,
  });
  const results = resultsClaims(c);
  const payload = {
    iss: issuerIdentity(origin, signer.tenantId).issuerUrl,
    vct: attestationUrls(origin).vct,
    'vct#integrity': integrity,
    jti: c.id,
    iat: seconds(c.issuedAt),
    nbf: seconds(c.validFrom),
    exp: seconds(c.validUntil),
    ...(c.subject.id ? { sub: c.subject.id } : {}),
    ...(c.holderJwk ? { cnf: { jwk: c.holderJwk } } : {}),
    ...(c.status ? { status: tokenStatusClaim(c.status) } : {}),
    subject: subjectClaims(c),
    profile: { ...c.profile },
    assessment: c.assessmentId,
    verdict: verdictClaims(c),
    results,
  };
  const frame = {
    results: {
      _sd: c.results.map((r) => r.control),
      ...Object.fromEntries(
        c.results.flatMap((r) => (r.evidence?.length ? [[r.control, { evidence: { _sd: r.evidence.map((_, i) => i) } }]] : [])),
      ),
    },
  } as unknown as DisclosureFrame<typeof payload>;
  return sdjwt.issue(payload, frame, { header: { typ: SD_JWT_VC_TYP, kid: signer.kid } });
}
