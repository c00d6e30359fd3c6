import { recordEvent, type Actor } from '../audit/events.ts';
import { heldKek, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import { logKeySigner, logOrigin, logVerifierKey, replaceLogKey } from '../keys/log-key.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { requireTenant } from '../tenants/tenants.ts';
import { claimedCheckpoint, checkpointText } from '../transparency/checkpoint.ts';
import { signNote } from '../transparency/note.ts';
import { lockHead, resignHead } from '../transparency/store.ts';

// Here rather than in keys/ or transparency/: the rotation takes the log head's lock and signs
// its checkpoint (transparency) with keys the keys domain keeps, and is audited.

export interface LogKeyRotation {
  /** The kid of the key retired (still published), if the log had one. */
  readonly retiredKid: string | null;
  readonly kid: string;
  /** The new key's verifier key text (name+hash+keydata), as `GET /t/{t}/log/key` now serves it. */
  readonly verifierKey: string;
  /** The log's size when the key changed: its checkpoint of that size is now signed by both keys. */
  readonly size: number;
}

/**
 * Replaces a tenant log's key (docs/transparency-log.md, The log key). Under the log head's lock,
 * so no sequencer run signs with the old key once this commits: the old key is retired (it stays
 * in the DID document and the trust bundle, so every checkpoint it signed still opens), the new
 * one made and sealed under the current KEK, and the head's checkpoint signed again by the new
 * key and the old one together. That checkpoint is the hand-over: a witness or an auditor who
 * knows only the old key sees the old key vouch for the tree the new key signs from then on.
 */
export async function rotateLogKey(
  deps: { db: Database; kek: KeyEncryptionKey; publicUrl: URL; now: Date; actor: Actor },
  tenantId: string,
): Promise<LogKeyRotation> {
  await requireTenant(deps.db, tenantId);
  return withTenant(deps.db, tenantId, async (tx) => {
    const head = await lockHead(tx, tenantId, logOrigin(deps.publicUrl, tenantId));
    const { retired, current } = await replaceLogKey(tx, deps.kek, tenantId, deps.now);
    if (head.checkpoint !== null) {
      const text = checkpointText(claimedCheckpoint(head.checkpoint));
      const signers = [await logKeySigner(deps.kek, tenantId, { ...current, origin: head.origin })];
      if (retired)
        signers.push(
          await logKeySigner(heldKek(deps.kek, retired.kekId, `the log key ${retired.kid} of tenant ${tenantId}`), tenantId, {
            ...retired,
            origin: head.origin,
          }),
        );
      await resignHead(tx, tenantId, await signNote(text, signers), deps.now);
    }
    await recordEvent(tx, {
      tenantId,
      at: deps.now,
      actor: deps.actor,
      action: 'log_key.rotated',
      target: current.kid,
      detail: { retired_kid: retired?.kid ?? null, size: head.size },
    });
    return {
      retiredKid: retired?.kid ?? null,
      kid: current.kid,
      verifierKey: await logVerifierKey({ origin: head.origin, publicJwk: current.publicJwk }),
      size: head.size,
    };
  });
}
