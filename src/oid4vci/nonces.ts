import type { Queryable } from '../store/port.ts';
import { randomSecret, secretHash } from './secrets.ts';

/** A proof is built right after the nonce is fetched; five minutes covers a slow wallet. */
export const NONCE_LIFETIME_SECONDS = 300;

export async function issueNonce(tx: Queryable, tenantId: string, now: Date): Promise<{ nonce: string; expiresIn: number }> {
  const nonce = randomSecret();
  // Expired nonces are useless: each issuance sweeps a few, so the table stays the size of the traffic.
  await tx.query(
    `delete from oid4vci_nonces where tenant_id = $1 and nonce_hash in
         (select nonce_hash from oid4vci_nonces where tenant_id = $1 and expires_at <= $2 limit 100)`,
    [tenantId, now],
  );
  await tx.query('insert into oid4vci_nonces (tenant_id, nonce_hash, created_at, expires_at) values ($1, $2, $3, $4)', [
    tenantId,
    await secretHash(nonce),
    now,
    new Date(now.getTime() + NONCE_LIFETIME_SECONDS * 1000),
  ]);
  return { nonce, expiresIn: NONCE_LIFETIME_SECONDS };
}

/** Spends a nonce: true exactly once for a nonce this tenant issued and that has not expired. */
export async function consumeNonce(tx: Queryable, tenantId: string, nonce: string, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `update oid4vci_nonces set used_at = $3
     where tenant_id = $1 and nonce_hash = $2 and used_at is null and expires_at > $3 returning 1`,
    [tenantId, await secretHash(nonce), now],
  );
  return rows.length === 1;
}
