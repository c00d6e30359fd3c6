import type { Queryable } from '../store/port.ts';
import { notePublicationChange } from '../store/publication-changes.ts';
import type { Role } from './principal.ts';

/*
 * The auth domain's SQL, all of it: the api_keys rows. Tokens arrive here already hashed
 * (api-keys.ts); callers own the transaction and pass it in. A change to a tenant's keys is
 * noted for the projection, which caches authentication (issue 12).
 */

/** An API key as the operator sees it: never its secret or the secret's hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly roles: Role[];
  readonly label: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  roles: Role[];
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toInfo = (r: ApiKeyRow): ApiKeyInfo => ({
  id: r.id,
  tenantId: r.tenant_id,
  roles: r.roles,
  label: r.label,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export async function insertApiKeyRow(
  tx: Queryable,
  k: { id: string; tenantId: string; secretHash: string; roles: readonly Role[]; label: string; createdAt: Date },
): Promise<ApiKeyInfo> {
  notePublicationChange(tx, k.tenantId);
  const rows = await tx.query<ApiKeyRow>(
    `insert into api_keys (id, tenant_id, secret_hash, roles, label, created_at) values ($1, $2, $3, $4, $5, $6)
     returning id, tenant_id, roles, label, created_at, revoked_at`,
    [k.id, k.tenantId, k.secretHash, k.roles, k.label, k.createdAt],
  );
  return toInfo(rows[0]!);
}

export async function apiKeysOfTenant(tx: Queryable, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await tx.query<ApiKeyRow>(
    'select id, tenant_id, roles, label, created_at, revoked_at from api_keys where tenant_id = $1 order by created_at, id',
    [tenantId],
  );
  return rows.map(toInfo);
}

/** Revokes a key still live and answers it; undefined when there is no such live key. */
export async function markApiKeyRevoked(tx: Queryable, tenantId: string, id: string, at: Date): Promise<ApiKeyInfo | undefined> {
  const changed = await tx.query<ApiKeyRow>(
    `update api_keys set revoked_at = $3 where tenant_id = $1 and id = $2 and revoked_at is null
     returning id, tenant_id, roles, label, created_at, revoked_at`,
    [tenantId, id, at],
  );
  if (!changed[0]) return undefined;
  notePublicationChange(tx, tenantId);
  return toInfo(changed[0]);
}

export async function apiKeyInfo(tx: Queryable, tenantId: string, id: string): Promise<ApiKeyInfo | undefined> {
  const rows = await tx.query<ApiKeyRow>(
    'select id, tenant_id, roles, label, created_at, revoked_at from api_keys where tenant_id = $1 and id = $2',
    [tenantId, id],
  );
  return rows[0] && toInfo(rows[0]);
}

/** What a stored API key says about who presents it, without the secret's hash leaving the auth domain. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly secretHash: string;
  readonly roles: readonly Role[];
  readonly revoked: boolean;
}

type RecordRow = { id: string; tenant_id: string; secret_hash: string; roles: Role[]; revoked_at: Date | null };
const toRecord = (r: RecordRow): ApiKeyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  secretHash: r.secret_hash,
  roles: r.roles,
  revoked: r.revoked_at !== null,
});

/** A key by id alone, for when its tenant is not known yet: the transaction must see every tenant (acrossTenants). */
export async function findApiKeyAnywhere(tx: Queryable, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await tx.query<RecordRow>('select id, tenant_id, secret_hash, roles, revoked_at from api_keys where id = $1', [id]);
  return row && toRecord(row);
}

/** A key of a known tenant (a key never changes tenant), in that tenant's transaction. */
export async function findApiKey(tx: Queryable, tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await tx.query<RecordRow>(
    'select id, tenant_id, secret_hash, roles, revoked_at from api_keys where tenant_id = $1 and id = $2',
    [tenantId, id],
  );
  return row && toRecord(row);
}

// Advisory-lock key ("lpbs"): instances starting together agree on who issues the first admin key.
const FIRST_KEY_LOCK = 0x6c706273;

/**
 * Takes, until the transaction ends, the lock under which the first start decides whether to
 * issue the first admin key: one instance issues it, the others then see it exists.
 */
export async function lockFirstApiKey(tx: Queryable): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [FIRST_KEY_LOCK]);
}

/** How many API keys exist, in every tenant, revoked ones included (the transaction must see every tenant). */
export async function countApiKeys(tx: Queryable): Promise<number> {
  const [row] = await tx.query<{ n: number }>('select count(*)::int as n from api_keys');
  return row?.n ?? 0;
}
