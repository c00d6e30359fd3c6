import type { Queryable } from '../store/port.ts';
import { TENANT_ROLE } from '../store/tenant-scope.ts';

/** The doctor's read-only questions to the database's catalog. Nothing here writes. */

/** Whether the tenant role exists and the connecting role may switch to it (SET ROLE needs membership). */
export async function tenantRoleReach(q: Queryable): Promise<{ exists: boolean; member: boolean }> {
  // pg_has_role fails on a role that does not exist: the CASE asks it only of one that does.
  const [row] = await q.query<{ present: boolean; member: boolean | null }>(
    `select exists (select 1 from pg_roles where rolname = $1) as present,
            case when exists (select 1 from pg_roles where rolname = $1) then pg_has_role(current_user, $1, 'MEMBER') end as member`,
    [TENANT_ROLE],
  );
  return { exists: row?.present === true, member: row?.member === true };
}

/** Tenant-owned tables (those with a tenant_id column, and tenants itself) and their row-level security flags. */
/**
 * Tables with a tenant_id that row-level security deliberately leaves open: publication_versions
 * holds only tenant ids and counters, which every instance polls across tenants outside any
 * tenant transaction, and only its triggers may write it (migration 8).
 */
const SHARED_TABLES = ['publication_versions'];

export async function tenantTableSecurity(q: Queryable): Promise<{ table: string; enabled: boolean; forced: boolean }[]> {
  const rows = await q.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
    `select c.relname, c.relrowsecurity, c.relforcerowsecurity
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' and not (to_jsonb(c.relname::text) <@ $1::jsonb)
        and (c.relname = 'tenants' or exists (
              select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))
      order by c.relname`,
    [SHARED_TABLES],
  );
  return rows.map((r) => ({ table: r.relname, enabled: r.relrowsecurity, forced: r.relforcerowsecurity }));
}

/** The database server's wall clock at the moment the statement runs (not the transaction's start). */
export async function databaseClock(q: Queryable): Promise<Date> {
  const [row] = await q.query<{ at: Date | string }>('select clock_timestamp() as at');
  return new Date(row!.at);
}

export async function tableExists(q: Queryable, name: string): Promise<boolean> {
  const [row] = await q.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]);
  return Boolean(row?.t);
}
