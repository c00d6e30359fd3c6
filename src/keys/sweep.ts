import { SYSTEM_ACTOR } from '../audit/events.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../metrics/port.ts';
import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import type { KeyEncryptionKey } from './key-crypto.ts';
import { allTenantIds } from './key-store.ts';
import { rotateIfDue } from './rotation.ts';

/**
 * The scheduled job (a timer on Node, a Cron Trigger on Workers): rotates every tenant whose
 * signing key has reached its rotation period. Safe to run on every instance at once: each
 * tenant's rotation happens under its row lock and re-checks whether it is still due.
 */
export async function rotateDueKeys(deps: {
  db: Database;
  kek: KeyEncryptionKey;
  now: Date;
  log: Logger;
  metrics?: Metrics;
}): Promise<{ rotated: string[]; failed: string[] }> {
  const tenants = await acrossTenants(deps.db, allTenantIds);
  const rotated: string[] = [];
  const failed: string[] = [];
  for (const id of tenants) {
    try {
      const out = await rotateIfDue({ db: deps.db, kek: deps.kek, now: deps.now, actor: SYSTEM_ACTOR, metrics: deps.metrics }, id);
      if (out.rotated) {
        rotated.push(id);
        deps.log.info('key rotated', { tenant: id, active: out.activeKid, retired: out.retiredKid });
      }
    } catch (e) {
      // One tenant's failure must not stop the others from rotating.
      failed.push(id);
      deps.metrics?.record({ kind: 'key_rotation_failed' });
      deps.log.error('key rotation failed', { tenant: id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { rotated, failed };
}
