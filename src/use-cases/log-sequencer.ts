import { heldKek, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import { ensureLogKey, logKeySigner, logOrigin } from '../keys/log-key.ts';
import type { Database } from '../store/port.ts';
import type { NoteSigner } from '../transparency/note.ts';
import type { LogSignerSource, SequencerDeps } from '../transparency/sequencer.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { placeWebhookEvents } from '../webhooks/outbox.ts';
import { eventAudience } from '../webhooks/store.ts';
import { placeShareNotices } from './share-notices.ts';
import { parseEntry } from '../transparency/entries.ts';

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
      signer = logKeySigner(heldKek(kek, key.kekId, `the log key ${key.kid} of tenant ${tenantId}`), tenantId, {
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

/**
 * How far back a share link's end may lie for the changes the sequencer reaches now to concern
 * its buyers: a change is its buyers' when the link was open as it happened, and the sequencer
 * reaches an entry within moments of its commit (a month covers a sequencer down for weeks).
 */
const SHARE_LOOKBACK_MS = 30 * 86_400_000;

/**
 * What the sequencer needs in a deployment served at `publicUrl`, on whichever database connection
 * it is handed (Workers open one per request): one log signer for all, and runs that place the
 * webhook events and the buyers' notices of what they sequence. Every sequencer of the service
 * is made here, so none sequences an entry without placing its events.
 */
export function logSequencerFor(kek: KeyEncryptionKey, publicUrl: URL, now: () => Date): (db: Database) => SequencerDeps {
  const signer = logSignerSource(kek);
  const notices = { kek, publicUrl, now };
  const onSequenced: SequencerDeps['onSequenced'] = async (tx, tenantId, first, bodies) => {
    if (bodies.length === 0) return;
    const audience = await eventAudience(tx, tenantId, new Date(now().getTime() - SHARE_LOOKBACK_MS));
    if (!audience.endpoints && !audience.shares) return;
    // Read once for both: parsing checks the bytes are the entry's canonical encoding, which costs.
    const entries = bodies.map((body) => parseEntry(new TextEncoder().encode(body)));
    if (audience.endpoints) await placeWebhookEvents(tx, tenantId, first, entries);
    if (audience.shares) await placeShareNotices(notices, tx, tenantId, first, entries);
  };
  return (db) => ({ db, originOf: (tenantId) => logOrigin(publicUrl, tenantId), signer, now, onSequenced });
}

/** The sequencer of one database connection (a server's or a console command's). */
export function logSequencerDeps(db: Database, kek: KeyEncryptionKey, publicUrl: URL, now: () => Date): SequencerDeps {
  return logSequencerFor(kek, publicUrl, now)(db);
}
