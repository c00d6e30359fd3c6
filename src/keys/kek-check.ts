import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import type { KeyEncryptionKey } from './key-crypto.ts';

/**
 * Keys that may still have to sign (waiting or signing, not revoked) but were sealed under a
 * KEK this process does not hold (neither the current nor, during a rotation, the previous). A non-empty answer at start-up means the service was given the wrong
 * KEY_ENCRYPTION_KEY; retired keys are never decrypted again, so they do not count.
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
