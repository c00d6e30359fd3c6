import { localTenantOf } from './local-keys.ts';

/**
 * Who the verifier trusts: this deployment's own issuers (its tenants and the platform) and the
 * issuers configured in TRUSTED_ISSUERS, matched exactly. An issuer outside both is reported as
 * untrusted, however well its credential verifies.
 */
export function trustPolicy(origin: URL, trustedIssuers: readonly string[]): (issuer: string) => boolean {
  const extra = new Set(trustedIssuers);
  return (issuer) => localTenantOf(origin, issuer) !== undefined || extra.has(issuer);
}
