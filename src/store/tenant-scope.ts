import type { Database, Queryable } from './port.ts';
import { announceCommitted } from './publication-changes.ts';

/** Runs `fn` in a transaction and, once it has committed, announces the public changes it noted. */
async function committing<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let scope: Queryable | undefined;
  const result = await db.transaction((tx) => {
    scope = tx;
    return fn(tx);
  });
  announceCommitted(scope!, db);
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
 * is SET LOCAL ROLE), and that statement rides with the transaction's first one: no round trip
 * of its own. It stays a statement of its own: a setting changed inside a statement does not
 * bind the statement it is in (its plan, row-level security included, is made before it runs).
 */
export function withTenant<T>(db: Database, tenantId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return committing(db, async (tx) => {
    // Not awaited before `fn` starts: its first statement is sent right behind this one (the
    // driver pipelines them; PGlite queues them in order) and the server runs them in that order,
    // so the setting is in force for it without a round trip of its own. Awaited before the
    // transaction ends, so its failure is never lost; a statement behind a failed one fails too.
    const scoped = tx.query(`select set_config('app.tenant_id', $1, true), set_config('role', '${TENANT_ROLE}', true)`, [tenantId]);
    // Handled now (awaited below): a rejection must not count as unhandled while `fn` runs.
    scoped.catch(() => {});
    try {
      return await fn(tx);
    } finally {
      await scoped;
    }
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
