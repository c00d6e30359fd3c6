import type { Checkpoint } from './checkpoint.ts';
import { checkpointText } from './checkpoint.ts';
import type { LogEdge, Tile } from './edge.ts';
import { leafHash, type Hash } from './merkle.ts';
import { signNote, type NoteSigner } from './note.ts';

/*
 * One run of a log's sequencer, without storage (docs/transparency-log.md, Appending): entries
 * committed since the last run, in the order they are to take, are given the next indexes after
 * the edge's size, appended to the edge, and the new head is signed. What it returns is what
 * the store writes in the sequencer's transaction: the indexes and leaf hashes, the tiles that
 * became full (immutable from then on), the partial tiles now, and the signed checkpoint.
 */

export interface SequencedRun {
  /** The index the first entry took; the others follow it without a gap. */
  readonly first: number;
  readonly leafHashes: readonly Hash[];
  readonly fullTiles: readonly Tile[];
  readonly partialTiles: readonly Tile[];
  readonly checkpoint: Checkpoint;
  /** The checkpoint as a signed note, as `GET /t/{t}/log/checkpoint` serves it. */
  readonly note: string;
}

/** Appends `entries` to `edge` (which it advances) and signs the log's new head with `signers` (the log key first). */
export async function sequenceRun(
  edge: LogEdge,
  entries: readonly Uint8Array[],
  origin: string,
  signers: readonly NoteSigner[],
): Promise<SequencedRun> {
  const first = edge.size;
  const leafHashes = await Promise.all(entries.map(leafHash));
  const fullTiles: Tile[] = [];
  for (const h of leafHashes) fullTiles.push(...(await edge.append(h)));
  const checkpoint: Checkpoint = { origin, size: edge.size, root: await edge.root(), extensions: [] };
  const note = await signNote(checkpointText(checkpoint), signers);
  return { first, leafHashes, fullTiles, partialTiles: edge.partialTiles(), checkpoint, note };
}
