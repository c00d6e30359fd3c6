import type { Queryable } from '../store/port.ts';
import type { LogEntry } from '../transparency/entries.ts';
import { eventsOfEntry, type WebhookEvent } from './events.ts';
import { hasLiveWebhooks, insertOutboxEvents, lockOutboxPositions, nextPosition } from './store.ts';

/**
 * Places the webhook events of log entries just sequenced (indexes `first`, `first + 1`, …), in
 * the sequencer's transaction, for a tenant known to have endpoints: the events of a batch take
 * their positions in log order.
 */
export async function placeWebhookEvents(tx: Queryable, tenantId: string, first: number, entries: readonly LogEntry[]): Promise<void> {
  await placeEvents(
    tx,
    tenantId,
    entries.flatMap((entry, i) => eventsOfEntry(first + i, entry)),
  );
}

/**
 * Places events at the tenant's next positions, in the caller's transaction (which is the
 * change's own, or the sequencer's for changes the log records). Positions are taken under a
 * lock held to commit, one placer at a time, so an endpoint's cursor never passes an event
 * committed later at an earlier position. A tenant without an endpoint gets none (one read;
 * `events` is not even built).
 */
export async function placeOutboxEvents(tx: Queryable, tenantId: string, events: () => readonly WebhookEvent[]): Promise<void> {
  if (!(await hasLiveWebhooks(tx, tenantId))) return;
  await placeEvents(tx, tenantId, events());
}

/** Places events whoever follows them (a share's notices go to its feed, subscribed or not). */
export async function placeEvents(tx: Queryable, tenantId: string, events: readonly WebhookEvent[]): Promise<void> {
  if (events.length === 0) return;
  await lockOutboxPositions(tx, tenantId);
  await insertOutboxEvents(tx, tenantId, await nextPosition(tx, tenantId), events);
}
