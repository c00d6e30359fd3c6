import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { LogEdge, type Tile } from '../../src/transparency/edge.ts';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../src/transparency/merkle.ts';
import { consistencyProofFromTiles, inclusionProofFromTiles } from '../../src/transparency/tile-proofs.ts';
import type { TileReader } from '../../src/transparency/tiles.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const hex = (hashes: readonly Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));

/** A log's tiles as the sequencer stores them: full tiles as they filled, and the partial ones now. */
async function tilesOfLog(leaves: readonly Hash[]): Promise<{ read: TileReader; reads: () => number }> {
  return (await tilesOfLogs(leaves, [leaves.length]))[0]!;
}

/**
 * The tiles of the log at each of `sizes` (ascending), as the sequencer stores them while one log
 * grows through those sizes: each reader holds the full tiles stored by then and the partial tiles
 * then, and nothing stored later. One pass of appends for all the sizes, instead of one per size:
 * the sizes near 65,536 leaves cost several seconds each to append from empty.
 */
async function tilesOfLogs(leaves: readonly Hash[], sizes: readonly number[]): Promise<{ read: TileReader; reads: () => number }[]> {
  const edge = LogEdge.empty();
  const full = new Map<string, Tile>();
  const logs: { read: TileReader; reads: () => number }[] = [];
  let appended = 0;
  for (const size of sizes) {
    if (size < appended) throw new TypeError('sizes must be ascending');
    for (; appended < size; appended++) for (const t of await edge.append(leaves[appended]!)) full.set(`${t.level}/${t.index}`, t);
    const stored = new Map(full);
    for (const t of edge.partialTiles()) stored.set(`${t.level}/${t.index}`, t);
    let reads = 0;
    logs.push({
      read: async (t) => {
        reads++;
        const tile = stored.get(`${t.level}/${t.index}`);
        if (!tile || tile.hashes.length < t.width) throw new Error(`no tile ${t.level}/${t.index} of ${t.width}`);
        return tile.hashes.slice(0, t.width);
      },
      reads: () => reads,
    });
  }
  return logs;
}

describe('proofs from tiles', () => {
  let leaves: Hash[];
  beforeAll(async () => {
    useSha256(nodeSha256);
    leaves = await Promise.all(Array.from({ length: 70_000 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`))));
  });

  it('are the proofs RFC 9162 gives over every leaf, at every size up to 40 and around the first tile boundaries', async () => {
    const sizes = [...Array.from({ length: 40 }, (_, i) => i + 1), 127, 128, 129, 255, 256, 257, 300, 511, 513];
    for (const size of sizes) {
      const tree = leaves.slice(0, size);
      const { read } = await tilesOfLog(tree);
      for (let index = 0; index < size; index += size > 40 ? 7 : 1)
        expect(hex(await inclusionProofFromTiles(index, size, read)), `${index} in ${size}`).toEqual(
          hex(await inclusionProof(index, tree)),
        );
      for (let first = 0; first <= size; first += size > 40 ? 5 : 1)
        expect(hex(await consistencyProofFromTiles(first, size, read)), `${first} to ${size}`).toEqual(
          hex(await consistencyProof(first, tree)),
        );
    }
  });

  it('verify at sizes across three levels of tiles, reading a few tiles per level', async () => {
    const sizes = [65_535, 65_536, 65_537, 70_000];
    const logs = await tilesOfLogs(leaves, sizes);
    // Each tree here is a prefix of the same leaves, and the firsts below repeat across sizes (65,535
    // is a size and a first): the reference root of each prefix is computed once.
    const roots = new Map<number, Promise<Hash>>();
    const rootOfFirst = (n: number) => {
      if (!roots.has(n)) roots.set(n, rootOf(leaves.slice(0, n)));
      return roots.get(n)!;
    };
    for (const [i, size] of sizes.entries()) {
      const tree = leaves.slice(0, size);
      const { read, reads } = logs[i]!;
      const root = await rootOfFirst(size);
      for (const index of [0, 255, 256, 65_535 % size, size - 1]) {
        const proof = await inclusionProofFromTiles(index, size, read);
        expect(await verifyInclusion(index, size, tree[index]!, proof, root), `${index} in ${size}`).toBe(true);
      }
      for (const first of [1, 256, 65_535, size - 1]) {
        const proof = await consistencyProofFromTiles(first, size, read);
        expect(await verifyConsistency(first, size, await rootOfFirst(first), root, proof), `${first} to ${size}`).toBe(true);
      }
      // 9 proofs at most 3 levels: a proof is a handful of tile reads, not the log.
      expect(reads()).toBeLessThan(9 * 3 * 4);
    }
  });

  it('refuses an index or size outside the tree', async () => {
    const { read } = await tilesOfLog(leaves.slice(0, 10));
    await expect(inclusionProofFromTiles(10, 10, read)).rejects.toThrow(RangeError);
    await expect(consistencyProofFromTiles(11, 10, read)).rejects.toThrow(RangeError);
  });
});
