import type { Database, Queryable } from './port.ts';
import { announceCommitted } from './publication-changes.ts';

/** Runs `fn` in a transaction and, once it has committed, announces the public changes it noted. */
async function committing<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let scope: Queryable | undefined;
  const result = await db.transaction((tx) => {
    scope = tx;
    return fn(tx);
  });
  announceCommitted(scope!);
  return result;
}

/**
 * The role every tenant transaction runs as (migrations/0007_tenant_role.sql). It may read and
 * write rows and nothing else, and it is neither superuser, owner nor BYPASSRLS, so the
 * policies bind it even when the connection is a superuser (PGlite always is).
 */
export const TENANT_ROLE = 'launchproof_tenant';

/**
 * The second wall between tenants. Every tenant-owned table has a row-level security policy
 * that admits only rows whose tenant_id equals the transaction's `app.tenant_id`; these
 * helpers set it with `set_config(..., true)` so it lasts exactly one transaction (safe with
 * a connection pool). Queries still filter by tenant id themselves: the policy catches the
 * query that forgot to.
 *
 * The role switch rides in the same statement as the tenant setting (`set_config('role', ...)`
 * is SET LOCAL ROLE): one round trip per transaction, not two.
 */
export function withTenant<T>(db: Database, tenantId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return committing(db, async (tx) => {
    await tx.query(`select set_config('app.tenant_id', $1, true), set_config('role', '${TENANT_ROLE}', true)`, [tenantId]);
    return fn(tx);
  });
}

/**
 * For the few operations that must see every tenant: creating tenants, the rotation sweep,
 * finding an API key before its tenant is known. Kept separate so each use is deliberate.
 * They stay on the connecting role, which FORCE ROW LEVEL SECURITY still binds unless it is a
 * superuser (refused in production: src/store/connecting-role.ts).
 */
export function acrossTenants<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return committing(db, async (tx) => {
    await tx.query(`select set_config('app.all_tenants', 'on', true)`);
    return fn(tx);
  });
}
