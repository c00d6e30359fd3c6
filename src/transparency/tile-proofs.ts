import { isPowerOfTwo, nodeHash, split, type Hash } from './merkle.ts';
import { onceEach, subtreeFromTiles, type TileReader } from './tiles.ts';

/*
 * RFC 9162's inclusion and consistency proofs computed from a log's tiles rather than from all
 * of its leaves: every node a proof names is the root of a range of leaves that splits into
 * complete subtrees, and a complete subtree of 2^h leaves is read from one tile level (a stored
 * hash, or up to 128 hashed together). So a proof reads about two tiles per level of tiles,
 * whatever the log's size. merkle.ts's generators, over every leaf, are the reference these are
 * tested against.
 */

/** MTH of the leaves [lo, hi) of the tree of `size`; every range RFC 9162 splits a tree into is aligned so. */
async function rangeRoot(lo: number, hi: number, size: number, read: TileReader): Promise<Hash> {
  const n = hi - lo;
  if (isPowerOfTwo(n)) return subtreeFromTiles(lo, Math.log2(n), size, read);
  const k = split(n);
  return nodeHash(await rangeRoot(lo, lo + k, size, read), await rangeRoot(lo + k, hi, size, read));
}

function checkIndex(n: number, below: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0 || n >= below) throw new RangeError(`${what} ${n} is not below ${below}`);
}

/** PATH(index, D[size]) from the tiles of the tree of `size` leaves, nearest sibling first. */
export async function inclusionProofFromTiles(index: number, size: number, readTile: TileReader): Promise<Hash[]> {
  checkIndex(index, size, 'leaf');
  const read = onceEach(readTile);
  const path = async (m: number, lo: number, hi: number): Promise<Hash[]> => {
    if (hi - lo <= 1) return [];
    const k = split(hi - lo);
    return m < lo + k
      ? [...(await path(m, lo, lo + k)), await rangeRoot(lo + k, hi, size, read)]
      : [...(await path(m, lo + k, hi)), await rangeRoot(lo, lo + k, size, read)];
  };
  return path(index, 0, size);
}

/** PROOF(first, D[size]) from the tiles of the tree of `size` leaves; empty for 0 and for `size`. */
export async function consistencyProofFromTiles(first: number, size: number, readTile: TileReader): Promise<Hash[]> {
  checkIndex(first, size + 1, 'tree size');
  if (first === 0 || first === size) return [];
  const read = onceEach(readTile);
  const subproof = async (m: number, lo: number, hi: number, whole: boolean): Promise<Hash[]> => {
    if (m === hi - lo) return whole ? [] : [await rangeRoot(lo, hi, size, read)];
    const k = split(hi - lo);
    return m <= k
      ? [...(await subproof(m, lo, lo + k, whole)), await rangeRoot(lo + k, hi, size, read)]
      : [...(await subproof(m - k, lo + k, hi, false)), await rangeRoot(lo, lo + k, size, read)];
  };
  return subproof(first, 0, size, true);
}
