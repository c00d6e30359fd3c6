import type { Database } from '../store/port.ts';
import { onCommittedLogAppend } from '../store/publication-changes.ts';
import { acrossTenants } from '../store/tenant-scope.ts';
import { tenantsWithPending } from './store.ts';

/*
 * When the sequencer runs (docs/transparency-log.md, When). A process sequences a tenant as soon
 * as one of its own transactions commits an entry (announced in process, as the projection
 * learns of its own changes), and polls for entries other processes wrote. Runs of one tenant
 * never overlap within a process: a kick during a run asks for one more run after it, which
 * takes every entry committed meanwhile. Across processes the head's row lock does the same.
 */

export interface Sequencing {
  /** Sequences the tenant soon: now if it is idle, else right after the run under way. */
  kick(tenantId: string): void;
  /** Resolves once every run asked for so far has ended (tests; a clean stop). */
  settled(): Promise<void>;
  /** Finds every tenant with pending entries and kicks it (the poll, and a start's catch-up). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export function startSequencing(
  db: Database,
  sequence: (tenantId: string) => Promise<unknown>,
  options: { pollMs: number | false; onError: (tenantId: string, e: unknown) => void },
): Sequencing {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let stopped = false;

  const run = (tenantId: string): Promise<void> => {
    const p = sequence(tenantId)
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
    const tenants = await acrossTenants(db, tenantsWithPending);
    for (const t of tenants) kick(t);
  };
  const unsubscribe = onCommittedLogAppend((tenantId, committedTo) => {
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
