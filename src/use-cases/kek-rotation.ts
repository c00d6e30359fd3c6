import { recordEvent, type Actor } from '../audit/events.ts';
import type { Database } from '../store/port.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID } from '../tenants/tenant-id.ts';
import { openPrivateJwk, sealPrivateJwk, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import {
  keysPerKek,
  keysSealedUnder,
  lockSealedPrivateKey,
  logKeysSealedUnder,
  replaceSealedLogKey,
  replaceSealedPrivateKey,
} from '../keys/key-store.ts';
import { resealLogKey } from '../keys/log-key.ts';
import { resealWebhookSecret } from '../webhooks/secrets.ts';
import { replaceSealedWebhookSecret, webhookSecretsSealedUnder } from '../webhooks/store.ts';

// Here rather than in keys/: each run is audited in the platform tenant's log, and keys sit below
// tenants (tenants create their keys).

export interface KekRotationOutcome {
  readonly fromKekId: string;
  readonly toKekId: string;
  /** Keys this run re-sealed under the new KEK. */
  readonly resealed: number;
  /** Keys sealed under a KEK that is neither the new nor the previous one: nothing here can open them. */
  readonly unopenable: readonly { kekId: string; keys: number }[];
}

/**
 * Re-seals every private key sealed under `kek.previous` under `kek`, one key per transaction
 * with its row locked, so issuance never waits on more than one key and a run that dies half
 * way leaves every key sealed under one KEK or the other, never neither. The row's kek_id is
 * the progress record: running it again picks up the keys still under the previous KEK, and
 * two runs at once re-seal each key once. The tenant logs' keys follow, all in one transaction.
 * Audited per key (in its tenant's log, with the change) and per run (in the platform's log).
 */
export async function rotateKek(
  deps: { db: Database; kek: KeyEncryptionKey; now: () => Date; actor: Actor },
  options: { batchSize?: number } = {},
): Promise<KekRotationOutcome> {
  const previous = deps.kek.previous;
  if (!previous) throw new TypeError('rotateKek needs the previous key-encryption key beside the new one');
  const batchSize = options.batchSize ?? 100;
  const run = { from_kek_id: previous.id, to_kek_id: deps.kek.id };
  await platformEvent(deps, 'kek.rotation_started', run);

  let resealed = 0;
  let after: { tenantId: string; kid: string } | undefined;
  for (;;) {
    const batch = await acrossTenants(deps.db, (tx) => keysSealedUnder(tx, previous.id, after, batchSize));
    for (const { tenantId, kid } of batch) {
      const changed = await withTenant(deps.db, tenantId, async (tx) => {
        const sealed = await lockSealedPrivateKey(tx, tenantId, kid);
        // Another run got here first: the lock made it wait, and the row says it is done.
        if (!sealed || sealed.kekId !== previous.id) return false;
        const jwk = await openPrivateJwk(previous, tenantId, kid, sealed.sealed);
        await replaceSealedPrivateKey(tx, tenantId, kid, await sealPrivateJwk(deps.kek, tenantId, kid, jwk), deps.kek.id);
        await recordEvent(tx, { tenantId, at: deps.now(), actor: deps.actor, action: 'key.resealed', target: kid, detail: run });
        return true;
      });
      if (changed) resealed++;
    }
    if (batch.length < batchSize) break;
    after = batch[batch.length - 1];
  }

  // The tenant logs' keys: one per tenant, few enough for one transaction with every row locked.
  resealed += await acrossTenants(deps.db, async (tx) => {
    const keys = await logKeysSealedUnder(tx, previous.id);
    for (const k of keys) {
      await replaceSealedLogKey(tx, k.tenantId, k.kid, await resealLogKey(previous, deps.kek, k.tenantId, k.kid, k.sealed), deps.kek.id);
      await recordEvent(tx, {
        tenantId: k.tenantId,
        at: deps.now(),
        actor: deps.actor,
        action: 'log_key.resealed',
        target: k.kid,
        detail: run,
      });
    }
    return keys.length;
  });

  // The webhook endpoints' secrets (and a previous secret still in its overlap) the same way: the
  // dispatcher must open them to sign, and would fail once the previous KEK is dropped.
  resealed += await acrossTenants(deps.db, async (tx) => {
    const secrets = await webhookSecretsSealedUnder(tx, previous.id);
    for (const s of secrets) {
      const sealed = await resealWebhookSecret(previous, deps.kek, s.tenantId, s.id, s.sealed);
      await replaceSealedWebhookSecret(tx, s.tenantId, s.id, s.which, { was: s.sealed, sealed, kekId: deps.kek.id });
    }
    return secrets.length;
  });

  const unopenable = (await acrossTenants(deps.db, (tx) => keysPerKek(tx))).filter((k) => k.kekId !== deps.kek.id);
  await platformEvent(deps, 'kek.rotation_finished', { ...run, resealed, unopenable_keys: unopenable.reduce((n, k) => n + k.keys, 0) });
  return { fromKekId: previous.id, toKekId: deps.kek.id, resealed, unopenable };
}

async function platformEvent(
  deps: { db: Database; now: () => Date; actor: Actor },
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await withTenant(deps.db, PLATFORM_TENANT_ID, (tx) =>
    recordEvent(tx, { tenantId: PLATFORM_TENANT_ID, at: deps.now(), actor: deps.actor, action, detail }),
  );
}
