import type { Database, Queryable } from './port.ts';
import { acrossTenants } from './tenant-scope.ts';

/*
 * Work done per tenant off the request path (the log's sequencer, the audit-export builder): run
 * as soon as one of this process's own transactions commits something for it (announced in
 * process, publication-changes.ts), and found by a poll for what other processes wrote. Runs of
 * one tenant never overlap within a process: a kick during a run asks for one more run after it,
 * which takes everything committed meanwhile. Across processes the work's own row locks do that.
 */

export interface TenantWork {
  /** Works on the tenant soon: now if it is idle, else right after the run under way. */
  kick(tenantId: string): void;
  /** Resolves once every run asked for so far has ended (tests; a clean stop). */
  settled(): Promise<void>;
  /** Finds every tenant with work waiting and kicks it (the poll, and a start's catch-up). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export function startTenantWork(
  db: Database,
  work: (tenantId: string) => Promise<unknown>,
  options: {
    /** Tenants with work waiting, read across tenants. */
    waiting: (tx: Queryable) => Promise<string[]>;
    /** Subscribes to this process's committed changes (tenant, and the database committed to); returns the unsubscribe. */
    subscribe: (listener: (tenantId: string, committedTo: Database) => void) => () => void;
    pollMs: number | false;
    onError: (tenantId: string, e: unknown) => void;
  },
): TenantWork {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let stopped = false;

  const run = (tenantId: string): Promise<void> => {
    const p = work(tenantId)
      .then(
        () => undefined,
        (e: unknown) => options.onError(tenantId, e),
      )
      .finally(() => {
        running.delete(tenantId);
        if (again.delete(tenantId) && !stopped) kick(tenantId);
      });
    running.set(tenantId, p);
    return p;
  };
  const kick = (tenantId: string) => {
    if (stopped) return;
    if (running.has(tenantId)) again.add(tenantId);
    else void run(tenantId);
  };
  const sweep = async () => {
    const tenants = await acrossTenants(db, options.waiting);
    for (const t of tenants) kick(t);
  };
  const unsubscribe = options.subscribe((tenantId, committedTo) => {
    if (committedTo === db) kick(tenantId);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = () => {
    if (options.pollMs === false || stopped) return;
    timer = setTimeout(() => {
      sweep()
        .catch((e: unknown) => options.onError('*', e))
        .finally(poll);
    }, options.pollMs);
    // The poll never holds a process open on its own.
    (timer as { unref?: () => void }).unref?.();
  };
  poll();
  const settled = async () => {
    while (running.size > 0) await Promise.all(running.values());
  };
  return {
    kick,
    settled,
    sweep,
    stop: async () => {
      stopped = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      await settled();
    },
  };
}
