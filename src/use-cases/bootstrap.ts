import { insertApiKey } from '../auth/api-keys.ts';
import { ROLES } from '../auth/principal.ts';
import { countApiKeys, lockFirstApiKey } from '../auth/store.ts';
import { SYSTEM_ACTOR } from '../audit/events.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID } from '../tenants/tenant-id.ts';
import { createTenant } from '../tenants/tenants.ts';

// Here rather than in tenants/: the first start creates API keys (auth) as well as tenants, and
// auth sits above tenants.

export const DEMO_TENANT_ID = 'demo';

export interface BootstrapOutcome {
  /** The first platform admin token, present only on the start that created it. */
  readonly adminToken?: string;
  readonly demoTenantCreated: boolean;
}

/**
 * First-start set-up, idempotent on every later start: the platform's own identity and keys,
 * the demo tenant where configured, and, while no API key exists at all, one platform key
 * holding every role: the root credential from which the operator mints narrower ones.
 */
export async function bootstrap(
  deps: { db: Database; kek: KeyEncryptionKey; now: Date },
  options: { demoTenant: boolean },
): Promise<BootstrapOutcome> {
  const base = { ...deps, actor: SYSTEM_ACTOR };
  await createTenant(base, { id: PLATFORM_TENANT_ID, name: 'launchproof platform' }, { ifAbsent: true });
  const demo = options.demoTenant ? await createTenant(base, { id: DEMO_TENANT_ID, name: 'Demo tenant' }, { ifAbsent: true }) : undefined;

  const adminToken = await acrossTenants(deps.db, async (tx) => {
    // Instances starting together agree on who issues the first admin key.
    await lockFirstApiKey(tx);
    if ((await countApiKeys(tx)) > 0) return undefined;
    const { token } = await insertApiKey(tx, base, {
      tenantId: PLATFORM_TENANT_ID,
      roles: ROLES,
      label: 'bootstrap admin',
    });
    return token;
  });
  return { ...(adminToken ? { adminToken } : {}), demoTenantCreated: demo?.created ?? false };
}
