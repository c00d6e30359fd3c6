import type { Queryable } from './port.ts';

/**
 * This process's own changes to what public reads depend on, announced after they commit.
 *
 * Every such change also bumps the tenant's row in publication_versions (a trigger, migration 8)
 * and NOTIFYs, which reaches every instance; but a notification travels on another connection
 * and may arrive after the writer has already answered its client. A client that revokes and
 * then reads must see the revocation, so the writing instance learns of its own change at
 * commit, from here. Announcing too often costs a rebuild; announcing too rarely is covered by
 * the notification (and, on PostgreSQL, the poll) within their bound.
 */
type Listener = (tenantId: string) => void;

const listeners = new Set<Listener>();
const pending = new WeakMap<Queryable, Set<string>>();

/** Called inside a transaction that changes a tenant's keys, lists, profiles, API keys or the tenant itself. */
export function notePublicationChange(tx: Queryable, tenantId: string): void {
  let tenants = pending.get(tx);
  if (!tenants) pending.set(tx, (tenants = new Set()));
  tenants.add(tenantId);
}

/** Called by the transaction helpers once `tx` has committed. */
export function announceCommitted(tx: Queryable): void {
  const tenants = pending.get(tx);
  if (!tenants) return;
  pending.delete(tx);
  for (const tenant of tenants) for (const listener of listeners) listener(tenant);
}

/** Subscribes to committed changes; returns the unsubscribe. */
export function onCommittedChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
