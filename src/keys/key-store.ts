import type { Queryable } from '../store/port.ts';
import type { KeyRecord } from './lifecycle.ts';
import type { PublicJwk } from './key-crypto.ts';
import type { KeyPolicy, SigningAlgorithm } from './policy.ts';
import { notePublicationChange } from '../store/publication-changes.ts';
import { keyEntry } from '../transparency/events.ts';
import { appendEntries } from '../transparency/store.ts';

/*
 * The keys domain's SQL, all of it: the signing_keys rows, and the two columns of the tenants
 * row that keys decide (the key policy, and the lock every rotation of a tenant takes on it).
 * Callers own the transaction and pass it in; nothing here opens one.
 */

interface KeyRow {
  tenant_id: string;
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: PublicJwk;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  publish_until: Date | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  signed_until: Date | null;
}

const COLUMNS = `tenant_id, kid, alg, public_jwk, created_at, activated_at, retired_at, publish_until,
  revoked_at, revocation_reason, signed_until`;

function toRecord(r: KeyRow): KeyRecord {
  return {
    tenantId: r.tenant_id,
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
    retiredAt: r.retired_at,
    publishUntil: r.publish_until,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    signedUntil: r.signed_until,
  };
}

/** Every key the tenant ever had, oldest first: the history is small (a few keys a year). */
export async function listKeys(tx: Queryable, tenantId: string): Promise<KeyRecord[]> {
  const rows = await tx.query<KeyRow>(`select ${COLUMNS} from signing_keys where tenant_id = $1 order by created_at, kid`, [tenantId]);
  return rows.map(toRecord);
}

export async function findKey(tx: Queryable, tenantId: string, kid: string): Promise<KeyRecord | undefined> {
  const rows = await tx.query<KeyRow>(`select ${COLUMNS} from signing_keys where tenant_id = $1 and kid = $2`, [tenantId, kid]);
  return rows[0] && toRecord(rows[0]);
}

export interface NewKeyRow {
  tenantId: string;
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicJwk;
  sealedPrivateJwk: string;
  kekId: string;
  createdAt: Date;
  activatedAt: Date | null;
}

