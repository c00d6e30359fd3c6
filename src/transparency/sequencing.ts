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
  options: { pollMs: number | false; onError: (tenantId: string, e: unknown) => void },
): Sequencing {
  return startTenantWork(db, sequence, { ...options, waiting: tenantsWithPending, subscribe: onCommittedLogAppend });
}
