import type { Context } from 'hono';
import type { Logger } from '../log/logger.ts';
import { countPublicationFailure } from '../status/publication-failures.ts';
import { publishList } from '../status/publish.ts';
import type { AppDeps, AppEnv } from './context.ts';

/**
 * Starts `task` without making the response wait for it, and hands it to the runtime (Node's
 * background tracker, Workers' waitUntil) so it is not cut off. Its failure is logged, never
 * sent: the request it follows has already succeeded.
 */
export function afterResponse(c: Context<AppEnv>, log: Logger, what: string, task: () => Promise<unknown>): void {
  const work = Promise.resolve()
    .then(task)
    .then(
      () => undefined,
      (e: unknown) => log.error(`${what} failed`, { error: e instanceof Error ? e.message : String(e), request_id: c.get('requestId') }),
    );
  c.env.defer?.(work);
}

/** Re-signs the status lists a change touched once the response is on its way (Workers: in waitUntil). */
export function republishAfterResponse(c: Context<AppEnv>, deps: AppDeps, tenantId: string, listIds: readonly string[]): void {
  for (const listId of listIds) {
    afterResponse(c, deps.log, 'status list publication', () =>
      publishList({ db: c.env.db, kek: deps.kek, origin: deps.config.publicUrl, now: deps.clock() }, tenantId, listId).catch(
        (e: unknown) => {
          countPublicationFailure(deps.metrics, e);
          throw e;
        },
      ),
    );
  }
}
