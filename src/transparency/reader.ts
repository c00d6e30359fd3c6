import type { Queryable } from '../store/port.ts';
import { claimedCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { Tile } from './edge.ts';
import { entryBundle } from './entries.ts';
import type { Hash } from './merkle.ts';
import { decodeEdge } from './sequencer.ts';
import { consistencyProofFromTiles, inclusionProofFromTiles } from './tile-proofs.ts';
import { TILE_WIDTH, tileHashes, type TileCoordinates, type TileReader } from './tiles.ts';
import { entriesInRange, fullTiles, readHead, type LogHeadRow } from './store.ts';

/*
 * A tenant's log as its readers see it, at its latest checkpoint: the signed note, tiles (a full
 * tile as stored, a partial one as a prefix of what is stored at its place), entry bundles, and
 * proofs computed from tiles. Everything here reads; only the sequencer writes.
 */

/** The log at its latest checkpoint. */
export interface LogView {
  readonly head: LogHeadRow;
  /** The signed note, exactly as served. */
  readonly note: string;
  readonly checkpoint: Checkpoint;
  /** The right edge's partial tiles, decoded once for every read of the view. */
  readonly partial: readonly Tile[];
  /** Full tiles read so far for this view: immutable, so every proof of one request reads each once. */
  readonly fullRead: Map<string, Promise<Hash[] | undefined>>;
}

/** The log's latest checkpoint; undefined while nothing is sequenced. */
export async function logView(tx: Queryable, tenantId: string): Promise<LogView | undefined> {
  const head = await readHead(tx, tenantId);
  if (!head?.checkpoint) return undefined;
  return {
    head,
    note: head.checkpoint,
    checkpoint: claimedCheckpoint(head.checkpoint),
    partial: decodeEdge(head.size, head.edge),
    fullRead: new Map(),
  };
}

/**
 * The hashes stored at a tile's place, as many as exist at the view's size: a full tile's 256,
 * or the partial tile of the right edge. Undefined for a tile beyond the log.
 */
async function storedHashes(tx: Queryable, tenantId: string, view: LogView, level: number, index: number): Promise<Hash[] | undefined> {
  const partial = view.partial.find((t) => t.level === level);
  if (partial?.index === index) return [...partial.hashes];
  const key = `${level}/${index}`;
  let full = view.fullRead.get(key);
  if (!full) {
    full = fullTiles(tx, tenantId, [{ level, index }]).then((tiles) => {
      const body = tiles.get(key);
      return body && tileHashes(body, TILE_WIDTH);
    });
    view.fullRead.set(key, full);
  }
  const hashes = await full;
  return hashes && [...hashes];
}

/** A tile's body (the first `width` hashes at its place); undefined when the log does not hold that many there. */
export async function tileBodyAt(tx: Queryable, tenantId: string, view: LogView, t: TileCoordinates): Promise<Uint8Array | undefined> {
  const hashes = await storedHashes(tx, tenantId, view, t.level, t.index);
  if (!hashes || hashes.length < t.width) return undefined;
  const body = new Uint8Array(t.width * 32);
  hashes.slice(0, t.width).forEach((h, i) => body.set(h, i * 32));
  return body;
}

/** The tile reader of the view's tree, for proofs. */
function readerOf(tx: Queryable, tenantId: string, view: LogView): TileReader {
  return async (t) => {
    const hashes = await storedHashes(tx, tenantId, view, t.level, t.index);
    if (!hashes || hashes.length < t.width) throw new RangeError(`the log holds no tile ${t.level}/${t.index} of ${t.width}`);
    return hashes.slice(0, t.width);
  };
}

/** The entry bundle `index` of the log (`width` entries from 256·index); undefined beyond the log. */
export async function entryBundleAt(
  tx: Queryable,
  tenantId: string,
  view: LogView,
  index: number,
  width: number,
): Promise<Uint8Array | undefined> {
  const from = index * TILE_WIDTH;
  if (from + width > view.head.size) return undefined;
  const entries = await entriesInRange(tx, tenantId, from, from + width);
  const utf8 = new TextEncoder();
  return entryBundle(entries.map((e) => utf8.encode(e.body)));
}

/** The inclusion proof of entry `index` in the view's tree. */
export function inclusionProofAt(tx: Queryable, tenantId: string, view: LogView, index: number): Promise<Hash[]> {
  return inclusionProofFromTiles(index, view.head.size, readerOf(tx, tenantId, view));
}

/**
 * The consistency proof from the tree of `from` entries to the tree of `to` (the view's, unless
 * given): every tile of an older tree is a prefix of what the view holds at its place, so any
 * `to` up to the view's size is proved from the same tiles.
 */
export function consistencyProofAt(tx: Queryable, tenantId: string, view: LogView, from: number, to = view.head.size): Promise<Hash[]> {
  if (!Number.isSafeInteger(to) || to < 0 || to > view.head.size) throw new RangeError(`the log holds no tree of ${to} entries`);
  return consistencyProofFromTiles(from, to, readerOf(tx, tenantId, view));
}
