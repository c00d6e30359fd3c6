import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { checkEntries } from '../../src/transparency/audit.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { LogEdge, type Tile } from '../../src/transparency/edge.ts';
import { createLogKey, logKeySigner, logKeyVerifier } from '../../src/keys/log-key.ts';
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../../src/transparency/merkle.ts';
import { sequenceRun } from '../../src/transparency/sequence.ts';
import { tilePath, type TileCoordinates } from '../../src/transparency/tiles.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const ORIGIN = 'issuer.example/t/acme';
const entry = (i: number) => new TextEncoder().encode(`{"entry":${i}}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Runs of the sequencer, as the store will keep them: every run's tiles and checkpoint must be
 * the whole log's, and what an auditor reads from them must check out.
 */
describe("a log's sequencer runs", () => {
  beforeAll(() => useSha256(nodeSha256));

  it('give indexes without a gap, sign heads that open with the log key, and keep tiles a reader checks the log with', async () => {
    const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const key = await createLogKey(kek, 'acme', ORIGIN);
    const signer = await logKeySigner(kek, 'acme', key);
    const verifier = await logKeyVerifier(key);

    // Stored as the store will: full tiles once and for good, partial tiles replaced by each run.
    const full = new Map<string, Tile>();
    let partial: readonly Tile[] = [];
    const entries: Uint8Array[] = [];
    const notes: string[] = [];
    let edge = LogEdge.empty();
    for (const batch of [1, 0, 255, 1, 300, 7, 700]) {
      const fresh = Array.from({ length: batch }, (_, i) => entry(entries.length + i));
      // Each run resumes from what the last one stored, as a sequencer on another instance would.
      edge = LogEdge.fromPartialTiles(edge.size, partial);
      const run = await sequenceRun(edge, fresh, ORIGIN, [signer]);
      expect(run.first).toBe(entries.length);
      entries.push(...fresh);
      for (const t of run.fullTiles) {
        expect(full.has(tilePath(t)), `${tilePath(t)} written twice`).toBe(false);
        full.set(tilePath(t), t);
      }
      partial = run.partialTiles;
      notes.push(run.note);
    }

    const leaves = await Promise.all(entries.map(leafHash));
    const opened = await Promise.all(notes.map((n) => openCheckpoint(n, ORIGIN, verifier)));
    const last = opened.at(-1)!.checkpoint;
    expect(last.size).toBe(entries.length);
    expect(hex(last.root)).toBe(hex(await rootOf(leaves)));

    // Every head extends the one before it.
    for (let i = 1; i < opened.length; i++) {
      const [a, b] = [opened[i - 1]!.checkpoint, opened[i]!.checkpoint];
      expect(await verifyConsistency(a.size, b.size, a.root, b.root, await consistencyProof(a.size, leaves.slice(0, b.size)))).toBe(true);
    }
    // An auditor reading the stored tiles finds every entry in place.
    const readTile = async (t: TileCoordinates) => {
      const stored = t.width === 256 ? full.get(tilePath(t)) : partial.find((p) => tilePath(p) === tilePath(t));
      if (!stored) throw new Error(`no tile ${tilePath(t)}`);
      return [...stored.hashes];
    };
    const all = new Map(entries.map((e, i) => [i, e] as const));
    expect(await checkEntries(last, { from: 0, to: entries.length }, all, readTile)).toEqual([]);
    // And an inclusion proof of any entry verifies against the last head.
    expect(await verifyInclusion(700, last.size, leaves[700]!, await inclusionProof(700, leaves), last.root)).toBe(true);
  });
});
