import { AppError } from '../errors/index.ts';
import { recordEvent, type Actor } from '../audit/events.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { base64urlEncode } from '../util/base64url.ts';
import type { Principal, Role } from './principal.ts';
import { notePublicationChange } from '../store/publication-changes.ts';

/**
 * Operator API keys look like `lp_<id>_<secret>`: 16 alphanumerics of lookup id, then 256
 * random bits. Only the SHA-256 of the whole token is stored. A fast hash is right here: the
 * secret has 256 bits of entropy, so there is nothing for a slow hash to protect.
 */
const TOKEN = /^lp_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('lp_');
}

function randomId(): string {
  // 62 * 4 = 248: rejecting bytes >= 248 keeps every character equally likely.
  let id = '';
  while (id.length < 16) {
    for (const b of crypto.getRandomValues(new Uint8Array(24))) {
      if (b < 248 && id.length < 16) id += ID_ALPHABET[b % 62];
    }
  }
  return id;
}

async function hashToken(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares without an early exit, so timing says nothing about how much of the hash matched. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

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

/**
 * Inserts a new key in the caller's transaction and returns its token: the only time the
 * secret exists outside the caller's hands.
 */
export async function insertApiKey(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  input: { tenantId: string; roles: readonly Role[]; label?: string },
): Promise<{ key: ApiKeyInfo; token: string }> {
  const id = randomId();
  const token = `lp_${id}_${base64urlEncode(crypto.getRandomValues(new Uint8Array(32)))}`;
  const roles = [...new Set(input.roles)].sort();
  notePublicationChange(tx, input.tenantId);
  const rows = await tx.query<ApiKeyRow>(
    `insert into api_keys (id, tenant_id, secret_hash, roles, label, created_at) values ($1, $2, $3, $4, $5, $6)
     returning id, tenant_id, roles, label, created_at, revoked_at`,
    [id, input.tenantId, await hashToken(token), roles, input.label ?? '', deps.now],
  );
  await recordEvent(tx, {
    tenantId: input.tenantId,
    at: deps.now,
    actor: deps.actor,
    action: 'api_key.created',
    target: id,
    detail: { roles },
  });
  return { key: toInfo(rows[0]!), token };
}

export function createApiKey(
  deps: { db: Database; now: Date; actor: Actor },
  input: { tenantId: string; roles: readonly Role[]; label?: string },
): Promise<{ key: ApiKeyInfo; token: string }> {
  return withTenant(deps.db, input.tenantId, (tx) => insertApiKey(tx, deps, input));
}

export async function listApiKeys(db: Database, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await withTenant(db, tenantId, (tx) =>
    tx.query<ApiKeyRow>(
      'select id, tenant_id, roles, label, created_at, revoked_at from api_keys where tenant_id = $1 order by created_at, id',
      [tenantId],
    ),
  );
  return rows.map(toInfo);
}

/** Revokes a key; revoking it again answers the same record and records nothing new. */
export async function revokeApiKey(deps: { db: Database; now: Date; actor: Actor }, tenantId: string, id: string): Promise<ApiKeyInfo> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const changed = await tx.query<ApiKeyRow>(
      `update api_keys set revoked_at = $3 where tenant_id = $1 and id = $2 and revoked_at is null
       returning id, tenant_id, roles, label, created_at, revoked_at`,
      [tenantId, id, deps.now],
    );
    if (changed[0]) {
      notePublicationChange(tx, tenantId);
      await recordEvent(tx, { tenantId, at: deps.now, actor: deps.actor, action: 'api_key.revoked', target: id });
      return toInfo(changed[0]);
    }
    const existing = await tx.query<ApiKeyRow>(
      'select id, tenant_id, roles, label, created_at, revoked_at from api_keys where tenant_id = $1 and id = $2',
      [tenantId, id],
    );
    if (!existing[0]) throw new AppError('api_key_not_found', `tenant ${tenantId} has no API key ${id}`);
    return toInfo(existing[0]);
  });
}

/** What a stored API key says about who presents it, without the secret's hash leaving this module. */
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

/** The key id a token names, or undefined when it is not shaped like one of our tokens. */
export function apiKeyIdOf(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

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

/** The principal a presented token authenticates as against its stored record, or undefined for anything not a live key. */
export async function principalOf(token: string, record: ApiKeyRecord | undefined): Promise<Principal | undefined> {
  const presented = await hashToken(token);
  if (!record || record.revoked || !constantTimeEqual(presented, record.secretHash)) return undefined;
  return { id: `api_key:${record.id}`, via: 'api_key', tenantId: record.tenantId, roles: new Set(record.roles) };
}
