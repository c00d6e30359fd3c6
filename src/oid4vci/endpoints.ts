import { issuerIdentity } from '../did/issuer-identity.ts';

/**
 * Where a tenant's OID4VCI endpoints live. They hang under the tenant's issuer URL, so the
 * `credential_issuer` identifier is also the base a wallet resolves everything from.
 */
export function oid4vciUrls(origin: URL, tenantId: string) {
  const issuer = issuerIdentity(origin, tenantId).issuerUrl;
  const base = origin.origin;
  return {
    credentialIssuer: issuer,
    // RFC 8414 §3 / OID4VCI §12.2.2: the well-known segment goes between the host and the path.
    issuerMetadata: `${base}/.well-known/openid-credential-issuer/t/${tenantId}`,
    authorizationServerMetadata: `${base}/.well-known/oauth-authorization-server/t/${tenantId}`,
    token: `${issuer}/token`,
    nonce: `${issuer}/nonce`,
    credential: `${issuer}/credential`,
    offer: (id: string) => `${issuer}/offers/${id}`,
  };
}
