import { sameBytes as same } from '../util/bytes.ts';
import type { Checkpoint } from './checkpoint.ts';
import { leafHash, perfectRoot, verifyConsistency, type Hash } from './merkle.ts';
import { onceEach, rootFromTiles, TILE_WIDTH, type TileReader } from './tiles.ts';

/*
 * What an auditor's copy of a log can be caught doing, checked from what it holds: checkpoints
 * (already opened, their signatures verified), entries and tiles. Each problem is named with
 * where it is, so a report can say "entry 42 was rewritten", not "the log is bad".
 */

export type LogProblem =
  /** The tiles do not give the root the checkpoint signs. */
  | { readonly kind: 'head_mismatch'; readonly size: number }
  /** A tile that does not belong to the signed tree: served to make a rewritten entry look right, or simply wrong. */
  | { readonly kind: 'tile_mismatch'; readonly level: number; readonly index: number }
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

/**
 * Checks the entries from `from` (inclusive) to `to` (exclusive) against the tree `checkpoint`
 * signs, read through `readTile`: the tiles must give the checkpoint's root, every index of the
 * range must have its entry, and every entry must hash to the leaf at its index.
 *
 * A tile is trusted only once it is proved to belong to the signed tree: the head is computed
 * from the tiles the right edge needs, and any other tile is proved by climbing from it to one
 * of the hashes that computation used, hashing its siblings in from the tiles above. Trusting a
 * level-0 tile unproved would let a log serve a rewritten entry with a tile rewritten to match.
 */
export async function checkEntries(
  checkpoint: Checkpoint,
  range: { readonly from: number; readonly to: number },
  entries: ReadonlyMap<number, Uint8Array>,
  readTile: TileReader,
): Promise<LogProblem[]> {
  if (range.from < 0 || range.to > checkpoint.size || range.from > range.to)
    throw new RangeError(`entries ${range.from} to ${range.to} are not in a log of ${checkpoint.size}`);
  const read = onceEach(readTile);
  const size = checkpoint.size;
  const used = new Map<string, Hash>();
  let root: Hash;
  try {
    root = await rootFromTiles(size, read, (level, position, hash) => used.set(`${level}/${position}`, hash));
  } catch (e) {
    if (e instanceof RangeError) return [{ kind: 'head_mismatch', size }];
    throw e;
  }
  if (!same(root, checkpoint.root)) return [{ kind: 'head_mismatch', size }];

  /** Hashes at a tile level: complete subtrees of 256^level leaves. */
  const hashesAt = (level: number) => Math.floor(size / TILE_WIDTH ** level);
  const tileAt = (level: number, index: number) =>
    read({ level, index, width: Math.min(TILE_WIDTH, hashesAt(level) - index * TILE_WIDTH) });

  /** True when `hash`, standing at `position` of `level`, hashes up to a hash the head was computed from. */
  const climbs = async (level: number, position: number, hash: Hash): Promise<boolean> => {
    const known = used.get(`${level}/${position}`);
    if (known) return same(known, hash);
    const index = Math.floor(position / TILE_WIDTH);
    if ((index + 1) * TILE_WIDTH > hashesAt(level)) return false;
    const siblings = [...(await tileAt(level, index))];
    siblings[position - index * TILE_WIDTH] = hash;
    return climbs(level + 1, index, await perfectRoot(siblings));
  };

  const proved = new Map<number, Promise<Hash[] | undefined>>();
  /** The level-0 tile holding leaf `index`'s hash, once proved to be the signed tree's. */
  const provedLeaves = (tileIndex: number) => {
    let p = proved.get(tileIndex);
    if (!p) {
      p = (async () => {
        const tile = await tileAt(0, tileIndex);
        const first = tileIndex * TILE_WIDTH;
        const full = tile.length === TILE_WIDTH;
        const ok = full
          ? await climbs(1, tileIndex, await perfectRoot(tile))
          : tile.every((h, i) => {
              const known = used.get(`0/${first + i}`);
              return known !== undefined && same(known, h);
            });
        return ok ? tile : undefined;
      })();
      proved.set(tileIndex, p);
    }
    return p;
  };

  const problems: LogProblem[] = [];
  for (let index = range.from; index < range.to; index++) {
    const entry = entries.get(index);
    if (!entry) {
      problems.push({ kind: 'gap', index });
      continue;
    }
    const tileIndex = Math.floor(index / TILE_WIDTH);
    let leaves: Hash[] | undefined;
    try {
      leaves = await provedLeaves(tileIndex);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
    if (!leaves) {
      // The tile holding this leaf is not the signed tree's: what it says of the entries proves nothing.
      if (!problems.some((p) => p.kind === 'tile_mismatch' && p.index === tileIndex))
        problems.push({ kind: 'tile_mismatch', level: 0, index: tileIndex });
      continue;
    }
    if (!same(await leafHash(entry), leaves[index - tileIndex * TILE_WIDTH]!)) problems.push({ kind: 'rewritten_entry', index });
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
