import { AppError } from '../errors/index.ts';
import { kekFor, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import { ensureLogKey, logKeySigner, logOrigin } from '../keys/log-key.ts';
import type { Database } from '../store/port.ts';
import type { NoteSigner } from '../transparency/note.ts';
import type { LogSignerSource, SequencerDeps } from '../transparency/sequencer.ts';
import { BoundedCache } from '../util/bounded-cache.ts';

// Here rather than in transparency/: the sequencer signs with the tenant log's key, which the
// keys domain keeps, and keys sits above transparency (it logs its own events).

/**
 * The tenant log's signer: its current key, opened with whichever KEK sealed it (a tenant made
 * before the log gets its key on the log's first run). An opened key is kept per process, as
 * the signing keys are: re-opening it on every run would cost more than the run.
 */
export function logSignerSource(kek: KeyEncryptionKey): LogSignerSource {
  const opened = new BoundedCache<Promise<NoteSigner>>(1000, 1000);
  return async (tx, tenantId, origin, now) => {
    const key = await ensureLogKey(tx, kek, tenantId, now);
    const cacheKey = `${tenantId}\u0000${key.kid}\u0000${key.kekId}\u0000${origin}`;
    let signer = opened.get(cacheKey);
    if (!signer) {
      const sealedUnder = kekFor(kek, key.kekId);
      if (!sealedUnder)
        throw new AppError(
          'signing_unavailable',
          `the log key ${key.kid} of tenant ${tenantId} is sealed under KEK ${key.kekId}, not this one`,
        );
      signer = logKeySigner(sealedUnder, tenantId, {
        origin,
        kid: key.kid,
        publicJwk: key.publicJwk,
        sealed: key.sealed,
        kekId: key.kekId,
      });
      signer.catch(() => opened.delete(cacheKey));
      opened.set(cacheKey, signer, 1);
    }
    return signer;
  };
}

/** What the sequencer needs in a deployment served at `publicUrl`. */
export function logSequencerDeps(db: Database, kek: KeyEncryptionKey, publicUrl: URL, now: () => Date): SequencerDeps {
  return { db, originOf: (tenantId) => logOrigin(publicUrl, tenantId), signer: logSignerSource(kek), now };
}
