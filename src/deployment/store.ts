import type { Queryable } from '../store/port.ts';

/* The deployment domain's SQL, all of it: the one row migration 0006 inserts. Callers own the transaction. */

/** The deployment row: this database's identity and the origin its identifiers were issued under. */
export interface Deployment {
  readonly databaseId: string;
  /** `https://host[:port]`, or null on a database no serving process has started on yet. */
  readonly origin: string | null;
}

export async function readDeployment(q: Queryable): Promise<Deployment> {
  const [row] = await q.query<{ database_id: string; origin: string | null }>('select database_id, origin from deployment');
  if (!row) throw new TypeError('the deployment row is missing: migration 0006 inserts it');
  return { databaseId: row.database_id, origin: row.origin };
}

/** The row, locked until the transaction ends: two processes deciding the origin at once agree. */
export async function readDeploymentForUpdate(tx: Queryable): Promise<Deployment> {
  const [row] = await tx.query<{ database_id: string; origin: string | null }>('select database_id, origin from deployment for update');
  if (!row) throw new TypeError('the deployment row is missing: migration 0006 inserts it');
  return { databaseId: row.database_id, origin: row.origin };
}

export async function recordOrigin(tx: Queryable, origin: string, at: Date): Promise<void> {
  await tx.query('update deployment set origin = $1, origin_recorded_at = $2', [origin, at]);
}
