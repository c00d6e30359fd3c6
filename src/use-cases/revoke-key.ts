import { ensureKeys, markKeyRevoked, type RotationContext } from '../keys/rotation.ts';
import { findKey } from '../keys/key-store.ts';
import type { KeyRecord } from '../keys/lifecycle.ts';
import { revokeAll, type StatusChangeOutcome } from '../status/changes.ts';
import { listsSignedBy } from '../status/store.ts';
import { withTenant } from '../store/tenant-scope.ts';

// Here rather than in keys/: revoking a key also revokes the credentials it signed, which is the
// status domain's work, and keys sit below status.

export interface RevokedKey {
  readonly key: KeyRecord;
  /** The credentials the key signed, revoked with it. */
  readonly credentials: StatusChangeOutcome;
  /** Lists to re-sign now: those the revocations changed and those whose current copy the key signed. */
  readonly lists: readonly string[];
}

/**
 * Marks a key compromised: it leaves the JWKS and DID document at once and everything it
 * signed stops verifying. Every credential it signed is revoked in the same transaction, so a
 * verifier holding an old copy of the DID document (an offline auditor) still learns of it.
 * If it was signing, the waiting key takes over so issuance never stops; if it was waiting,
 * a new one replaces it.
 */
export function revokeKey(ctx: RotationContext, tenantId: string, kid: string, reason: string): Promise<RevokedKey> {
  return withTenant(ctx.db, tenantId, async (tx) => {
    const state = await markKeyRevoked(tx, ctx, tenantId, kid, reason);
    const credentials = await revokeAll(tx, ctx, tenantId, { kid }, `signing key revoked: ${reason}`.slice(0, 500));
    if (state === 'active' || state === 'next') await ensureKeys(tx, ctx, tenantId);
    const signedBy = await listsSignedBy(tx, tenantId, kid);
    return { key: (await findKey(tx, tenantId, kid))!, credentials, lists: [...new Set([...credentials.lists, ...signedBy])] };
  });
}
