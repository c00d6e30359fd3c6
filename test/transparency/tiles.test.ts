import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { leafHash, rootOf, type Hash } from '../../src/transparency/merkle.ts';
import {
  parseTilePath,
  rootFromTiles,
  tileBody,
  tileHashes,
  tileIndexPath,
  tilePath,
  tilesOf,
  type TileCoordinates,
} from '../../src/transparency/tiles.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const key = (t: TileCoordinates) => `${t.level}/${t.index}/${t.width}`;
const hex = (hashes: readonly Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));

describe('the log as C2SP tlog-tiles', () => {
  let leaves: Hash[];
  beforeAll(async () => {
    useSha256(nodeSha256);
    leaves = await Promise.all(Array.from({ length: 70_000 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`))));
  });

  it('names tiles as the spec writes them', () => {
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(5)).toBe('005');
    expect(tileIndexPath(1000)).toBe('x001/000');
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 0, width: 1 })).toBe('tile/2/000.p/1');
    for (const t of [
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 1234067, width: 17 },
      { level: 63, index: 999, width: 255 },
    ])
      expect(parseTilePath(tilePath(t))).toEqual(t);
  });

  it('reads no path that is not the one spelling of a tile', () => {
    for (const path of [
      'tile/0/5',
      'tile/0/x000/005',
      'tile/0/005.p/256',
      'tile/0/005.p/0',
      'tile/0/005.p/007',
      'tile/64/000',
      'tile/00/000',
      'tile/0/005/',
      '../tile/0/000',
    ])
      expect(parseTilePath(path), path).toBeUndefined();
  });

  it('has a tile for each complete run of hashes at each level, and a partial one at each right edge', () => {
    expect(tilesOf(0)).toEqual([]);
    expect(tilesOf(1)).toEqual([{ level: 0, index: 0, width: 1 }]);
    expect(tilesOf(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    const tiles = tilesOf(70_000);
    expect(tiles.filter((t) => t.level === 0)).toHaveLength(274);
    expect(tiles.find((t) => t.level === 0 && t.index === 273)).toEqual({ level: 0, index: 273, width: 112 });
    expect(tiles.filter((t) => t.level === 1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(tiles.filter((t) => t.level === 2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles.some((t) => t.level === 3)).toBe(false);
  });

  it('hold the leaf hashes at level 0 and the roots of complete subtrees above', async () => {
    const level0 = tileHashes(await tileBody({ level: 0, index: 1, width: 256 }, leaves), 256)!;
    expect(hex(level0)).toEqual(hex(leaves.slice(256, 512)));
    const level1 = tileHashes(await tileBody({ level: 1, index: 0, width: 3 }, leaves), 3)!;
    expect(hex([level1[2]!])).toEqual(hex([await rootOf(leaves.slice(512, 768))]));
    await expect(tileBody({ level: 1, index: 1, width: 18 }, leaves)).rejects.toThrow(RangeError);
    expect(tileHashes(new Uint8Array(33), 1)).toBeUndefined();
  });

  it('give every tree head from the tiles alone, reading only tiles that exist, each once', async () => {
    for (const size of [1, 2, 3, 255, 256, 257, 511, 513, 1_000, 65_535, 65_536, 65_537, 70_000]) {
      const exist = new Set(tilesOf(size).map(key));
      const reads = new Set<string>();
      const read = async (t: TileCoordinates) => {
        expect(exist.has(key(t)), `size ${size} reads ${tilePath(t)}`).toBe(true);
        expect(reads.has(key(t)), `size ${size} reads ${tilePath(t)} twice`).toBe(false);
        reads.add(key(t));
        return tileHashes(await tileBody(t, leaves.slice(0, size)), t.width)!;
      };
      expect(hex([await rootFromTiles(size, read)]), `size ${size}`).toEqual(hex([await rootOf(leaves.slice(0, size))]));
    }
  });
});
