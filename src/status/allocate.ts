/**
 * Which slot of its tenant's status lists a new credential gets.
 *
 * The n-th allocation of a list takes slot `status_slot_index(key, n, size)`, a permutation of
 * [0, size) keyed by a secret stored with the list (migrations/0009_status_slot_order.sql: a
 * Feistel network over SHA-256, cycle-walked into the list). So the index still says nothing
 * about when a credential was issued (herd privacy: positions look random across the whole
 * list to anyone without the key), and the claim is one statement that reads the open list's
 * cursor rows and inserts one slot: no search, no probe of the slots already taken, the same
 * work with 0 or 1,000,000 credentials stored and with the list empty or 95% full.
 *
 * Chosen over the other fix (random candidates as primary-key probes, `unnest($3::int[])`, with
 * a bounded search near the tail) for its tail: candidates are cheap while a list is sparse, but
 * at 95% full 16 random guesses all miss 44% of the time, and the last free slots can only be
 * found by reading the list; a counter never misses. Measured (test/status/allocation.test.ts,
 * EXPLAIN ANALYZE of the claim): the random claim read 50,002 rows of status_slots with 50,000
 * slots taken, on PGlite and PostgreSQL alike; this one reads none of them, only the open list's
 * row and its cursors. Issuance rates before and after: bench/issuance-history.bench.ts.
 *
 * Why stripes and not one counter: the counter row of a list would be locked by every issuance
 * of the tenant until it commits, so they would queue on it for the length of their signing.
 * Each list has STRIPES cursor rows, each owning a range of allocation numbers; a claim takes
 * any row no other transaction holds (SKIP LOCKED), and only when every one is held does it wait
 * for one. Different tenants share no row. The trade-off: a cursor advances inside the issuing
 * transaction, so a rolled-back issuance gives its number (and slot) back, at the price of
 * holding that row until commit; with more than STRIPES issuances of one tenant in flight, the
 * extra ones wait for a commit. The primary key of status_slots stays the wall against a slot
 * handed out twice.
 */
import type { Queryable } from '../store/port.ts';
import { addCursors, closeAndOpenNext, openList } from './lists.ts';
import { claimSlot } from './store.ts';

/** A credential's place in its tenant's status lists. */
export interface StatusSlot {
  readonly listId: string;
  readonly index: number;
  /**
   * Whether the list had a signed copy when the slot was claimed (committed, or made earlier in
   * this transaction). Read with the claim, at no cost of its own: a list without one gets its
   * first with the credential that points at it (status/publish.ts, ensureFirstCopy).
   */
  readonly published: boolean;
}

/**
 * Gives a new credential a slot of its tenant's open list, inside the issuing transaction: the
 * index says nothing about when it was issued, and an issuance that rolls back gives its slot
 * back. A full list is closed and the next one opened.
 */
export async function allocateSlot(tx: Queryable, tenantId: string, now: Date): Promise<StatusSlot> {
  /** The list this call gave cursors to: finding it without numbers left afterwards means it is full. */
  let prepared: string | undefined;
  for (;;) {
    const got = (await claimSlot(tx, tenantId, now, 'skip locked')) ?? (await claimSlot(tx, tenantId, now, 'wait'));
    if (got?.index != null) return { listId: got.listId, index: got.index, published: got.published };
    // A number whose slot was taken at random before migration 9 is used up: take the next one.
    if (got) continue;
    // No cursor has numbers left: the tenant has no list yet, or its open list has no cursors
    // yet (opened before migration 9), or it is full.
    const list = await openList(tx, tenantId, now);
    if (prepared !== list.id) {
      // Inserted or found (another issuer may have given it cursors meanwhile): claim again.
      await addCursors(tx, tenantId, list);
      prepared = list.id;
      continue;
    }
    await closeAndOpenNext(tx, tenantId, list, now);
  }
}
