import { issuerIdentity } from '../did/issuer-identity.ts';
import { listKeys } from '../keys/key-store.ts';
import type { KeyRecord } from '../keys/lifecycle.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import type { IssuerKey, IssuerKeySource } from './issuer-keys.ts';
import { localTenantOf } from './local-tenant.ts';
import { VerificationFailure } from './result.ts';

export { localTenantOf };

const unknownKey = (kid: string) => new VerificationFailure('issuer_key', 'unknown_key', `the issuer has no key ${kid}`);

/**
 * Keys of this deployment's own issuers, read from their full history rather than from the
 * published documents: a key that has retired or expired since it signed still verifies what it
 * signed, and a key revoked as compromised is reported as such instead of as merely unknown.
 * Issuers that are not ours go to `others` (the network, or a trust bundle).
 */
export function localIssuerKeys(db: Database, origin: URL, others?: IssuerKeySource): IssuerKeySource {
  // One verification looks up the same issuer's keys for the credential and for each status list:
  // read them once. A source lives for one verification (one request), so nothing goes stale.
  const histories = new Map<string, Promise<KeyRecord[]>>();
  const history = (tenantId: string) => {
    let keys = histories.get(tenantId);
    if (!keys) {
      keys = withTenant(db, tenantId, (tx) => listKeys(tx, tenantId));
      histories.set(tenantId, keys);
    }
    return keys;
  };
  async function find(tenantId: string, thumbprint: string | undefined): Promise<IssuerKey> {
    // Our tenants always have two or more keys, and we always name the one that signed.
    if (thumbprint === undefined)
      throw new VerificationFailure('issuer_key', 'ambiguous_key', 'the header names no key and the issuer has several');
    const key = (await history(tenantId)).find((k) => k.kid === thumbprint);
    if (!key) throw unknownKey(thumbprint);
    return { jwk: { ...key.publicJwk, kid: key.kid, alg: key.alg }, ...(key.revokedAt ? { revokedAt: key.revokedAt } : {}) };
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
