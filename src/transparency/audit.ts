import type { Checkpoint } from './checkpoint.ts';
import { leafHash, verifyConsistency, type Hash } from './merkle.ts';
import { rootFromTiles, TILE_WIDTH, type TileReader } from './tiles.ts';

/*
 * What an auditor's copy of a log can be caught doing, checked from what it holds: checkpoints
 * (already opened, their signatures verified), entries and tiles. Each problem is named with
 * where it is, so a report can say "entry 42 was rewritten", not "the log is bad".
 */

export type LogProblem =
  /** The tiles do not give the root the checkpoint signs. */
  | { readonly kind: 'head_mismatch'; readonly size: number }
  /** An index of the range asked for has no entry. */
  | { readonly kind: 'gap'; readonly index: number }
  /** The entry's hash is not the leaf the tree holds at its index. */
  | { readonly kind: 'rewritten_entry'; readonly index: number }
  /** Two checkpoints of one log and one size with different roots. */
  | { readonly kind: 'fork'; readonly size: number }
  /** The later checkpoint does not extend the earlier one. */
  | { readonly kind: 'inconsistent'; readonly from: number; readonly to: number }
  /** Checkpoints of two different logs compared. */
  | { readonly kind: 'other_log'; readonly origins: readonly [string, string] };

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks the entries from `from` (inclusive) to `to` (exclusive) against the tree `checkpoint`
 * signs, read through `readTile`: the tiles must give the checkpoint's root, every index of the
 * range must have its entry, and every entry must hash to the leaf at its index.
 */
export async function checkEntries(
  checkpoint: Checkpoint,
  range: { readonly from: number; readonly to: number },
  entries: ReadonlyMap<number, Uint8Array>,
  readTile: TileReader,
): Promise<LogProblem[]> {
  if (range.from < 0 || range.to > checkpoint.size || range.from > range.to)
    throw new RangeError(`entries ${range.from} to ${range.to} are not in a log of ${checkpoint.size}`);
  const tiles = new Map<string, Promise<Hash[]>>();
  const read: TileReader = (t) => {
    const key = `${t.level}/${t.index}/${t.width}`;
    let tile = tiles.get(key);
    if (!tile) tiles.set(key, (tile = readTile(t)));
    return tile;
  };
  if (!same(await rootFromTiles(checkpoint.size, read), checkpoint.root)) return [{ kind: 'head_mismatch', size: checkpoint.size }];
  const problems: LogProblem[] = [];
  for (let index = range.from; index < range.to; index++) {
    const entry = entries.get(index);
    if (!entry) {
      problems.push({ kind: 'gap', index });
      continue;
    }
    const tileIndex = Math.floor(index / TILE_WIDTH);
    const tile = await read({ level: 0, index: tileIndex, width: Math.min(TILE_WIDTH, checkpoint.size - tileIndex * TILE_WIDTH) });
    if (!same(await leafHash(entry), tile[index - tileIndex * TILE_WIDTH]!)) problems.push({ kind: 'rewritten_entry', index });
  }
  return problems;
}

/**
 * Compares two checkpoints of one log: equal sizes must have equal roots, and the larger must
 * extend the smaller by `proof` (their consistency proof, RFC 9162 §2.1.4).
 */
export async function checkCheckpoints(a: Checkpoint, b: Checkpoint, proof: readonly Hash[]): Promise<LogProblem[]> {
  if (a.origin !== b.origin) return [{ kind: 'other_log', origins: [a.origin, b.origin] }];
  if (a.size === b.size) return same(a.root, b.root) ? [] : [{ kind: 'fork', size: a.size }];
  const [older, newer] = a.size < b.size ? [a, b] : [b, a];
  return (await verifyConsistency(older.size, newer.size, older.root, newer.root, proof))
    ? []
    : [{ kind: 'inconsistent', from: older.size, to: newer.size }];
}
