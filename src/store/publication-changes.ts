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

const listeners = new Set<Listener>();
const logListeners = new Set<LogListener>();
const pending = new WeakMap<Queryable, Set<string>>();
const pendingLog = new WeakMap<Queryable, Set<string>>();
const exportListeners = new Set<LogListener>();
const pendingExports = new WeakMap<Queryable, Set<string>>();
const outboxListeners = new Set<LogListener>();
const pendingOutbox = new WeakMap<Queryable, Set<string>>();

function note(map: WeakMap<Queryable, Set<string>>, tx: Queryable, tenantId: string): void {
  let tenants = map.get(tx);
  if (!tenants) map.set(tx, (tenants = new Set()));
  tenants.add(tenantId);
}

function take(map: WeakMap<Queryable, Set<string>>, tx: Queryable): Set<string> {
  const tenants = map.get(tx);
  map.delete(tx);
  return tenants ?? new Set();
}

/** Called inside a transaction that changes a tenant's keys, lists, profiles, API keys or the tenant itself. */
export function notePublicationChange(tx: Queryable, tenantId: string): void {
  note(pending, tx, tenantId);
}

/** Called inside a transaction that appends to a tenant's log. */
export function noteLogAppend(tx: Queryable, tenantId: string): void {
  note(pendingLog, tx, tenantId);
}

/** Called inside a transaction that asks for an audit export of a tenant's log (its builder starts once it commits). */
export function noteExportRequest(tx: Queryable, tenantId: string): void {
  note(pendingExports, tx, tenantId);
}

/** Called inside a transaction that places events in a tenant's webhook outbox (its dispatcher starts once it commits). */
export function noteOutboxEvents(tx: Queryable, tenantId: string): void {
  note(pendingOutbox, tx, tenantId);
}

/** Called by the transaction helpers once `tx`, a transaction of `db`, has committed. */
export function announceCommitted(tx: Queryable, db: Database): void {
  for (const tenant of take(pending, tx)) for (const listener of listeners) listener(tenant);
  for (const tenant of take(pendingLog, tx)) for (const listener of logListeners) listener(tenant, db);
  for (const tenant of take(pendingExports, tx)) for (const listener of exportListeners) listener(tenant, db);
  for (const tenant of take(pendingOutbox, tx)) for (const listener of outboxListeners) listener(tenant, db);
}

/** Subscribes to committed changes; returns the unsubscribe. */
export function onCommittedChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Subscribes to committed log appends, with the database they were committed to; returns the unsubscribe. */
export function onCommittedLogAppend(listener: LogListener): () => void {
  logListeners.add(listener);
  return () => logListeners.delete(listener);
}

/** Subscribes to committed audit-export requests, with the database they were committed to; returns the unsubscribe. */
export function onCommittedExportRequest(listener: LogListener): () => void {
  exportListeners.add(listener);
  return () => exportListeners.delete(listener);
}

/** Subscribes to committed outbox events, with the database they were committed to; returns the unsubscribe. */
export function onCommittedOutboxEvents(listener: LogListener): () => void {
  outboxListeners.add(listener);
  return () => outboxListeners.delete(listener);
}
