import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { checkCheckpoints, checkEntries } from '../../src/transparency/audit.ts';
import type { Checkpoint } from '../../src/transparency/checkpoint.ts';
import { consistencyProof, leafHash, rootOf, type Hash } from '../../src/transparency/merkle.ts';
import { tileBody, tileHashes, type TileCoordinates } from '../../src/transparency/tiles.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const ORIGIN = 'issuer.example/t/acme';
const entryText = (i: number) => new TextEncoder().encode(`{"entry":${i}}`);

interface Log {
  readonly entries: Map<number, Uint8Array>;
  readonly leaves: Hash[];
  checkpoint(size?: number): Promise<Checkpoint>;
  readTile(t: TileCoordinates): Promise<Hash[]>;
}

async function log(size: number, change: (i: number) => Uint8Array = entryText): Promise<Log> {
  const entries = new Map(Array.from({ length: size }, (_, i) => [i, change(i)] as const));
  const leaves = await Promise.all([...entries.values()].map(leafHash));
  return {
    entries,
    leaves,
    checkpoint: async (n = size) => ({ origin: ORIGIN, size: n, root: await rootOf(leaves.slice(0, n)), extensions: [] }),
    readTile: async (t) => tileHashes(await tileBody(t, leaves), t.width)!,
  };
}

/** What an auditor can catch a log doing, each named where it happened. */
describe("auditing a tenant's log", () => {
  let honest: Log;
  beforeAll(async () => {
    useSha256(nodeSha256);
    honest = await log(1_000);
  });

  it('finds nothing wrong with an honest log', async () => {
    expect(await checkEntries(await honest.checkpoint(), { from: 0, to: 1_000 }, honest.entries, honest.readTile)).toEqual([]);
    const older = await honest.checkpoint(300);
    expect(await checkCheckpoints(older, await honest.checkpoint(), await consistencyProof(300, honest.leaves))).toEqual([]);
  });

  it('names a gap: an index of the range with no entry', async () => {
    const missing = new Map(honest.entries);
    missing.delete(500);
    expect(await checkEntries(await honest.checkpoint(), { from: 400, to: 600 }, missing, honest.readTile)).toEqual([
      { kind: 'gap', index: 500 },
    ]);
  });

  it('names a rewritten entry: one whose hash is not the leaf at its index', async () => {
    const rewritten = new Map(honest.entries);
    rewritten.set(42, new TextEncoder().encode('{"entry":42,"status":"valid"}'));
    expect(await checkEntries(await honest.checkpoint(), { from: 0, to: 100 }, rewritten, honest.readTile)).toEqual([
      { kind: 'rewritten_entry', index: 42 },
    ]);
  });

  it('catches a rewritten entry served with a level-0 tile rewritten to match it, naming the tile', async () => {
    const rewritten = await log(1_000, (i) => (i === 42 ? new TextEncoder().encode('{"entry":42,"status":"valid"}') : entryText(i)));
    // Every tile honest but the one that holds entry 42, which is the rewritten log's.
    const forged = (t: TileCoordinates) => (t.level === 0 && t.index === 0 ? rewritten.readTile(t) : honest.readTile(t));
    expect(await checkEntries(await honest.checkpoint(), { from: 0, to: 300 }, rewritten.entries, forged)).toEqual([
      { kind: 'tile_mismatch', level: 0, index: 0 },
    ]);
    // The same forgery in the partial tile at the right edge.
    const late = await log(1_000, (i) => (i === 990 ? new TextEncoder().encode('{"entry":"late"}') : entryText(i)));
    const forgedEdge = (t: TileCoordinates) => (t.level === 0 && t.index === 3 ? late.readTile(t) : honest.readTile(t));
    expect(await checkEntries(await honest.checkpoint(), { from: 980, to: 1_000 }, late.entries, forgedEdge)).toEqual([
      { kind: 'head_mismatch', size: 1_000 },
    ]);
  });

  it('names a tile that is not the width the tree says, rather than fail on a missing hash', async () => {
    const short = async (t: TileCoordinates) => (await honest.readTile(t)).slice(0, t.level === 0 && t.index === 1 ? 255 : undefined);
    expect(await checkEntries(await honest.checkpoint(), { from: 250, to: 260 }, honest.entries, short)).toEqual([
      { kind: 'tile_mismatch', level: 0, index: 1 },
    ]);
  });

  it('names a fork: two checkpoints of one size whose roots differ', async () => {
    const other = await log(1_000, (i) => (i === 10 ? new TextEncoder().encode('{"entry":"other"}') : entryText(i)));
    expect(await checkCheckpoints(await honest.checkpoint(), await other.checkpoint(), [])).toEqual([{ kind: 'fork', size: 1_000 }]);
  });

  it('names a log that does not extend the checkpoint it showed before', async () => {
    const rewrittenHistory = await log(1_000, (i) => (i === 3 ? new TextEncoder().encode('{"entry":"backdated"}') : entryText(i)));
    const earlier = await honest.checkpoint(300);
    // The proof the rewritten log can offer between its own heads does not join the earlier one to its new head.
    const proof = await consistencyProof(300, rewrittenHistory.leaves);
    expect(await checkCheckpoints(earlier, await rewrittenHistory.checkpoint(), proof)).toEqual([
      { kind: 'inconsistent', from: 300, to: 1_000 },
    ]);
  });

  it('names tiles that do not give the signed head, and checkpoints of another log', async () => {
    const other = await log(1_000, (i) => (i === 999 ? new TextEncoder().encode('{"entry":"late"}') : entryText(i)));
    expect(await checkEntries(await honest.checkpoint(), { from: 0, to: 10 }, honest.entries, other.readTile)).toEqual([
      { kind: 'head_mismatch', size: 1_000 },
    ]);
    const elsewhere = { ...(await honest.checkpoint()), origin: 'issuer.example/t/other' };
    expect(await checkCheckpoints(await honest.checkpoint(), elsewhere, [])).toEqual([
      { kind: 'other_log', origins: [ORIGIN, 'issuer.example/t/other'] },
    ]);
  });
});
