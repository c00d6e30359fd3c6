import type { Context } from 'hono';
import { countPublicationFailure } from '../status/publication-failures.ts';
import { publishList } from '../status/publish.ts';
import type { AppDeps, AppEnv } from './context.ts';

/**
 * Re-signs the status lists a change touched before the response goes: readers never sign, so
 * a client that revoked and then reads (here, or on any instance within the freshness bound)
 * finds the list already saying so. Calls for one list coalesce (publishList). A failure does
 * not undo the change, which has committed: it is logged and counted, and the sweep signs the
 * list at its next run (a copy behind its list's changes is stale).
 */
export async function publishBeforeResponse(
  c: Context<AppEnv>,
  deps: AppDeps,
  tenantId: string,
  listIds: readonly string[],
): Promise<void> {
  const publishDeps = { db: c.env.db, kek: deps.kek, origin: deps.config.publicUrl, now: deps.clock() };
  await Promise.all(
    [...new Set(listIds)].map((listId) =>
      publishList(publishDeps, tenantId, listId).catch((e: unknown) => {
        countPublicationFailure(deps.metrics, e);
        deps.log.error('status list publication failed', {
          error: e instanceof Error ? e.message : String(e),
          tenant: tenantId,
          list: listId,
          request_id: c.get('requestId'),
        });
      }),
    ),
  );
}
