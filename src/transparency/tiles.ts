import { nodeHash, perfectRoot, rootOf, type Hash } from './merkle.ts';

/*
 * The log's tree as C2SP tlog-tiles lays it out (c2sp.org/tlog-tiles), so tile clients and
 * witnesses that know the layout read a tenant's log without our code:
 *
 * - a tile is up to 256 hashes of one level of tiles: level 0 holds leaf hashes, level L the
 *   roots of the complete subtrees of 256^L leaves, tile N of a level the 256 hashes from
 *   256·N on. Only complete subtrees are in tiles; the right edge of a tree that is not a
 *   multiple of 256 at some level is a partial tile of W < 256 hashes;
 * - its path is `tile/<L>/<N>`, or `tile/<L>/<N>.p/<W>` when partial, where N is written in
 *   zero-padded groups of three digits, every group but the last prefixed with `x`
 *   (1234067 → x001/x234/067);
 * - its body is the hashes, 32 bytes each, in order.
 *
 * Tiles never change once full; a partial tile is replaced by a wider one as the log grows.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;
const HASH_SIZE = 32;

export interface TileCoordinates {
  readonly level: number;
  readonly index: number;
  /** Hashes in the tile: TILE_WIDTH when full. */
  readonly width: number;
}

/** N in path form: zero-padded groups of three digits, all but the last prefixed with `x`. */
export function tileIndexPath(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a tile index is a whole number, not ${n}`);
  const digits = String(n);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** The path of a tile under the log's prefix. */
export function tilePath(t: TileCoordinates): string {
  if (t.width < 1 || t.width > TILE_WIDTH) throw new RangeError(`a tile holds 1 to ${TILE_WIDTH} hashes, not ${t.width}`);
  return `tile/${t.level}/${tileIndexPath(t.index)}${t.width === TILE_WIDTH ? '' : `.p/${t.width}`}`;
}

/** The tile a path names, or undefined for anything else (a non-canonical spelling included). */
export function parseTilePath(path: string): TileCoordinates | undefined {
  const m = /^tile\/(0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (!m) return undefined;
  const level = Number(m[1]);
  const index = Number(m[2]!.replaceAll('x', '').replaceAll('/', ''));
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (level > 63 || !Number.isSafeInteger(index) || (m[3] !== undefined && width >= TILE_WIDTH)) return undefined;
  const tile = { level, index, width };
  return tilePath(tile) === path ? tile : undefined;
}

/** Leaves under one hash of a level-`level` tile. */
const span = (level: number) => TILE_WIDTH ** level;

/** Every tile of a tree of `size` leaves: the full ones, and the partial one at each level's right edge. */
export function tilesOf(size: number): TileCoordinates[] {
  const tiles: TileCoordinates[] = [];
  for (let level = 0; span(level) <= size; level++) {
    const hashes = Math.floor(size / span(level));
    for (let index = 0; index * TILE_WIDTH < hashes; index++)
      tiles.push({ level, index, width: Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH) });
  }
  return tiles;
}

/** The body of a tile of the tree whose leaf hashes are `leaves`: the roots of its complete subtrees, in order. */
export async function tileBody(t: TileCoordinates, leaves: readonly Hash[]): Promise<Uint8Array<ArrayBuffer>> {
  const leavesPer = span(t.level);
  const first = t.index * TILE_WIDTH;
  if ((first + t.width) * leavesPer > leaves.length)
    throw new RangeError(`tile ${tilePath(t)} is not complete in a tree of ${leaves.length}`);
  const body = new Uint8Array(t.width * HASH_SIZE);
  for (let i = 0; i < t.width; i++) {
    const start = (first + i) * leavesPer;
    body.set(await rootOf(leaves.slice(start, start + leavesPer)), i * HASH_SIZE);
  }
  return body;
}

/** A tile's hashes from its body; undefined when the body is not `width` hashes. */
export function tileHashes(body: Uint8Array, width: number): Hash[] | undefined {
  if (body.length !== width * HASH_SIZE) return undefined;
  return Array.from({ length: width }, (_, i) => body.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
}

/** Reads the tile at the given coordinates (width as the tree's size implies it), from wherever a reader keeps them. */
export type TileReader = (t: TileCoordinates) => Promise<Hash[]>;

/** Told of each hash a head was computed from: the one at `position` of tile level `level`. */
export type UsedHash = (level: number, position: number, hash: Hash) => void;

/**
 * A reader that fetches each tile once (subtrees at the right edge share tiles) and refuses a tile
 * that is not the width asked for, rather than compute with a hash that is not there.
 */
export function onceEach(readTile: TileReader): TileReader {
  const held = new Map<string, Promise<Hash[]>>();
  return (t) => {
    const key = `${t.level}/${t.index}/${t.width}`;
    let tile = held.get(key);
    if (!tile) {
      tile = readTile(t).then((hashes) => {
        if (hashes.length !== t.width || hashes.some((h) => h.length !== 32))
          throw new RangeError(`tile ${tilePath(t)} holds ${hashes.length} hashes, not ${t.width}`);
        return hashes;
      });
      held.set(key, tile);
    }
    return tile;
  };
}

/**
 * The root of the tree of `size` leaves from its tiles alone, as a tile client computes it: the
 * tree is the complete subtrees of the binary expansion of `size`, left to right, each read from
 * the tile of its height or hashed up from the level below, folded right to left.
 */
export async function rootFromTiles(size: number, readTile: TileReader, onUsed?: UsedHash): Promise<Hash> {
  if (size === 0) return rootOf([]);
  const read = onceEach(readTile);
  const parts: Hash[] = [];
  let offset = 0;
  for (let height = Math.floor(Math.log2(size)); height >= 0; height--) {
    const count = 2 ** height;
    if (size - offset < count) continue;
    parts.push(await subtreeFromTiles(offset, height, size, read, onUsed));
    offset += count;
  }
  let root = parts.pop()!;
  while (parts.length > 0) root = await nodeHash(parts.pop()!, root);
  return root;
}

/** The root of the complete subtree of 2^height leaves starting at leaf `offset`, in the tree of `size`. */
export async function subtreeFromTiles(offset: number, height: number, size: number, read: TileReader, onUsed?: UsedHash): Promise<Hash> {
  const level = Math.floor(height / TILE_HEIGHT);
  const per = span(level);
  const first = offset / per;
  const needed = 2 ** (height - level * TILE_HEIGHT);
  // Each tile read once: a subtree's hashes at one level are consecutive, in one or more tiles.
  const hashes: Hash[] = [];
  for (let index = Math.floor(first / TILE_WIDTH); index * TILE_WIDTH < first + needed; index++) {
    const width = Math.min(TILE_WIDTH, Math.floor(size / per) - index * TILE_WIDTH);
    const tile = await read({ level, index, width });
    const from = Math.max(first, index * TILE_WIDTH) - index * TILE_WIDTH;
    const to = Math.min(first + needed, (index + 1) * TILE_WIDTH) - index * TILE_WIDTH;
    for (let i = from; i < to; i++) onUsed?.(level, index * TILE_WIDTH + i, tile[i]!);
    hashes.push(...tile.slice(from, to));
  }
  return perfectRoot(hashes);
}
