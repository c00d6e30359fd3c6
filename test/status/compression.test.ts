/**
 * Compression is a port (src/status/compression.ts): Node installs node:zlib, the Worker keeps
 * Compression Streams. Which one runs must change how fast a list is published, never its bytes:
 * a list signed on Node and one signed on a Worker are the same document.
 */
import { describe, expect, it } from 'vitest';
import { nodeCompressor } from '../../src/runtime/node/zlib-compression.ts';
import { StatusList } from '../../src/status/bitstring.ts';
import { decompressBounded, webCompressor, type ListCompression } from '../../src/status/compression.ts';
import { prng } from './helpers.ts';

function sparseList(size: number, bits: 1 | 2, seed: number): StatusList {
  const random = prng(seed);
  const list = new StatusList(size, bits);
  for (let n = 0; n < size / 70; n++) list.set(Math.floor(random() * size), 1);
  return list;
}

const inputs: [string, Uint8Array<ArrayBuffer>][] = [
  ['one byte', new Uint8Array([0x5a])],
  ['a 131,072-entry list, msb-first', sparseList(131_072, 1, 1).packed('msb-first')],
  ['a 1,000,000-entry 2-bit list, lsb-first (several output chunks)', sparseList(1_000_000, 2, 2).packed('lsb-first')],
  ['incompressible bytes', Uint8Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24)],
];
const formats: ListCompression[] = ['deflate', 'gzip'];

describe('node:zlib and Compression Streams compress a list to the same bytes', () => {
  for (const format of formats) {
    it.each(inputs)(`${format}: %s`, async (_, bytes) => {
      const fromNode = await nodeCompressor(bytes, format);
      expect(Buffer.from(fromNode).equals(Buffer.from(await webCompressor(bytes, format)))).toBe(true);
      expect(await decompressBounded(fromNode, format, bytes.length)).toEqual(bytes);
    });
  }

  it('compresses lists side by side without mixing their outputs', async () => {
    const lists = [1, 2, 3, 4].map((seed) => sparseList(200_000, 1, seed).packed('msb-first'));
    const outputs = await Promise.all(lists.map((bytes) => nodeCompressor(bytes, 'gzip')));
    for (const [i, out] of outputs.entries()) expect(await decompressBounded(out, 'gzip', lists[i]!.length)).toEqual(lists[i]);
  });
});
