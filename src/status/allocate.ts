import type { Queryable } from '../store/port.ts';
import { closeAndOpenNext, openList, type StatusListRow } from './lists.ts';

/** A credential's place in its tenant's status lists. */
export interface StatusSlot {
  readonly listId: string;
  readonly index: number;
}

/** Random candidates tried per statement, and statements before searching for free slots. */
const CANDIDATES = 16;
const RANDOM_ROUNDS = 4;
/** Positions examined per free-slot search before the whole list is. */
const WINDOW = 8192;

/** Uniform in [0, n), from the platform CSPRNG (rejection sampling, no modulo bias). */
function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    if (word[0]! < limit) return word[0]! % n;
  }
}

/**
 * Claims one of `candidates` that no committed or in-flight transaction holds. NOT EXISTS skips
 * the ones already taken; ON CONFLICT covers a candidate another transaction claims meanwhile.
 */
async function claimFirstFree(
  tx: Queryable,
  tenantId: string,
  listId: string,
  candidates: number[],
  now: Date,
): Promise<number | undefined> {
  const [row] = await tx.query<{ idx: number }>(
    `insert into status_slots (tenant_id, list_id, idx, allocated_at)
     select $1, $2, c.idx, $4
       from (select value::int as idx, ordinality from jsonb_array_elements_text($3::jsonb) with ordinality) c
      where not exists (select 1 from status_slots s where s.tenant_id = $1 and s.list_id = $2 and s.idx = c.idx)
      order by c.ordinality
      limit 1
     on conflict do nothing
     returning idx`,
    [tenantId, listId, candidates, now],
  );
  return row?.idx;
}

/** The free positions in [from, to], ascending. */
async function freeIn(tx: Queryable, tenantId: string, listId: string, from: number, to: number): Promise<number[]> {
  const rows = await tx.query<{ idx: number }>(
    `select g::int as idx from generate_series($3::int, $4::int) g
      where not exists (select 1 from status_slots s where s.tenant_id = $1 and s.list_id = $2 and s.idx = g)`,
    [tenantId, listId, from, to],
  );
  return rows.map((r) => r.idx);
}

/**
 * The tail of a list, where random guesses mostly hit taken slots: the free slots of a window
 * at a random offset (wrapping), else of the whole list, one chosen at random and claimed.
 * Undefined when the list is full.
 */
async function claimByScan(tx: Queryable, tenantId: string, list: StatusListRow, now: Date): Promise<number | undefined> {
  for (;;) {
    const start = randomBelow(list.size);
    const end = Math.min(start + WINDOW, list.size) - 1;
    let free = await freeIn(tx, tenantId, list.id, start, end);
    if (free.length === 0 && end - start + 1 < list.size) free = await freeIn(tx, tenantId, list.id, 0, list.size - 1);
    if (free.length === 0) return undefined;
    const claimed = await claimFirstFree(tx, tenantId, list.id, [free[randomBelow(free.length)]!], now);
    if (claimed !== undefined) return claimed;
    // Another transaction claimed that slot between our read and our insert: look again.
  }
}

/**
 * Gives a new credential a slot chosen at random among the unused ones of its tenant's open
 * list, inside the issuing transaction: the index says nothing about when it was issued, and
 * an issuance that rolls back frees its slot. A full list is closed and the next one opened.
 */
export async function allocateSlot(tx: Queryable, tenantId: string, now: Date): Promise<StatusSlot> {
  let list = await openList(tx, tenantId, now);
  for (;;) {
    for (let round = 0; round < RANDOM_ROUNDS; round++) {
      const candidates = Array.from({ length: CANDIDATES }, () => randomBelow(list.size));
      const index = await claimFirstFree(tx, tenantId, list.id, candidates, now);
      if (index !== undefined) return { listId: list.id, index };
    }
    const index = await claimByScan(tx, tenantId, list, now);
    if (index !== undefined) return { listId: list.id, index };
    list = await closeAndOpenNext(tx, tenantId, list, now);
  }
}
