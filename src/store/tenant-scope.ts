import type { Database, Queryable } from './port.ts';

/**
 * The second wall between tenants. Every tenant-owned table has a row-level security policy
 * that admits only rows whose tenant_id equals the transaction's `app.tenant_id`; these
 * helpers set it with `set_config(..., true)` so it lasts exactly one transaction (safe with
 * a connection pool). Queries still filter by tenant id themselves: the policy catches the
 * query that forgot to.
 */
export function withTenant<T>(db: Database, tenantId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    return fn(tx);
  });
}

/**
 * For the few operations that must see every tenant: creating tenants, the rotation sweep,
 * finding an API key before its tenant is known. Kept separate so each use is deliberate.
 */
export function acrossTenants<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`select set_config('app.all_tenants', 'on', true)`);
    return fn(tx);
  });
}
