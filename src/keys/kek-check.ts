import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import { kekFor, openPrivateJwk, type KeyEncryptionKey } from './key-crypto.ts';

/**
 * Keys that may still have to sign (waiting or signing, not revoked) but were sealed under a
 * KEK this process does not hold (neither the current nor, during a rotation, the previous). A
 * non-empty answer at start-up means the service was given the wrong KEY_ENCRYPTION_KEY; retired keys are never decrypted again, so they do not count.
 */
export async function keysSealedUnderOtherKek(
  db: Database,
  kek: KeyEncryptionKey,
): Promise<{ tenantId: string; kid: string; kekId: string }[]> {
  const rows = await acrossTenants(db, (tx) =>
    tx.query<{ tenant_id: string; kid: string; kek_id: string }>(
      `select tenant_id, kid, kek_id from signing_keys
       where retired_at is null and revoked_at is null and kek_id <> $1 and kek_id <> $2 order by tenant_id, kid`,
      // Both parameters are plain text: lists travel badly through the two adapters (see port.ts).
      [kek.id, kek.previous?.id ?? kek.id],
    ),
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kid: r.kid, kekId: r.kek_id }));
}

/**
 * Keys that may still have to sign (waiting or signing, not revoked) which this process's KEKs
 * do not open: each is decrypted with the KEK it was sealed under (the current one or, while a
 * rotation is under way, the previous one), so a damaged ciphertext counts as well as a foreign
 * KEK. A platform operation across tenants; the private keys it opens are dropped at once.
 */
export async function keysTheKekCannotOpen(db: Database, kek: KeyEncryptionKey): Promise<{ tenantId: string; kid: string }[]> {
  const rows = await acrossTenants(db, (tx) =>
    tx.query<{ tenant_id: string; kid: string; kek_id: string; private_jwk_enc: string }>(
      `select tenant_id, kid, kek_id, private_jwk_enc from signing_keys
       where retired_at is null and revoked_at is null order by tenant_id, kid`,
    ),
  );
  const failed: { tenantId: string; kid: string }[] = [];
  for (const r of rows) {
    try {
      await openPrivateJwk(kekFor(kek, r.kek_id) ?? kek, r.tenant_id, r.kid, r.private_jwk_enc);
    } catch {
      failed.push({ tenantId: r.tenant_id, kid: r.kid });
    }
  }
  return failed;
}
