import { keyPolicySchema, type KeyPolicy } from '../keys/policy.ts';
import { AppError } from '../errors/index.ts';
import type { Queryable } from '../store/port.ts';
import { notePublicationChange } from '../store/publication-changes.ts';

/*
 * The tenants domain's SQL, all of it: the tenants rows (their key_policy column is written by
 * keys, under the row lock keys takes: keys/key-store.ts). Callers own the transaction.
 */

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly keyPolicy: KeyPolicy;
  readonly logSubjects: 'name' | 'digest';
  readonly createdAt: Date;
}

interface TenantRow {
  id: string;
  name: string;
  key_policy: unknown;
  log_subjects: 'name' | 'digest';
  created_at: Date;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  keyPolicy: keyPolicySchema.parse(r.key_policy),
  logSubjects: r.log_subjects,
  createdAt: r.created_at,
});

/** The tenant, read inside the caller's transaction. */
export async function tenantById(tx: Queryable, id: string): Promise<Tenant | undefined> {
  const rows = await tx.query<TenantRow>('select id, name, key_policy, log_subjects, created_at from tenants where id = $1', [id]);
  return rows[0] && toTenant(rows[0]);
}

/** Whether the tenant exists, inside the caller's transaction (authentication asks it beside the key lookup). */
export async function isExistingTenant(tx: Queryable, id: string): Promise<boolean> {
  return (await tx.query('select 1 from tenants where id = $1', [id])).length === 1;
}

/** Every tenant but the platform, by id; the transaction must see every tenant (acrossTenants). */
export async function customerTenants(tx: Queryable): Promise<Tenant[]> {
  const rows = await tx.query<TenantRow>(
    `select id, name, key_policy, log_subjects, created_at from tenants where id <> '_platform' order by id`,
  );
  return rows.map(toTenant);
}

/** Inserts the tenant unless its id is taken; true when this call inserted it. */
export async function insertTenant(
  tx: Queryable,
  t: { id: string; name: string; keyPolicy: KeyPolicy; logSubjects: 'name' | 'digest' },
  at: Date,
): Promise<boolean> {
  notePublicationChange(tx, t.id);
  const rows = await tx.query(
    `insert into tenants (id, name, key_policy, log_subjects, created_at) values ($1, $2, $3, $4, $5) on conflict (id) do nothing returning id`,
    [t.id, t.name, t.keyPolicy, t.logSubjects, at],
  );
  return rows.length === 1;
}

/** What an issuance follows of its tenant's settings. */
export interface IssuerSettings {
  readonly keyPolicy: KeyPolicy;
  /** What the tenant's log says of a subject: its name, or only its SHA-256. */
  readonly logSubjects: 'name' | 'digest';
}

/**
 * The tenant's key policy and log setting, its row locked FOR SHARE until the transaction ends:
 * issuances run side by side, but never alongside a rotation (FOR UPDATE) that could retire the
 * signing key between choosing it and recording how long it must stay published.
 */
export async function lockedIssuerSettings(tx: Queryable, id: string): Promise<IssuerSettings> {
  const [row] = await tx.query<{ key_policy: unknown; log_subjects: 'name' | 'digest' }>(
    'select key_policy, log_subjects from tenants where id = $1 for share',
    [id],
  );
  if (!row) throw new AppError('tenant_not_found', `tenant ${id} does not exist`);
  return { keyPolicy: keyPolicySchema.parse(row.key_policy), logSubjects: row.log_subjects };
}