export async function insertKey(tx: Queryable, k: NewKeyRow): Promise<void> {
  notePublicationChange(tx, k.tenantId);
  await appendEntries(tx, k.tenantId, [
    keyEntry(k.tenantId, { type: 'key.created', kid: k.kid, at: k.createdAt }),
    ...(k.activatedAt ? [keyEntry(k.tenantId, { type: 'key.activated', kid: k.kid, at: k.activatedAt })] : []),
  ]);
  await tx.query(
    `insert into signing_keys (tenant_id, kid, alg, public_jwk, private_jwk_enc, kek_id, created_at, activated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [k.tenantId, k.kid, k.alg, k.publicJwk, k.sealedPrivateJwk, k.kekId, k.createdAt, k.activatedAt],
  );
}

export async function retireKey(tx: Queryable, tenantId: string, kid: string, at: Date, publishUntil: Date): Promise<void> {
  notePublicationChange(tx, tenantId);
  await appendEntries(tx, tenantId, [keyEntry(tenantId, { type: 'key.retired', kid, at })]);
  await tx.query(
    // A key that signed something valid beyond the policy window stays published until that expires.
    `update signing_keys set retired_at = $3, publish_until = greatest($4::timestamptz, coalesce(signed_until, $4::timestamptz))
     where tenant_id = $1 and kid = $2`,
    [tenantId, kid, at, publishUntil],
  );
}

export async function activateKey(tx: Queryable, tenantId: string, kid: string, at: Date): Promise<void> {
  notePublicationChange(tx, tenantId);
  await appendEntries(tx, tenantId, [keyEntry(tenantId, { type: 'key.activated', kid, at })]);
  await tx.query('update signing_keys set activated_at = $3 where tenant_id = $1 and kid = $2', [tenantId, kid, at]);
}

export async function markRevoked(tx: Queryable, tenantId: string, kid: string, at: Date, reason: string): Promise<void> {
  notePublicationChange(tx, tenantId);
  await appendEntries(tx, tenantId, [keyEntry(tenantId, { type: 'key.revoked', kid, at, reason })]);
  await tx.query('update signing_keys set revoked_at = $3, revocation_reason = $4 where tenant_id = $1 and kid = $2', [
    tenantId,
    kid,
    at,
    reason,
  ]);
}

/**
 * Records that the key signed something valid until `until`, if that is later than what it
 * recorded: retiring the key keeps it published that long. Written only when it grows, so the
 * key's row, shared by every issuance, is locked about once a day rather than per credential.
 */
export async function extendSignedUntil(tx: Queryable, tenantId: string, kid: string, until: Date): Promise<void> {
  await tx.query(
    'update signing_keys set signed_until = $3 where tenant_id = $1 and kid = $2 and (signed_until is null or signed_until < $3)',
    [tenantId, kid, until],
  );
}

/** The sealed private key of one key, for the signer. Never leaves the keys module in clear. */
export async function sealedPrivateKey(
  tx: Queryable,
  tenantId: string,
  kid: string,
): Promise<{ sealed: string; kekId: string } | undefined> {
  const rows = await tx.query<{ private_jwk_enc: string; kek_id: string }>(
    'select private_jwk_enc, kek_id from signing_keys where tenant_id = $1 and kid = $2',
    [tenantId, kid],
  );
  return rows[0] && { sealed: rows[0].private_jwk_enc, kekId: rows[0].kek_id };
}

/** The next keys, in (tenant, kid) order after `after`, still sealed under `kekId`: one batch of a KEK rotation. */
export async function keysSealedUnder(
  tx: Queryable,
  kekId: string,
  after: { tenantId: string; kid: string } | undefined,
  limit: number,
): Promise<{ tenantId: string; kid: string }[]> {
  const rows = await tx.query<{ tenant_id: string; kid: string }>(
    `select tenant_id, kid from signing_keys
      where kek_id = $1 and (tenant_id, kid) > ($2, $3)
      order by tenant_id, kid limit $4`,
    [kekId, after?.tenantId ?? '', after?.kid ?? '', limit],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kid: r.kid }));
}

/** The sealed key with its row locked, so two re-sealing runs cannot both rewrite it. */
export async function lockSealedPrivateKey(
  tx: Queryable,
  tenantId: string,
  kid: string,
): Promise<{ sealed: string; kekId: string } | undefined> {
  const rows = await tx.query<{ private_jwk_enc: string; kek_id: string }>(
    'select private_jwk_enc, kek_id from signing_keys where tenant_id = $1 and kid = $2 for update',
    [tenantId, kid],
  );
  return rows[0] && { sealed: rows[0].private_jwk_enc, kekId: rows[0].kek_id };
}

export async function replaceSealedPrivateKey(tx: Queryable, tenantId: string, kid: string, sealed: string, kekId: string): Promise<void> {
  await tx.query('update signing_keys set private_jwk_enc = $3, kek_id = $4 where tenant_id = $1 and kid = $2', [
    tenantId,
    kid,
    sealed,
    kekId,
  ]);
}

/** How many keys each KEK id seals, across every key ever made (retired and revoked ones too). */
export async function keysPerKek(tx: Queryable): Promise<{ kekId: string; keys: number }[]> {
  const rows = await tx.query<{ kek_id: string; n: number }>(
    'select kek_id, count(*)::int as n from signing_keys group by kek_id order by kek_id',
  );
  return rows.map((r) => ({ kekId: r.kek_id, keys: r.n }));
}

/**
 * Every sealed key, credential signing keys and tenant log keys alike, with what decides whether
 * it may still sign: for the doctor's "the KEK opens every key".
 */
export async function allSealedKeys(
  tx: Queryable,
): Promise<{ kind: 'signing' | 'log'; tenantId: string; kid: string; kekId: string; sealed: string; mayStillSign: boolean }[]> {
  const rows = await tx.query<{
    kind: 'signing' | 'log';
    tenant_id: string;
    kid: string;
    kek_id: string;
    sealed: string;
    may_sign: boolean;
  }>(
    `select 'signing' as kind, tenant_id, kid, kek_id, private_jwk_enc as sealed, (retired_at is null and revoked_at is null) as may_sign
       from signing_keys
     union all
     select 'log', tenant_id, kid, kek_id, sealed, retired_at is null from log_keys
     order by tenant_id, kind desc, kid`,
  );
  return rows.map((r) => ({
    kind: r.kind,
    tenantId: r.tenant_id,
    kid: r.kid,
    kekId: r.kek_id,
    sealed: r.sealed,
    mayStillSign: r.may_sign,
  }));
}

/**
 * Keys that may still have to sign (waiting or signing, not revoked) sealed under neither of two
 * KEK ids. Both parameters are plain text: lists travel badly through the two adapters (see port.ts).
 */
export async function signingKeysSealedUnderNeither(
  tx: Queryable,
  kekId: string,
  otherKekId: string,
): Promise<{ tenantId: string; kid: string; kekId: string }[]> {
  const rows = await tx.query<{ tenant_id: string; kid: string; kek_id: string }>(
    `select tenant_id, kid, kek_id from signing_keys
       where retired_at is null and revoked_at is null and kek_id <> $1 and kek_id <> $2 order by tenant_id, kid`,
    [kekId, otherKekId],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kid: r.kid, kekId: r.kek_id }));
}

/** Every sealed key that may still have to sign (waiting or signing, not revoked), across tenants. */
export async function sealedSigningKeys(tx: Queryable): Promise<{ tenantId: string; kid: string; kekId: string; sealed: string }[]> {
  const rows = await tx.query<{ tenant_id: string; kid: string; kek_id: string; private_jwk_enc: string }>(
    `select tenant_id, kid, kek_id, private_jwk_enc from signing_keys
       where retired_at is null and revoked_at is null order by tenant_id, kid`,
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kid: r.kid, kekId: r.kek_id, sealed: r.private_jwk_enc }));
}

/**
 * The tenant's key policy as stored, with the tenant row locked (undefined: no such tenant): every
 * rotation, revocation and key bootstrap of a tenant runs one at a time, on every instance.
 */
export async function lockKeyPolicy(tx: Queryable, tenantId: string): Promise<{ keyPolicy: unknown } | undefined> {
  const rows = await tx.query<{ key_policy: unknown }>('select key_policy from tenants where id = $1 for update', [tenantId]);
  return rows[0] && { keyPolicy: rows[0].key_policy };
}

export async function writeKeyPolicy(tx: Queryable, tenantId: string, policy: KeyPolicy): Promise<void> {
  notePublicationChange(tx, tenantId);
  await tx.query('update tenants set key_policy = $2 where id = $1', [tenantId, policy]);
}

/**
 * Every tenant id, the platform's included, for the rotation sweep. Read here rather than through
 * tenants/: a tenant is created with its keys, so tenants sits above keys and keys cannot call it.
 */
export async function allTenantIds(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ id: string }>('select id from tenants order by id');
  return rows.map((r) => r.id);
}

/** A tenant log's key as stored (keys/log-key.ts): sealed like a signing key, bound to a `log:` name. */
export interface StoredLogKey {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  readonly sealed: string;
  readonly kekId: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

interface LogKeyRow {
  kid: string;
  public_jwk: PublicJwk;
  sealed: string;
  kek_id: string;
  created_at: Date;
  retired_at: Date | null;
}

const toLogKey = (r: LogKeyRow): StoredLogKey => ({
  kid: r.kid,
  publicJwk: r.public_jwk,
  sealed: r.sealed,
  kekId: r.kek_id,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

/** Every log key the tenant has had, oldest first: the current one has no retiredAt. */
export async function logKeys(tx: Queryable, tenantId: string): Promise<StoredLogKey[]> {
  const rows = await tx.query<LogKeyRow>(
    'select kid, public_jwk, sealed, kek_id, created_at, retired_at from log_keys where tenant_id = $1 order by created_at, kid',
    [tenantId],
  );
  return rows.map(toLogKey);
}

export async function insertLogKey(
  tx: Queryable,
  tenantId: string,
  k: { kid: string; publicJwk: PublicJwk; sealed: string; kekId: string; createdAt: Date },
): Promise<void> {
  notePublicationChange(tx, tenantId);
  await tx.query('insert into log_keys (tenant_id, kid, public_jwk, sealed, kek_id, created_at) values ($1, $2, $3, $4, $5, $6)', [
    tenantId,
    k.kid,
    k.publicJwk,
    k.sealed,
    k.kekId,
    k.createdAt,
  ]);
}

/** Retires the tenant log's current key (it stays published, so the checkpoints it signed still open); its kid, if it had one. */
export async function retireCurrentLogKey(tx: Queryable, tenantId: string, at: Date): Promise<string | undefined> {
  notePublicationChange(tx, tenantId);
  const [row] = await tx.query<{ kid: string }>(
    'update log_keys set retired_at = $2 where tenant_id = $1 and retired_at is null returning kid',
    [tenantId, at],
  );
  return row?.kid;
}

/** Log keys still sealed under `kekId`, for a KEK rotation: every one, retired or not (all are small in number). */
export async function logKeysSealedUnder(tx: Queryable, kekId: string): Promise<{ tenantId: string; kid: string; sealed: string }[]> {
  const rows = await tx.query<{ tenant_id: string; kid: string; sealed: string }>(
    'select tenant_id, kid, sealed from log_keys where kek_id = $1 order by tenant_id, kid for update',
    [kekId],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kid: r.kid, sealed: r.sealed }));
}

export async function replaceSealedLogKey(tx: Queryable, tenantId: string, kid: string, sealed: string, kekId: string): Promise<void> {
  await tx.query('update log_keys set sealed = $3, kek_id = $4 where tenant_id = $1 and kid = $2', [tenantId, kid, sealed, kekId]);
}
