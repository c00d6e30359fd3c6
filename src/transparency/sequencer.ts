import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { LogEdge, type Tile } from './edge.ts';
import type { NoteSigner } from './note.ts';
import { sequenceRun } from './sequence.ts';
import { assignIndexes, advanceHead, lockHead, pendingEntries } from './store.ts';
import { TILE_WIDTH } from './tiles.ts';
import type { Queryable } from '../store/port.ts';

/*
 * The sequencer (docs/transparency-log.md, Appending): gives a tenant's committed, unsequenced
 * entries the next indexes, extends the tree from its stored right edge, writes the tiles that
 * filled and signs the new checkpoint, all in one short transaction under the tenant's head row.
 * Two sequencers of one tenant (two instances) take turns on that row; the second finds nothing
 * left. An entry committed after the first looked is sequenced by the next run, never skipped.
 */

/** Opens (or, on the log's first run, creates) the tenant log's key, in the sequencer's transaction. */
export type LogSignerSource = (tx: Queryable, tenantId: string, origin: string, now: Date) => Promise<NoteSigner>;

export interface SequencerDeps {
  readonly db: Database;
  /** The origin a new log is named by (it keeps that name for ever). */
  readonly originOf: (tenantId: string) => string;
  readonly signer: LogSignerSource;
  readonly now: () => Date;
  /** Entries per transaction; a longer backlog takes several. */
  readonly batch?: number;
  /**
   * Told of each run's entries (their bodies, the first's index) in the run's transaction, under
   * the head's lock: the webhooks' outbox places its events there, in log order. Required, so no
   * sequencer of the service can sequence an entry without placing its events.
   */
  readonly onSequenced: (tx: Queryable, tenantId: string, first: number, bodies: readonly string[]) => Promise<void>;
}

const HASH = 32;

/**
 * Tiles' hashes as stored, level 0 first: the head's edge (the partial tiles; their widths follow
 * from the size) and each full tile (its 256 hashes) alike.
 */
export function encodeTileHashes(tiles: readonly Tile[]): Uint8Array {
  const out = new Uint8Array(tiles.reduce((n, t) => n + t.hashes.length * HASH, 0));
  let at = 0;
  for (const t of [...tiles].sort((a, b) => a.level - b.level))
    for (const h of t.hashes) {
      out.set(h, at);
      at += HASH;
    }
  return out;
}

/** The partial tiles of a log of `size` from its stored edge; a RangeError when they do not fit. */
export function decodeEdge(size: number, edge: Uint8Array): Tile[] {
  const tiles: Tile[] = [];
  let at = 0;
  for (let level = 0, span = 1; span <= size; level++, span *= TILE_WIDTH) {
    const width = Math.floor(size / span) % TILE_WIDTH;
    if (width === 0) continue;
    if (at + width * HASH > edge.length) throw new RangeError(`the stored edge is too short for a log of ${size}`);
    const hashes = Array.from({ length: width }, (_, i) => edge.slice(at + i * HASH, at + (i + 1) * HASH));
    tiles.push({ level, index: Math.floor(size / (span * TILE_WIDTH)), width, hashes });
    at += width * HASH;
  }
  if (at !== edge.length) throw new RangeError(`the stored edge is too long for a log of ${size}`);
  return tiles;
}

const utf8 = new TextEncoder();

/** One sequencer transaction: at most `batch` entries. Returns how many it sequenced and the log's size after. */
async function sequenceBatch(deps: SequencerDeps, tenantId: string, batch: number): Promise<{ sequenced: number; size: number }> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const head = await lockHead(tx, tenantId, deps.originOf(tenantId));
    const pending = await pendingEntries(tx, tenantId, batch);
    if (pending.length === 0) return { sequenced: 0, size: head.size };
    const now = deps.now();
    const edge = LogEdge.fromPartialTiles(head.size, decodeEdge(head.size, head.edge));
    const signer = await deps.signer(tx, tenantId, head.origin, now);
    const run = await sequenceRun(
      edge,
      pending.map((e) => utf8.encode(e.body)),
      head.origin,
      [signer],
    );
    await assignIndexes(
      tx,
      tenantId,
      pending.map((e) => e.entryId),
      run.first,
    );
    await deps.onSequenced(
      tx,
      tenantId,
      run.first,
      pending.map((e) => e.body),
    );
    await advanceHead(
      tx,
      tenantId,
      { size: edge.size, edge: encodeTileHashes(run.partialTiles), checkpoint: run.note, at: now },
      run.fullTiles.map((t) => ({ level: t.level, index: t.index, hashes: encodeTileHashes([t]) })),
    );
    return { sequenced: pending.length, size: edge.size };
  });
}

/** Sequences every entry of the tenant committed before it looked; the log's size after. */
export async function sequenceTenant(deps: SequencerDeps, tenantId: string): Promise<number> {
  const batch = deps.batch ?? 2048;
  for (;;) {
    const { sequenced, size } = await sequenceBatch(deps, tenantId, batch);
    if (sequenced < batch) return size;
  }
}
