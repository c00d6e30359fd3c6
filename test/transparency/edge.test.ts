import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { LogEdge, type Tile } from '../../src/transparency/edge.ts';
import { leafHash, rootOf, type Hash } from '../../src/transparency/merkle.ts';
import { tileBody, tileHashes, tilePath, tilesOf } from '../../src/transparency/tiles.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const hex = (hashes: readonly Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));

/**
 * The sequencer's view of a log: appending to the right edge alone must give the same tree heads
 * and the same tiles as the whole tree does.
 */
describe("a log's right edge", () => {
  const SIZE = 70_000;
  let leaves: Hash[];
  beforeAll(async () => {
    useSha256(nodeSha256);
    leaves = await Promise.all(Array.from({ length: SIZE }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`))));
  });

  it('gives the tree head of every size it passes through, and the empty one', async () => {
    const edge = LogEdge.empty();
    expect(hex([await edge.root()])).toEqual(hex([await rootOf([])]));
    const checked = new Set([...Array.from({ length: 600 }, (_, i) => i + 1), 65_535, 65_536, 65_537, SIZE]);
    for (let n = 1; n <= SIZE; n++) {
      await edge.append(leaves[n - 1]!);
      if (checked.has(n)) expect(hex([await edge.root()]), `size ${n}`).toEqual(hex([await rootOf(leaves.slice(0, n))]));
    }
    expect(edge.size).toBe(SIZE);
  });

  it('hands over each tile as it fills, with the body the whole tree gives it, and holds the partial ones', async () => {
    const edge = LogEdge.empty();
    const full: Tile[] = [];
    for (const leaf of leaves) full.push(...(await edge.append(leaf)));
    const expected = tilesOf(SIZE);
    expect(full.map((t) => tilePath(t)).sort()).toEqual(
      expected
        .filter((t) => t.width === 256)
        .map((t) => tilePath(t))
        .sort(),
    );
    for (const t of [...full.filter((_, i) => i % 37 === 0), ...full.filter((t) => t.level > 0)])
      expect(hex(t.hashes), tilePath(t)).toEqual(hex(tileHashes(await tileBody(t, leaves), t.width)!));
    const partial = edge.partialTiles();
    expect(partial.map((t) => tilePath(t))).toEqual(expected.filter((t) => t.width < 256).map((t) => tilePath(t)));
    for (const t of partial) expect(hex(t.hashes), tilePath(t)).toEqual(hex(tileHashes(await tileBody(t, leaves), t.width)!));
  });

  it('picks up from its stored partial tiles where it left off, and refuses tiles that do not fit the size', async () => {
    const edge = LogEdge.empty();
    for (const leaf of leaves.slice(0, 66_000)) await edge.append(leaf);
    const again = LogEdge.fromPartialTiles(66_000, edge.partialTiles());
    for (const leaf of leaves.slice(66_000)) {
      await edge.append(leaf);
      await again.append(leaf);
    }
    expect(hex([await again.root()])).toEqual(hex([await edge.root()]));
    expect(() => LogEdge.fromPartialTiles(66_001, edge.partialTiles())).toThrow(RangeError);
    expect(() => LogEdge.fromPartialTiles(SIZE, [])).toThrow(RangeError);
  });
});
