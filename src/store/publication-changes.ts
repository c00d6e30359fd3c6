import type { Database, Queryable } from './port.ts';

/**
 * This process's own changes, announced after they commit: changes to what public reads depend
 * on (for the projection), and entries appended to a tenant's log (for its sequencer).
 *
 * Every public change also bumps the tenant's row in publication_versions (a trigger, migration 8)
 * and NOTIFYs, which reaches every instance; but a notification travels on another connection
 * and may arrive after the writer has already answered its client. A client that revokes and
 * then reads must see the revocation, so the writing instance learns of its own change at
 * commit, from here. Announcing too often costs a rebuild; announcing too rarely is covered by
 * the notification (and, on PostgreSQL, the poll) within their bound. Log appends are announced
 * the same way, so that the instance that wrote an entry sequences it at once; entries other
 * instances wrote are found by the sequencer's poll. Audit-export requests are announced the same
 * way, so that the instance that took one builds it at once, and webhook events placed in the
 * outbox, so that the instance that placed them delivers them at once.
 */
type Listener = (tenantId: string) => void;
type LogListener = (tenantId: string, db: Database) => void;

/** One kind of commit-time announcement: the tenants each open transaction noted, and who listens. */
function channel<L>() {
  const listeners = new Set<L>();
  const pending = new WeakMap<Queryable, Set<string>>();
  return {
    listeners,
    note(tx: Queryable, tenantId: string): void {
      let tenants = pending.get(tx);
      if (!tenants) pending.set(tx, (tenants = new Set()));
      tenants.add(tenantId);
    },
    take(tx: Queryable): Set<string> {
      const tenants = pending.get(tx);
      pending.delete(tx);
      return tenants ?? new Set();
    },
    subscribe(listener: L): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const changes = channel<Listener>();
const logAppends = channel<LogListener>();
const exportRequests = channel<LogListener>();
const outboxEvents = channel<LogListener>();

/** Called inside a transaction that changes a tenant's keys, lists, profiles, API keys or the tenant itself. */
export function notePublicationChange(tx: Queryable, tenantId: string): void {
  changes.note(tx, tenantId);
}

/** Called inside a transaction that appends to a tenant's log. */
export function noteLogAppend(tx: Queryable, tenantId: string): void {
  logAppends.note(tx, tenantId);
}

/** Called inside a transaction that asks for an audit export of a tenant's log (its builder starts once it commits). */
export function noteExportRequest(tx: Queryable, tenantId: string): void {
  exportRequests.note(tx, tenantId);
}

/** Called inside a transaction that places events in a tenant's webhook outbox (its dispatcher starts once it commits). */
export function noteOutboxEvents(tx: Queryable, tenantId: string): void {
  outboxEvents.note(tx, tenantId);
}

/** Called by the transaction helpers once `tx`, a transaction of `db`, has committed. */
export function announceCommitted(tx: Queryable, db: Database): void {
  for (const tenant of changes.take(tx)) for (const listener of changes.listeners) listener(tenant);
  for (const c of [logAppends, exportRequests, outboxEvents])
    for (const tenant of c.take(tx)) for (const listener of c.listeners) listener(tenant, db);
}

/** Subscribes to committed changes; returns the unsubscribe. */
export const onCommittedChange = (listener: Listener) => changes.subscribe(listener);

/** Subscribes to committed log appends, with the database they were committed to; returns the unsubscribe. */
export const onCommittedLogAppend = (listener: LogListener) => logAppends.subscribe(listener);

/** Subscribes to committed audit-export requests, with the database they were committed to; returns the unsubscribe. */
export const onCommittedExportRequest = (listener: LogListener) => exportRequests.subscribe(listener);

/** Subscribes to committed outbox events, with the database they were committed to; returns the unsubscribe. */
export const onCommittedOutboxEvents = (listener: LogListener) => outboxEvents.subscribe(listener);
