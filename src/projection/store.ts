import type { Queryable } from '../store/port.ts';

/*
 * The projection's SQL, all of it: the versions migration 8's triggers keep in
 * publication_versions, read to know when what memory holds is outdated. Callers own the
 * connection or transaction.
 */

/** A tenant's version (0 before its first change). */
export async function tenantVersion(db: Queryable, tenantId: string): Promise<number> {
  const [row] = await db.query<{ version: string }>('select version::text from publication_versions where tenant_id = $1', [tenantId]);
  return row ? Number(row.version) : 0;
}

/** A tenant's version and whether the tenant exists, in one statement of the transaction that builds from its rows. */
export async function versionAndPresence(tx: Queryable, tenantId: string): Promise<{ version: number; present: boolean }> {
  const [row] = await tx.query<{ version: string | null; present: boolean }>(
    `select (select version::text from publication_versions where tenant_id = $1) as version,
            exists (select 1 from tenants where id = $1) as present`,
    [tenantId],
  );
  return { version: row?.version ? Number(row.version) : 0, present: row?.present === true };
}

/** The sum of every tenant's version: it moves whenever any of them does (one small statement to poll). */
export async function versionSum(db: Queryable): Promise<string> {
  const [sum] = await db.query<{ total: string }>('select coalesce(sum(version), 0)::text as total from publication_versions');
  return sum!.total;
}

/** Every tenant's version. */
export function allVersions(db: Queryable): Promise<{ tenant_id: string; version: string }[]> {
  return db.query<{ tenant_id: string; version: string }>('select tenant_id, version::text from publication_versions');
}
