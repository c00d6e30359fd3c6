import type { Queryable } from '../store/port.ts';
import { randomSecret, secretHash } from './secrets.ts';
import { deleteSomeExpiredNonces, insertNonce, spendNonce } from './store.ts';

/** A proof is built right after the nonce is fetched; five minutes covers a slow wallet. */
export const NONCE_LIFETIME_SECONDS = 300;

export async function issueNonce(tx: Queryable, tenantId: string, now: Date): Promise<{ nonce: string; expiresIn: number }> {
  const nonce = randomSecret();
  // Expired nonces are useless: each issuance sweeps a few, so the table stays the size of the traffic.
  await deleteSomeExpiredNonces(tx, tenantId, now);
  await insertNonce(tx, tenantId, await secretHash(nonce), now, new Date(now.getTime() + NONCE_LIFETIME_SECONDS * 1000));
  return { nonce, expiresIn: NONCE_LIFETIME_SECONDS };
}

/** Spends a nonce: true exactly once for a nonce this tenant issued and that has not expired. */
export async function consumeNonce(tx: Queryable, tenantId: string, nonce: string, now: Date): Promise<boolean> {
  return spendNonce(tx, tenantId, await secretHash(nonce), now);
}
