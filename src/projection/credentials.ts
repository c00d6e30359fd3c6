import { apiKeyIdOf, findApiKey, findApiKeyAnywhere, principalOf } from '../auth/api-keys.ts';
import type { Principal } from '../auth/principal.ts';
import { whenAbsent } from '../errors/index.ts';
import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import type { Projection } from './projection.ts';

/**
 * What the operator guard reads on every call, from the projection: the API key's record and
 * whether the tenant in the path exists. A revoked key bumps its tenant's version (migration 8),
 * so it stops working on every instance within the same bound as a revoked signing key.
 *
 * Which tenant a key belongs to never changes, so it is remembered apart: once known, the key's
 * record is read under its tenant, where freshness is tracked. An id never seen before costs one
 * lookup across tenants (and the guard's refusal quota counts those per address).
 */
const tenantOfKey = new WeakMap<Projection, BoundedCache<string>>();

function tenantsOf(projection: Projection): BoundedCache<string> {
  let known = tenantOfKey.get(projection);
  if (!known) tenantOfKey.set(projection, (known = new BoundedCache<string>(100_000, 8 * 1024 * 1024)));
  return known;
}

export async function apiKeyPrincipalFrom(projection: Projection, db: Database, token: string): Promise<Principal | undefined> {
  const id = apiKeyIdOf(token);
  if (id === undefined) return undefined;
  const known = tenantsOf(projection);
  const tenantId = known.get(id);
  if (tenantId === undefined) {
    const record = await acrossTenants(db, (tx) => findApiKeyAnywhere(tx, id));
    if (record) known.set(id, record.tenantId, id.length + record.tenantId.length + 64);
    return principalOf(token, record);
  }
  // The key's tenant has since been deleted: no such key any more.
  const found = await whenAbsent(
    async () => ({
      record: await projection.read(db, tenantId, `api-key:${id}`, async (tx) => ({
        value: await findApiKey(tx, tenantId, id),
        weight: 256,
      })),
    }),
    () => undefined,
  );
  return found ? principalOf(token, found.record) : undefined;
}

/** Whether a tenant exists, remembered (either way) like every other read of the tenant. */
export async function tenantExists(projection: Projection, db: Database, tenantId: string): Promise<boolean> {
  return whenAbsent(
    () => projection.read(db, tenantId, 'exists', async () => ({ value: true, weight: 16 })),
    () => false,
  );
}
