import type { Database } from '../store/port.ts';
import { onCommittedLogAppend } from '../store/publication-changes.ts';
import { startTenantWork, type TenantWork } from '../store/tenant-work.ts';
import { tenantsWithPending } from './store.ts';

/*
 * When the sequencer runs (docs/transparency-log.md, When). A process sequences a tenant as soon
 * as one of its own transactions commits an entry (announced in process, as the projection
 * learns of its own changes), and polls for entries other processes wrote. Runs of one tenant
 * never overlap within a process (store/tenant-work.ts); across processes the head's row lock
 * does the same.
 */

export type Sequencing = TenantWork;

export function startSequencing(
  db: Database,
  sequence: (tenantId: string) => Promise<unknown>,
  options: { pollMs: number | false; onError: (tenantId: string, e: unknown) => void; batchMs?: number },
): Sequencing {
  return startTenantWork(db, sequence, {
    batchMs: SEQUENCER_BATCH_MS,
    ...options,
    waiting: tenantsWithPending,
    subscribe: onCommittedLogAppend,
  });
}

/**
 * A run waits this long after the commit that asked for it: under load, the entries of that moment
 * share one run (four statements and one signature) instead of each paying for its own, and a
 * position still appears well within the 2 s the issue allows.
 */
export const SEQUENCER_BATCH_MS = 250;
