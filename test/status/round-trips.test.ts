/**
 * Property-style: a few hundred random lists (seeded, so a failure reproduces) survive
 * encode → decode in both formats with every status intact, and get/nonZero agree.
 */
import { describe, expect, it } from 'vitest';
import { StatusList, type StatusBits } from '../../src/status/bitstring.ts';
import {
  BITSTRING_STATUS_LIST_MIN_ENTRIES,
  decodeBitstringStatusList,
  decodeTokenStatusList,
  encodeBitstringStatusList,
  encodeTokenStatusList,
} from '../../src/status/codec.ts';
import { prng } from './helpers.ts';

const ALL_BITS: StatusBits[] = [1, 2, 4, 8];

/** A random list: any size (small ones often, with padding), any density from empty to full. */
function randomList(random: () => number, bits: StatusBits, minSize = 1): { list: StatusList; expected: Map<number, number> } {
  const size = minSize + Math.floor(random() ** 3 * 20_000);
  const list = new StatusList(size, bits);
  const expected = new Map<number, number>();
  const density = [0, 0.001, 0.01, 0.3, 1][Math.floor(random() * 5)]!;
  const count = Math.round(size * density);
  const max = (1 << bits) - 1;
  for (let n = 0; n < count; n++) {
    const index = Math.floor(random() * size);
    const status = Math.floor(random() * (max + 1));
    list.set(index, status);
    if (status === 0) expected.delete(index);
    else expected.set(index, status);
  }
  return { list, expected };
}

/** One assertion per list (vitest's per-call cost would dominate otherwise): nonZero and get agree with what was set. */
function expectStatuses(list: StatusList, expected: Map<number, number>): void {
  const want = [...expected].sort((a, b) => a[0] - b[0]).join(';');
  const seen = [...list.nonZero()];
  expect(seen.join(';')).toBe(want);
  expect(seen.filter(([index, status]) => list.get(index) !== status)).toEqual([]);
}

describe('random lists round-trip', () => {
  it.each(ALL_BITS)('IETF Token Status List, %i bits: 75 lists', async (bits) => {
    const random = prng(1000 + bits);
    for (let n = 0; n < 75; n++) {
      const { list, expected } = randomList(random, bits);
      expectStatuses(list, expected);
      const encoded = await encodeTokenStatusList(list);
      expectStatuses(await decodeTokenStatusList(encoded, list.size), expected);
      // Without the size, the list comes back padded to whole bytes, the padding all 0.
      const unsized = await decodeTokenStatusList(encoded);
      expect(unsized.size).toBe((Math.ceil((list.size * bits) / 8) * 8) / bits);
      expectStatuses(unsized, expected);
    }
  });

  it('W3C Bitstring Status List, 1 bit: 60 lists', async () => {
    const random = prng(2000);
    for (let n = 0; n < 60; n++) {
      const { list, expected } = randomList(random, 1, BITSTRING_STATUS_LIST_MIN_ENTRIES);
      const encoded = await encodeBitstringStatusList(list);
      expectStatuses(await decodeBitstringStatusList(encoded, list.size), expected);
      expectStatuses(await decodeBitstringStatusList(encoded), expected);
    }
  });

  it('the same 1-bit list in both formats holds the same statuses', async () => {
    const random = prng(3000);
    for (let n = 0; n < 20; n++) {
      const { list, expected } = randomList(random, 1, BITSTRING_STATUS_LIST_MIN_ENTRIES);
      const [ietf, w3c] = await Promise.all([
        encodeTokenStatusList(list).then((e) => decodeTokenStatusList(e, list.size)),
        encodeBitstringStatusList(list).then((e) => decodeBitstringStatusList(e, list.size)),
      ]);
      expectStatuses(ietf, expected);
      expectStatuses(w3c, expected);
      expect(w3c.packed('lsb-first')).toEqual(ietf.packed('lsb-first'));
    }
  });
});
