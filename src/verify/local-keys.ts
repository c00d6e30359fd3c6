import { issuerIdentity } from '../did/issuer-identity.ts';
import { whenAbsent } from '../errors/index.ts';
import type { IssuerKey, IssuerKeySource } from './issuer-keys.ts';
import { localTenantOf } from './local-tenant.ts';
import { VerificationFailure } from './result.ts';

export { localTenantOf };

const unknownKey = (kid: string) => new VerificationFailure('issuer_key', 'unknown_key', `the issuer has no key ${kid}`);

/** A tenant's every key by kid, as verification uses it: retired, expired and revoked ones included. */
export type KeyHistory = ReadonlyMap<string, IssuerKey>;

/**
 * Keys of this deployment's own issuers, from their full history rather than from the published
 * documents: a key that has retired or expired since it signed still verifies what it signed, and
 * a key revoked as compromised is reported as such instead of as merely unknown. `history` reads
 * a tenant's keys (the service: from its in-memory projection). Issuers that are not ours go to
 * `others` (the network, or a trust bundle).
 */
export function localIssuerKeys(
  origin: URL,
  history: (tenantId: string) => Promise<KeyHistory>,
  others?: IssuerKeySource,
): IssuerKeySource {
  async function find(tenantId: string, thumbprint: string | undefined): Promise<IssuerKey> {
    // Our tenants always have two or more keys, and we always name the one that signed.
    if (thumbprint === undefined)
      throw new VerificationFailure('issuer_key', 'ambiguous_key', 'the header names no key and the issuer has several');
    // A tenant that does not exist has no keys; anything else (storage) is not the credential's fault.
    const keys = await whenAbsent(
      () => history(tenantId),
      () => {
        throw unknownKey(thumbprint);
      },
    );
    const key = keys.get(thumbprint);
    if (!key) throw unknownKey(thumbprint);
    return key;
  }
  const elsewhere = (issuer: string) => {
    if (!others) throw new VerificationFailure('issuer_key', 'unresolvable_issuer', `${issuer} is not an issuer of this deployment`);
    return others;
  };
  return {
    async fromDid(did, kid) {
      const tenant = localTenantOf(origin, did);
      if (tenant === undefined) return elsewhere(did).fromDid(did, kid);
      if (issuerIdentity(origin, tenant).did !== did || !kid.startsWith(`${did}#`)) {
        throw new VerificationFailure('issuer_key', 'kid_not_of_issuer', 'the kid is not a key of the issuer DID');
      }
      return find(tenant, kid.slice(did.length + 1));
    },
    async fromIssuerMetadata(issuerUrl, kid) {
      const tenant = localTenantOf(origin, issuerUrl);
      if (tenant === undefined) return elsewhere(issuerUrl).fromIssuerMetadata(issuerUrl, kid);
      return find(tenant, kid);
    },
  };
}
