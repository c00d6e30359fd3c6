import type { Database, Queryable } from '../store/port.ts';
import { readDeploymentForUpdate, recordOrigin, type Deployment } from './store.ts';

/**
 * A process whose PUBLIC_URL is not the deployment's origin. It must not sign: status lists and
 * credentials it signed would name URLs and DIDs no verifier can match to what was issued.
 */
export class OriginMismatchError extends Error {
  override readonly name = 'OriginMismatchError';
}

const MOVE_HINT =
  'to move the deployment deliberately, run `launchproof origin set URL` (a move changes every did:web identifier: credentials issued under the old origin stop resolving unless it keeps serving them)';

export function mismatchMessage(recorded: string, ours: string): string {
  return (
    `this process's origin ${ours} (PUBLIC_URL, or http://localhost:$PORT when unset) differs from the deployment's recorded origin ${recorded}; ` +
    `it refuses to sign, since its DIDs and status-list URLs would not match the credentials already issued. ` +
    `Set PUBLIC_URL=${recorded}; ${MOVE_HINT}.`
  );
}

/**
 * Checks this process's origin against the recorded one, under the row's lock so two first
 * starts agree. `record` (init, the server, the Worker: processes whose origin is by definition
 * the deployment's) records it when none is; `check` (console commands) refuses instead, so a
 * shell missing PUBLIC_URL can never be the one that decides the origin.
 */
export function ensureOrigin(db: Database, origin: URL, mode: 'record' | 'check', at: Date): Promise<Deployment> {
  return db.transaction(async (tx) => {
    const current = await readDeploymentForUpdate(tx);
    if (current.origin === null) {
      if (mode === 'check') {
        throw new OriginMismatchError(
          "this database has no recorded origin yet; run `launchproof init` (or start the server) with PUBLIC_URL set to the deployment's public origin first",
        );
      }
      await recordOrigin(tx, origin.origin, at);
      return { ...current, origin: origin.origin };
    }
    if (current.origin !== origin.origin) throw new OriginMismatchError(mismatchMessage(current.origin, origin.origin));
    return current;
  });
}

/** Records a new origin on purpose (`launchproof origin set`): the only way the origin ever changes. */
export async function moveOrigin(tx: Queryable, origin: URL, at: Date): Promise<{ from: string | null; to: string }> {
  const current = await readDeploymentForUpdate(tx);
  await recordOrigin(tx, origin.origin, at);
  return { from: current.origin, to: origin.origin };
}
