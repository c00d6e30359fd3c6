import { AppError } from '../errors/index.ts';
import { recordEvent, type Actor } from '../audit/events.ts';
import type { Metrics } from '../metrics/port.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { generateSigningKey, sealPrivateJwk, type KeyEncryptionKey } from './key-crypto.ts';
import { keyState, type KeyRecord, type KeyState } from './lifecycle.ts';
import { activateKey, findKey, insertKey, listKeys, lockKeyPolicy, markRevoked, retireKey, writeKeyPolicy } from './key-store.ts';
import { DAY_MS, keyPolicySchema, type KeyPolicy } from './policy.ts';

export interface RotationContext {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly now: Date;
  readonly actor: Actor;
  readonly metrics?: Metrics;
}

export interface RotationOutcome {
  /** True when the signing key changed in this call. */
  readonly rotated: boolean;
  readonly activeKid: string;
  readonly nextKid: string;
  readonly retiredKid?: string;
}

/**
 * Takes the tenant row lock: every rotation, revocation and key bootstrap of a tenant runs one
 * at a time, on every instance, so two schedulers firing together produce one rotation.
 */
async function lockTenantPolicy(tx: Queryable, tenantId: string): Promise<KeyPolicy> {
  const row = await lockKeyPolicy(tx, tenantId);
  if (!row) throw new AppError('tenant_not_found', `tenant ${tenantId} does not exist`);
  return keyPolicySchema.parse(row.keyPolicy);
}

async function createKey(tx: Queryable, ctx: RotationContext, tenantId: string, policy: KeyPolicy, activate: boolean): Promise<string> {
  const key = await generateSigningKey(policy.algorithm);
  await insertKey(tx, {
    tenantId,
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk,
    sealedPrivateJwk: await sealPrivateJwk(ctx.kek, tenantId, key.kid, key.privateJwk),
    kekId: ctx.kek.id,
    createdAt: ctx.now,
    activatedAt: activate ? ctx.now : null,
  });
  return key.kid;
}

function current(keys: readonly KeyRecord[], now: Date) {
  return {
    active: keys.find((k) => keyState(k, now) === 'active'),
    // A waiting key created by a rotation "in the future" of `now` cannot exist: created_at <= now always.
    next: keys.find((k) => keyState(k, now) === 'next'),
  };
}

/**
 * Brings the tenant's keys to a valid state and rotates when asked or when due. With the
 * tenant lock held it re-reads the keys, so a rotation another instance just did makes this
 * one a no-op instead of a second rotation.
 */
async function rotateLocked(tx: Queryable, ctx: RotationContext, tenantId: string, force: boolean): Promise<RotationOutcome> {
  const policy = await lockTenantPolicy(tx, tenantId);
  const { active, next } = current(await listKeys(tx, tenantId), ctx.now);
  const due = active !== undefined && ctx.now.getTime() - active.activatedAt!.getTime() >= policy.rotationPeriodDays * DAY_MS;

  if (active && !force && !due) {
    const nextKid = next?.kid ?? (await createKey(tx, ctx, tenantId, policy, false));
    return { rotated: false, activeKid: active.kid, nextKid };
  }

  if (active) await retireKey(tx, tenantId, active.kid, ctx.now, new Date(ctx.now.getTime() + policy.retiredPublishDays * DAY_MS));
  let activeKid: string;
  if (next) {
    await activateKey(tx, tenantId, next.kid, ctx.now);
    activeKid = next.kid;
  } else {
    activeKid = await createKey(tx, ctx, tenantId, policy, true);
  }
  const nextKid = await createKey(tx, ctx, tenantId, policy, false);
  await recordEvent(tx, {
    tenantId,
    at: ctx.now,
    actor: ctx.actor,
    action: active ? 'key.rotated' : 'key.initialised',
    target: activeKid,
    detail: { retired: active?.kid ?? null, next: nextKid, reason: force ? 'requested' : active ? 'scheduled' : 'no active key' },
  });
  // Counted in the transaction, like the audit event beside it: rotation is not retried, so only a
  // failure after this point (rare) would count a rotation that did not happen.
  ctx.metrics?.record({ kind: 'key_rotated', trigger: force ? 'requested' : active ? 'scheduled' : 'no_active_key' });
  return { rotated: true, activeKid, nextKid, ...(active ? { retiredKid: active.kid } : {}) };
}

/** Ensures an active and a next key exist, rotating only when the policy says it is due. */
export function rotateIfDue(ctx: RotationContext, tenantId: string): Promise<RotationOutcome> {
  return withTenant(ctx.db, tenantId, (tx) => rotateLocked(tx, ctx, tenantId, false));
}

/** Rotates now: the waiting key starts signing, the signing key retires, a new key waits. */
export function rotateNow(ctx: RotationContext, tenantId: string): Promise<RotationOutcome> {
  return withTenant(ctx.db, tenantId, (tx) => rotateLocked(tx, ctx, tenantId, true));
}

/**
 * Ensures an active and a next key exist inside the caller's tenant transaction: tenant creation,
 * and the replacement of a revoked key.
 */
export function ensureKeys(tx: Queryable, ctx: RotationContext, tenantId: string): Promise<RotationOutcome> {
  return rotateLocked(tx, ctx, tenantId, false);
}

/**
 * Marks a key compromised, inside the caller's tenant transaction, with the tenant lock held: it
 * leaves the JWKS and DID document at once. Returns the state it was in, so the caller knows
 * whether a replacement must be brought in (`ensureKeys`). Revoking what the key signed is the
 * caller's part (use-cases/revoke-key.ts): keys sit below status and cannot reach it from here.
 */
export async function markKeyRevoked(
  tx: Queryable,
  ctx: RotationContext,
  tenantId: string,
  kid: string,
  reason: string,
): Promise<KeyState> {
  await lockTenantPolicy(tx, tenantId);
  const key = await findKey(tx, tenantId, kid);
  if (!key) throw new AppError('key_not_found', `tenant ${tenantId} has no key ${kid}`);
  const state = keyState(key, ctx.now);
  if (state === 'revoked') throw new AppError('key_state_conflict', `key ${kid} is already revoked`);
  await markRevoked(tx, tenantId, kid, ctx.now, reason);
  await recordEvent(tx, { tenantId, at: ctx.now, actor: ctx.actor, action: 'key.revoked', target: kid, detail: { reason, state } });
  return state;
}

/** Replaces a tenant's key policy; it applies from the next rotation on. */
export function setKeyPolicy(ctx: RotationContext, tenantId: string, policy: KeyPolicy): Promise<KeyPolicy> {
  return withTenant(ctx.db, tenantId, async (tx) => {
    await lockTenantPolicy(tx, tenantId);
    await writeKeyPolicy(tx, tenantId, policy);
    await recordEvent(tx, { tenantId, at: ctx.now, actor: ctx.actor, action: 'key_policy.updated', detail: { ...policy } });
    return policy;
  });
}
