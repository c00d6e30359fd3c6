import { PLATFORM_TENANT_ID } from '../tenants/tenant-id.ts';
import { didForOrigin, didForPath } from './did-web.ts';

/**
 * How one issuer (the platform or a tenant) is named in each standard: its DID, its issuer URL
 * (SD-JWT VC `iss`, OID4VCI `credential_issuer`) and where its public documents live.
 */
export interface IssuerIdentity {
  readonly tenantId: string;
  readonly did: string;
  readonly issuerUrl: string;
  readonly didDocumentUrl: string;
  readonly jwksUrl: string;
  /** SD-JWT VC: `/.well-known/jwt-vc-issuer` inserted between the host and the issuer path. */
  readonly jwtVcIssuerMetadataUrl: string;
}

export function issuerIdentity(origin: URL, tenantId: string): IssuerIdentity {
  const base = origin.origin;
  if (tenantId === PLATFORM_TENANT_ID) {
    return {
      tenantId,
      did: didForOrigin(origin),
      issuerUrl: base,
      didDocumentUrl: `${base}/.well-known/did.json`,
      jwksUrl: `${base}/.well-known/jwks.json`,
      jwtVcIssuerMetadataUrl: `${base}/.well-known/jwt-vc-issuer`,
    };
  }
  return {
    tenantId,
    did: didForPath(origin, ['t', tenantId]),
    issuerUrl: `${base}/t/${tenantId}`,
    didDocumentUrl: `${base}/t/${tenantId}/did.json`,
    jwksUrl: `${base}/t/${tenantId}/jwks.json`,
    jwtVcIssuerMetadataUrl: `${base}/.well-known/jwt-vc-issuer/t/${tenantId}`,
  };
}
