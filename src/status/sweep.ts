import type { Logger } from '../log/logger.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import type { Metrics } from '../metrics/port.ts';
import { countPublicationFailure } from './publication-failures.ts';
import { publishList, staleLists, type PublishDeps } from './publish.ts';

/**
 * The scheduled half of publication (beside the re-signing that follows each change): signs
 * every list that has no copy yet, is behind its changes, was signed by a key that no longer
 * signs, or nears expiry. Safe on every instance at once: a slower copy never replaces a newer.
 */
export async function republishStaleLists(
  deps: PublishDeps & { log: Logger; metrics?: Metrics },
): Promise<{ published: number; failed: number }> {
  const stale = await acrossTenants(deps.db, (tx) => staleLists(tx, deps.now));
  let published = 0;
  let failed = 0;
  for (const { tenant_id: tenantId, list_id: listId } of stale) {
    try {
      await publishList(deps, tenantId, listId);
      published++;
    } catch (e) {
      // One list's failure (a tenant without a usable key) must not keep the others stale.
      failed++;
      countPublicationFailure(deps.metrics, e);
      deps.log.error('status list publication failed', {
        tenant: tenantId,
        list: listId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return { published, failed };
}
