import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import { kekFor, openPrivateJwk, type KeyEncryptionKey } from './key-crypto.ts';
import { sealedSigningKeys, signingKeysSealedUnderNeither } from './key-store.ts';

/**
 * Keys that may still have to sign (waiting or signing, not revoked) but were sealed under a
 * KEK this process does not hold (neither the current nor, during a rotation, the previous). A
 * non-empty answer at start-up means the service was given the wrong KEY_ENCRYPTION_KEY; retired keys are never decrypted again, so they do not count.
 */
export async function keysSealedUnderOtherKek(
  db: Database,
  kek: KeyEncryptionKey,
): Promise<{ tenantId: string; kid: string; kekId: string }[]> {
  return acrossTenants(db, (tx) => signingKeysSealedUnderNeither(tx, kek.id, kek.previous?.id ?? kek.id));
}

/**
 * Keys that may still have to sign (waiting or signing, not revoked) which this process's KEKs
 * do not open: each is decrypted with the KEK it was sealed under (the current one or, while a
 * rotation is under way, the previous one), so a damaged ciphertext counts as well as a foreign
 * KEK. A platform operation across tenants; the private keys it opens are dropped at once.
 */
export async function keysTheKekCannotOpen(db: Database, kek: KeyEncryptionKey): Promise<{ tenantId: string; kid: string }[]> {
  const keys = await acrossTenants(db, sealedSigningKeys);
  const failed: { tenantId: string; kid: string }[] = [];
  for (const k of keys) {
    try {
      await openPrivateJwk(kekFor(kek, k.kekId) ?? kek, k.tenantId, k.kid, k.sealed);
    } catch {
      failed.push({ tenantId: k.tenantId, kid: k.kid });
    }
  }
  return failed;
}
