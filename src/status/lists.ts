import { AppError } from '../errors/index.ts';
import type { Queryable } from '../store/port.ts';
import { base64urlEncode } from '../util/base64url.ts';
import { BITSTRING_STATUS_LIST_MIN_ENTRIES } from './codec.ts';
import {
  deleteCursors,
  insertCursors,
  insertList,
  markListFull,
  selectLastFullSeq,
  selectListById,
  selectListBySeq,
  selectOpenList,
  type StatusListRow,
} from './store.ts';

/**
 * Entries per list: the W3C floor (16 KiB of one-bit entries), so each Bitstring list hides a
 * credential among at least 131,072 and the 2-bit token list stays a 32 KiB array.
 */
export const STATUS_LIST_SIZE = BITSTRING_STATUS_LIST_MIN_ENTRIES;

/**
 * Cursor rows per list (migrations/0009_status_slot_order.sql): up to this many issuances of one
 * tenant claim slots side by side, each holding its own row until it commits; one more waits for
 * the first of them. 32 rows of a few bytes are what every claim reads, whatever the history.
 */
export const STRIPES = 32;

/** 128 random bits: unguessable, and silent about how many lists came before. */
const newListId = () => base64urlEncode(crypto.getRandomValues(new Uint8Array(16)));

/** The tenant's open list (the oldest not yet full), opening the first one if there is none. */
export async function openList(tx: Queryable, tenantId: string, now: Date): Promise<StatusListRow> {
  const open = await selectOpenList(tx, tenantId);
  if (open) return open;
  // The list after the last FULL one, not after the last one: a list another issuer opened since
  // the read above is then the very row we try to insert, and we join it instead of opening another.
  const lastFull = await selectLastFullSeq(tx, tenantId);
  return openNext(tx, tenantId, lastFull ?? 0, now);
}

/**
 * Closes list `seq` and returns list `seq + 1`. Every issuer that found `seq` full lands on the
 * same next row: the first insert wins, the others wait for it to commit and then read it.
 * The closed list's cursors go, so a claim only ever reads the cursors of the open list.
 */
export async function closeAndOpenNext(tx: Queryable, tenantId: string, full: StatusListRow, now: Date): Promise<StatusListRow> {
  await markListFull(tx, tenantId, full.id, now);
  await deleteCursors(tx, tenantId, full.id);
  return openNext(tx, tenantId, full.seq, now);
}

/**
 * Gives a list its cursors, splitting the numbers [0, size) among STRIPES rows, unless it has
 * them. Lists opened before migration 9 (or by an older instance during an upgrade) get theirs
 * here on first use. Returns how many rows it inserted: 0 when the list already had them.
 */
export async function addCursors(tx: Queryable, tenantId: string, list: StatusListRow): Promise<number> {
  return insertCursors(tx, tenantId, list, STRIPES);
}

async function openNext(tx: Queryable, tenantId: string, afterSeq: number, now: Date): Promise<StatusListRow> {
  await insertList(tx, tenantId, newListId(), afterSeq + 1, STATUS_LIST_SIZE, now);
  const row = await selectListBySeq(tx, tenantId, afterSeq + 1);
  if (!row) throw new TypeError(`status list ${afterSeq + 1} of ${tenantId} neither inserted nor found`);
  await addCursors(tx, tenantId, row);
  return row;
}

/** A published list by its public id, or 404. */
export async function requireList(tx: Queryable, tenantId: string, listId: string): Promise<StatusListRow & { version: number }> {
  const row = await selectListById(tx, tenantId, listId);
  if (!row) throw new AppError('status_list_not_found', `tenant ${tenantId} has no status list ${listId}`);
  return row;
}
