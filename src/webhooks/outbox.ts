import type { Queryable } from '../store/port.ts';
import { eventsOfEntry } from './events.ts';
import { hasLiveWebhooks, insertOutboxEvents, nextPosition } from './store.ts';

/**
 * Places the webhook events of log entries just sequenced (indexes `first`, `first + 1`, …), in
 * the sequencer's transaction and under its lock on the log head: the events of a tenant take
 * their positions in log order, one placer at a time, so an endpoint's cursor never passes an
 * event placed later at an earlier position. A tenant without an endpoint gets none (one read).
 */
export async function placeWebhookEvents(tx: Queryable, tenantId: string, first: number, bodies: readonly string[]): Promise<void> {
  if (bodies.length === 0 || !(await hasLiveWebhooks(tx, tenantId))) return;
  const events = bodies.flatMap((body, i) => eventsOfEntry(first + i, body));
  if (events.length === 0) return;
  await insertOutboxEvents(tx, tenantId, await nextPosition(tx, tenantId), events);
}
