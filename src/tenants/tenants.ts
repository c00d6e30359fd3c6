import { AppError } from '../errors/index.ts';
import { recordEvent, type Actor } from '../audit/events.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { DEFAULT_KEY_POLICY, type KeyPolicy } from '../keys/policy.ts';
import { ensureLogKey } from '../keys/log-key.ts';
import { ensureKeys } from '../keys/rotation.ts';
import type { Database, Queryable } from '../store/port.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID, TENANT_ID_PATTERN } from './tenant-id.ts';
import { customerTenants, insertTenant, isExistingTenant, tenantById, type Tenant } from './store.ts';

// Callers read tenants through this module, the domain's face; the rows and their SQL are store.ts's.
export { isExistingTenant, lockedIssuerSettings, tenantById, type IssuerSettings, type Tenant } from './store.ts';

export function findTenant(db: Database, id: string): Promise<Tenant | undefined> {
  return withTenant(db, id, (tx) => tenantById(tx, id));
}

export async function requireTenant(db: Database, id: string): Promise<Tenant> {
  const tenant = await findTenant(db, id);
  if (!tenant) throw new AppError('tenant_not_found', `tenant ${id} does not exist`);
  return tenant;
}

/**
 * The id a public per-tenant route may look up, or tenant_not_found for one no tenant can have
 * (refused before any lookup). The platform only where the route serves its documents too.
 */
export function lookupTenantId(tenantId: string, options: { allowPlatform?: boolean } = {}): string {
  if (TENANT_ID_PATTERN.test(tenantId) || (options.allowPlatform && tenantId === PLATFORM_TENANT_ID)) return tenantId;
  throw new AppError('tenant_not_found', `tenant ${tenantId} does not exist`);
}

/**
 * Runs `fn` in a transaction scoped to `tenantId`, if that tenant exists; otherwise answers
 * tenant_not_found. One place decides "unknown tenant" for every public per-tenant route.
 */
export async function inExistingTenant<T>(
  db: Database,
  tenantId: string,
  fn: (tx: Queryable) => Promise<T>,
  options: { allowPlatform?: boolean } = {},
): Promise<T> {
  lookupTenantId(tenantId, options);
  const found = await withTenant(db, tenantId, async (tx) =>
    (await isExistingTenant(tx, tenantId)) ? { value: await fn(tx) } : undefined,
  );
  if (found) return found.value;
  throw new AppError('tenant_not_found', `tenant ${tenantId} does not exist`);
}

export function listTenants(db: Database): Promise<Tenant[]> {
  return acrossTenants(db, customerTenants);
}

export interface CreateTenantInput {
  readonly id: string;
  readonly name: string;
  readonly keyPolicy?: KeyPolicy;
  readonly logSubjects?: 'name' | 'digest';
}

/**
 * Creates a tenant with its first signing key and its waiting key, in one transaction: a tenant
 * never exists without a key to sign with. `ifAbsent` makes start-up bootstrap idempotent when
 * several instances race to create the same tenant.
 */
export async function createTenant(
  deps: { db: Database; kek: KeyEncryptionKey; now: Date; actor: Actor },
  input: CreateTenantInput,
  options: { ifAbsent?: boolean } = {},
): Promise<{ tenant: Tenant; created: boolean }> {
  const created = await withTenant(deps.db, input.id, async (tx) => {
    const inserted = await insertTenant(
      tx,
      { id: input.id, name: input.name, keyPolicy: input.keyPolicy ?? DEFAULT_KEY_POLICY, logSubjects: input.logSubjects ?? 'name' },
      deps.now,
    );
    if (!inserted) {
      if (options.ifAbsent) return false;
      throw new AppError('tenant_exists', `tenant ${input.id} already exists`);
    }
    await recordEvent(tx, { tenantId: input.id, at: deps.now, actor: deps.actor, action: 'tenant.created', target: input.id });
    await ensureKeys(tx, { ...deps }, input.id);
    // Its log's key too, so the first DID document already names it (keys/log-key.ts).
    await ensureLogKey(tx, deps.kek, input.id, deps.now);
    return true;
  });
  return { tenant: await requireTenant(deps.db, input.id), created };
}
