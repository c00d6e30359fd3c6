import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../src/transparency/merkle.ts';
import { useSha256 } from '../../src/util/sha256.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/*
 * The reference tree of RFC 6962's Certificate Transparency test data, which RFC 9162 keeps
 * unchanged: eight entries, the tree head of every size from 0 to 8, and inclusion proofs in the
 * tree of 8 (leaf indexes from 0).
 */
const ENTRIES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 2, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'] },
];

/** A tampered copy: one bit of one node flipped. */
const flipped = (proof: readonly Hash[], at: number) => proof.map((p, i) => (i === at ? p.map((b, j) => (j === 0 ? b ^ 1 : b)) : p));

describe('the transparency log tree (RFC 9162 §2.1)', () => {
  let leaves: Hash[];
  beforeAll(async () => {
    useSha256(nodeSha256);
    leaves = await Promise.all(ENTRIES.map(leafHash));
  });

  it('gives the reference tree head of every size, the empty tree included', async () => {
    for (let n = 0; n <= ENTRIES.length; n++) expect(hex(await rootOf(leaves.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
  });

  it('produces the reference inclusion proofs, which verify against the reference heads', async () => {
    for (const v of INCLUSION) {
      const proof = await inclusionProof(v.index, leaves.slice(0, v.size));
      expect(proof.map(hex), `leaf ${v.index} of ${v.size}`).toEqual(v.proof);
      expect(await verifyInclusion(v.index, v.size, leaves[v.index]!, proof, unhex(ROOTS[v.size]!))).toBe(true);
    }
  });

  it('proves the tree of one a prefix of the tree of eight with the path of its leaf (RFC 9162 §2.1.4.1 worked by hand)', async () => {
    const proof = await consistencyProof(1, leaves);
    expect(proof.map(hex)).toEqual(INCLUSION[0]!.proof);
    expect(await verifyConsistency(1, 8, unhex(ROOTS[1]!), unhex(ROOTS[8]!), proof)).toBe(true);
  });

  describe('in every tree up to 40 entries', () => {
    const SIZES = 40;
    let many: Hash[];
    let roots: Hash[];
    beforeAll(async () => {
      many = await Promise.all(Array.from({ length: SIZES }, (_, i) => leafHash(Uint8Array.of(i, (i * 7) & 0xff, 0x5a))));
      roots = await Promise.all(Array.from({ length: SIZES + 1 }, (_, n) => rootOf(many.slice(0, n))));
    });

    it('every entry has an inclusion proof that verifies, and no altered leaf, index, size, root or proof does', async () => {
      for (let size = 1; size <= SIZES; size++) {
        const tree = many.slice(0, size);
        for (let index = 0; index < size; index++) {
          const proof = await inclusionProof(index, tree);
          expect(await verifyInclusion(index, size, many[index]!, proof, roots[size]!), `${index} of ${size}`).toBe(true);
          expect(await verifyInclusion(index, size, many[(index + 1) % SIZES]!, proof, roots[size]!)).toBe(false);
          if (size > 1) expect(await verifyInclusion((index + 1) % size, size, many[index]!, proof, roots[size]!)).toBe(false);
          if (size < SIZES) expect(await verifyInclusion(index, size + 1, many[index]!, proof, roots[size + 1]!)).toBe(false);
          for (let at = 0; at < proof.length; at++)
            expect(await verifyInclusion(index, size, many[index]!, flipped(proof, at), roots[size]!)).toBe(false);
          expect(await verifyInclusion(index, size, many[index]!, [...proof, many[0]!], roots[size]!)).toBe(false);
        }
      }
    });

    it('every smaller tree has a consistency proof to every larger one, and no altered proof or head verifies', async () => {
      for (let second = 1; second <= SIZES; second++) {
        for (let first = 1; first < second; first++) {
          const proof = await consistencyProof(first, many.slice(0, second));
          expect(await verifyConsistency(first, second, roots[first]!, roots[second]!, proof), `${first} -> ${second}`).toBe(true);
          for (let at = 0; at < proof.length; at++)
            expect(await verifyConsistency(first, second, roots[first]!, roots[second]!, flipped(proof, at))).toBe(false);
          // A fork: a first head that is not the prefix of the second.
          expect(await verifyConsistency(first, second, roots[first - 1]!, roots[second]!, proof)).toBe(false);
          expect(await verifyConsistency(first, second, roots[first]!, roots[second - 1]!, proof)).toBe(false);
          expect(await verifyConsistency(first, second, roots[first]!, roots[second]!, proof.slice(0, -1))).toBe(false);
        }
        expect(await consistencyProof(second, many.slice(0, second))).toEqual([]);
        expect(await verifyConsistency(second, second, roots[second]!, roots[second]!, [])).toBe(true);
      }
    });

    it('refuses to prove what is not there', async () => {
      await expect(inclusionProof(3, many.slice(0, 3))).rejects.toThrow(RangeError);
      await expect(consistencyProof(5, many.slice(0, 4))).rejects.toThrow(RangeError);
      expect(await verifyInclusion(-1, 4, many[0]!, [], roots[4]!)).toBe(false);
      expect(await verifyConsistency(5, 4, roots[4]!, roots[4]!, [])).toBe(false);
    });
  });

  it('has its heads and proofs accepted by an independent implementation written from the RFC with Python hashlib', async () => {
    const entries = Array.from({ length: 37 }, (_, i) => crypto.getRandomValues(new Uint8Array(1 + (i % 50))));
    const hashes = await Promise.all(entries.map(leafHash));
    const inclusion = [];
    for (const size of [1, 2, 3, 7, 8, 9, 16, 17, 31, 37])
      for (let index = 0; index < size; index++)
        inclusion.push({ index, size, proof: (await inclusionProof(index, hashes.slice(0, size))).map(hex) });
    const consistency = [];
    for (let second = 2; second <= 37; second++)
      for (let first = 1; first < second; first++)
        consistency.push({ first, second, proof: (await consistencyProof(first, hashes.slice(0, second))).map(hex) });
    // One of each altered, so the check is seen refusing too.
    const badInclusion = { ...inclusion[20]!, proof: [...inclusion[20]!.proof].reverse() };
    const badConsistency = { ...consistency[100]!, proof: consistency[100]!.proof.slice(1) };

    const run = spawnSync('python3', [join(import.meta.dirname, 'rfc9162_check.py')], {
      input: JSON.stringify({
        entries: entries.map(hex),
        inclusion: [...inclusion, badInclusion],
        consistency: [...consistency, badConsistency],
      }),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { roots: string[]; inclusion: boolean[]; consistency: boolean[] };
    for (let n = 0; n <= entries.length; n++) expect(out.roots[n], `size ${n}`).toBe(hex(await rootOf(hashes.slice(0, n))));
    expect(out.inclusion).toEqual([...inclusion.map(() => true), false]);
    expect(out.consistency).toEqual([...consistency.map(() => true), false]);
  });
});
