import { sameBytes as same } from '../util/bytes.ts';
import { sha256 } from '../util/sha256.ts';

/*
 * The Merkle tree of a tenant's transparency log, as RFC 9162 §2.1 defines it (the same tree as
 * RFC 6962's, which Certificate Transparency, Sigstore's Rekor and every C2SP tlog client use):
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256()
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n
 *
 * and its two proofs: inclusion (§2.1.3, an entry is in the tree of a given size and root) and
 * consistency (§2.1.4, the tree of size m is a prefix of the tree of size n). The generators take
 * the leaf hashes of the whole tree; the verifiers take only what a verifier holds offline (a
 * proof, sizes and roots), written from the RFC's verification algorithms, so an auditor's copy
 * of this file needs nothing else.
 */

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export type Hash = Uint8Array;

function prefixed(prefix: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = prefix;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The leaf hash of one log entry. */
export function leafHash(entry: Uint8Array): Promise<Hash> {
  return sha256(prefixed(LEAF_PREFIX, entry));
}

/** The hash of an interior node from its two children. */
export function nodeHash(left: Hash, right: Hash): Promise<Hash> {
  return sha256(prefixed(NODE_PREFIX, left, right));
}

/** The root of a complete subtree from its 2^k hashes one level down, left to right. */
export async function perfectRoot(hashes: readonly Hash[]): Promise<Hash> {
  let level = [...hashes];
  while (level.length > 1) {
    const up: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(await nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}

/** Exact for every safe integer: `n & (n - 1)` works on 32 bits, and logs of 2^53 are. */
export function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

/** The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves. */
export function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number, not ${n}`);
}

/** MTH: the root of the tree whose leaf hashes are `leaves`. */
export async function rootOf(leaves: readonly Hash[]): Promise<Hash> {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return nodeHash(await rootOf(leaves.slice(0, k)), await rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of `leaves`, nearest sibling first. */
export async function inclusionProof(index: number, leaves: readonly Hash[]): Promise<Hash[]> {
  checkSize(index, 'the leaf index');
  if (index >= leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  const path = async (m: number, d: readonly Hash[]): Promise<Hash[]> => {
    if (d.length <= 1) return [];
    const k = split(d.length);
    return m < k
      ? [...(await path(m, d.slice(0, k))), await rootOf(d.slice(k))]
      : [...(await path(m - k, d.slice(k))), await rootOf(d.slice(0, k))];
  };
  return path(index, leaves);
}

/**
 * PROOF(m, D[n]): the consistency proof between the tree of the first `size` leaves and the tree
 * of all of `leaves`. Empty when the sizes are equal or the first tree is empty (nothing to prove).
 */
export async function consistencyProof(size: number, leaves: readonly Hash[]): Promise<Hash[]> {
  checkSize(size, 'the first tree size');
  if (size > leaves.length) throw new RangeError(`a tree of ${size} is not a prefix of a tree of ${leaves.length}`);
  if (size === 0 || size === leaves.length) return [];
  // SUBPROOF(m, D[n], b): b says whether the subtree D[0:m] is one the verifier already holds.
  const subproof = async (m: number, d: readonly Hash[], whole: boolean): Promise<Hash[]> => {
    if (m === d.length) return whole ? [] : [await rootOf(d)];
    const k = split(d.length);
    return m <= k
      ? [...(await subproof(m, d.slice(0, k), whole)), await rootOf(d.slice(k))]
      : [...(await subproof(m - k, d.slice(k), false)), await rootOf(d.slice(0, k))];
  };
  return subproof(size, leaves, true);
}

/**
 * RFC 9162 §2.1.3.2: true when `proof` shows the leaf hash at `index` to be in the tree of `size`
 * leaves whose root is `root`.
 */
export async function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): Promise<boolean> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      // Climb past the levels where this node is a left child with no right sibling.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, root);
}

/**
 * RFC 9162 §2.1.4.2: true when `proof` shows the tree of `first` leaves with root `firstRoot` to
 * be a prefix of the tree of `second` leaves with root `secondRoot`.
 */
export async function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): Promise<boolean> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
  // Every tree extends the empty one; there is nothing to prove, so a proof here is malformed.
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // When the first tree is a whole subtree of the second, its root is the proof's first node.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(fr, firstRoot) && same(sr, secondRoot);
}
