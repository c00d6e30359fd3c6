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
    /** The first pause before a failed run is tried again (1 s unless given). */
    retryMs?: number;
    /** How long a run waits after it is asked for, so that what commits meanwhile joins it (none unless given). */
    batchMs?: number;
  },
): TenantWork {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let stopped = false;

  // A failed run is tried again after a pause that doubles up to a minute: without a poll (the
  // embedded database) nothing else would, and work left waiting (an entry unsequenced, say)
  // would wait for the tenant's next change.
  const retries = new Map<string, { delayMs: number; timer?: ReturnType<typeof setTimeout> }>();
  const retryLater = (tenantId: string) => {
    const retry = retries.get(tenantId) ?? { delayMs: options.retryMs ?? 1_000 };
    if (retry.timer !== undefined || stopped) return;
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      retry.delayMs = Math.min(retry.delayMs * 2, 60_000);
      kick(tenantId);
    }, retry.delayMs);
    (retry.timer as { unref?: () => void }).unref?.();
    retries.set(tenantId, retry);
  };
  const run = (tenantId: string): Promise<void> => {
    // Waiting `batchMs` first lets the commits of that moment join one run.
    const gathered = options.batchMs ? new Promise<void>((r) => setTimeout(r, options.batchMs)) : Promise.resolve();
    const p = gathered
      .then(() => work(tenantId))
      .then(
        () => {
          const retry = retries.get(tenantId);
          if (retry?.timer === undefined) retries.delete(tenantId);
        },
        (e: unknown) => {
          options.onError(tenantId, e);
          retryLater(tenantId);
        },
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
      for (const retry of retries.values()) if (retry.timer !== undefined) clearTimeout(retry.timer);
      await settled();
    },
  };
}
