import { perfectRoot, type Hash } from './merkle.ts';
import { rootFromTiles, TILE_WIDTH, tilesOf, type TileCoordinates } from './tiles.ts';

/*
 * The right edge of a log's tree: at each tile level, the hashes of the tile that is not full
 * yet. It is all a sequencer needs to append entries and sign the new tree head without reading
 * old entries: a full tile never changes again, and the head is the complete subtrees the edge
 * holds. At most 255 hashes per level, and a level per factor of 256 in the log's size (four
 * levels cover four billion entries).
 */

export interface Tile extends TileCoordinates {
  readonly hashes: readonly Hash[];
}

export class LogEdge {
  private constructor(
    private count: number,
    /** levels[L]: the hashes of level L's partial tile, each the root of 256^L leaves. */
    private readonly levels: Hash[][],
  ) {}

  static empty(): LogEdge {
    return new LogEdge(0, []);
  }

  /** The edge of a log of `size` entries, from its partial tiles (as `partialTiles` gave them, or as stored). */
  static fromPartialTiles(size: number, tiles: readonly Tile[]): LogEdge {
    const expected = tilesOf(size).filter((t) => t.width < TILE_WIDTH);
    const levels: Hash[][] = [];
    for (const t of expected) {
      const tile = tiles.find((x) => x.level === t.level && x.index === t.index);
      if (!tile || tile.width !== t.width || tile.hashes.length !== t.width)
        throw new RangeError(`a log of ${size} entries needs its partial tile ${t.level}/${t.index} of ${t.width} hashes`);
      levels[t.level] = [...tile.hashes];
    }
    return new LogEdge(
      size,
      Array.from({ length: levels.length }, (_, l) => levels[l] ?? []),
    );
  }

  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash; returns the tiles it made full, lowest level first. */
  async append(leaf: Hash): Promise<Tile[]> {
    this.count++;
    const full: Tile[] = [];
    let carry = leaf;
    for (let level = 0; ; level++) {
      const row = (this.levels[level] ??= []);
      row.push(carry);
      if (row.length < TILE_WIDTH) break;
      const index = Math.floor(this.count / TILE_WIDTH ** (level + 1)) - 1;
      full.push({ level, index, width: TILE_WIDTH, hashes: [...row] });
      carry = await perfectRoot(row);
      this.levels[level] = [];
    }
    return full;
  }

  /** The partial tile of each level, as a tile server serves them until they fill. */
  partialTiles(): Tile[] {
    const tiles: Tile[] = [];
    this.levels.forEach((row, level) => {
      if (row.length === 0) return;
      const index = Math.floor(this.count / TILE_WIDTH ** (level + 1));
      tiles.push({ level, index, width: row.length, hashes: [...row] });
    });
    return tiles;
  }

  /**
   * The tree head. Every hash a head is computed from lies in the partial tile of its level (the
   * complete subtrees past the last full tile of each level), so it is the tile client's
   * computation read from the edge alone.
   */
  root(): Promise<Hash> {
    return rootFromTiles(this.count, async (t) => this.levels[t.level] ?? []);
  }
}
