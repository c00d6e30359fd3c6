import { describe, expect, it } from 'vitest';
import { MAX_STATUS_LIST_BYTES, StatusList, type StatusBits } from '../../src/status/bitstring.ts';
import { hex, listOf, nonZeroRecord, readVector } from './helpers.ts';

const ALL_BITS: StatusBits[] = [1, 2, 4, 8];

describe('a status list', () => {
  it('starts with every status 0, one bit wide unless told otherwise', () => {
    const list = new StatusList(20);
    expect(list.bits).toBe(1);
    expect(list.size).toBe(20);
    expect([...list.nonZero()]).toEqual([]);
    for (let i = 0; i < 20; i++) expect(list.get(i)).toBe(0);
  });

  it.each(ALL_BITS)('holds %i-bit statuses side by side without disturbing neighbours', (bits) => {
    const max = (1 << bits) - 1;
    const list = new StatusList(50, bits);
    list.set(7, max);
    list.set(8, 1);
    list.set(6, max);
    list.set(7, 0);
    expect(list.get(6)).toBe(max);
    expect(list.get(7)).toBe(0);
    expect(list.get(8)).toBe(1);
    expect([...list.nonZero()]).toEqual([
      [6, max],
      [8, 1],
    ]);
  });

  it('allows a size that leaves padding in the last byte, and keeps that padding zero', () => {
    const list = new StatusList(10, 1);
    list.set(9, 1);
    expect(list.packed('lsb-first')).toEqual(new Uint8Array([0, 0b10]));
    expect(list.packed('msb-first')).toEqual(new Uint8Array([0, 0b01000000]));
  });

  it('hands out copies of its bytes', () => {
    const list = new StatusList(8);
    list.packed('lsb-first')[0] = 0xff;
    list.packed('msb-first')[0] = 0xff;
    expect(list.get(0)).toBe(0);
  });

  describe('refuses caller mistakes with a TypeError', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '8'])('size %s', (size) => {
      expect(() => new StatusList(size as number)).toThrow(TypeError);
    });

    it.each([0, 3, 16, '1', null])('bits %s', (bits) => {
      expect(() => new StatusList(8, bits as StatusBits)).toThrow(TypeError);
    });

    it('a list larger than the cap', () => {
      expect(() => new StatusList(MAX_STATUS_LIST_BYTES * 8 + 1, 1)).toThrow(TypeError);
      expect(() => new StatusList(MAX_STATUS_LIST_BYTES + 1, 8)).toThrow(TypeError);
      expect(new StatusList(MAX_STATUS_LIST_BYTES, 8).size).toBe(MAX_STATUS_LIST_BYTES);
    });

    it.each([-1, 12, 13, 1.5, Number.NaN, '0'])('index %s in a list of 12', (index) => {
      const list = new StatusList(12, 2);
      expect(() => list.get(index as number)).toThrow(TypeError);
      expect(() => list.set(index as number, 1)).toThrow(TypeError);
    });

    it.each(ALL_BITS)('a status that does not fit %i bits', (bits) => {
      const list = new StatusList(4, bits);
      for (const status of [-1, 1 << bits, 0.5, Number.NaN, '1']) expect(() => list.set(0, status as number)).toThrow(TypeError);
      expect(list.get(0)).toBe(0);
    });

    it('packed bytes of the wrong length or with padding set', () => {
      expect(() => StatusList.fromPacked(new Uint8Array(2), 1, 'lsb-first', 17)).toThrow(TypeError);
      expect(() => StatusList.fromPacked(new Uint8Array(0), 1, 'lsb-first')).toThrow(TypeError);
      expect(() => StatusList.fromPacked(new Uint8Array([0, 0b100]), 1, 'lsb-first', 10)).toThrow(TypeError);
      expect(() => StatusList.fromPacked(new Uint8Array([0, 0b00100000]), 1, 'msb-first', 10)).toThrow(TypeError);
      expect(StatusList.fromPacked(new Uint8Array([0, 0b10]), 1, 'lsb-first', 10).get(9)).toBe(1);
      expect(StatusList.fromPacked(new Uint8Array([0, 0b01000000]), 1, 'msb-first', 10).get(9)).toBe(1);
    });
  });
});

/**
 * Bit order, computed by hand. IETF (draft-ietf-oauth-status-list, "Compressed Byte Array"):
 * statuses fill each byte from the least significant bit. W3C ("encodedList"): index 0 is the
 * left-most, most significant bit. Either way a multi-bit status keeps its own bits in order.
 */
describe('bit order', () => {
  const cases: { bits: StatusBits; set: [number, number][]; lsbFirst: number[]; msbFirst: number[] }[] = [
    // bits 1: index 0 is bit 0 (IETF) or bit 7 (W3C) of byte 0; index 9 is bit 1 or bit 6 of byte 1.
    { bits: 1, set: [[0, 1]], lsbFirst: [0b00000001, 0], msbFirst: [0b10000000, 0] },
    { bits: 1, set: [[9, 1]], lsbFirst: [0, 0b00000010], msbFirst: [0, 0b01000000] },
    // bits 2: status 1 at index 0; then status 2 (0b10) at index 3, the last pair of byte 0.
    { bits: 2, set: [[0, 1]], lsbFirst: [0b00000001], msbFirst: [0b01000000] },
    {
      bits: 2,
      set: [
        [0, 1],
        [3, 2],
      ],
      lsbFirst: [0b10000001],
      msbFirst: [0b01000010],
    },
    // bits 4: status 0b0011 at index 0 and 0b1100 at index 1 swap nibbles between the orders.
    {
      bits: 4,
      set: [
        [0, 0b0011],
        [1, 0b1100],
      ],
      lsbFirst: [0xc3],
      msbFirst: [0x3c],
    },
    // bits 8: one status per byte, so both orders are the same bytes.
    {
      bits: 8,
      set: [
        [0, 0xa5],
        [1, 0x01],
      ],
      lsbFirst: [0xa5, 0x01],
      msbFirst: [0xa5, 0x01],
    },
  ];

  it.each(cases)('bits $bits, set $set', ({ bits, set, lsbFirst, msbFirst }) => {
    const size = (lsbFirst.length * 8) / bits;
    const list = listOf(size, bits, set);
    expect(list.packed('lsb-first')).toEqual(new Uint8Array(lsbFirst));
    expect(list.packed('msb-first')).toEqual(new Uint8Array(msbFirst));
    for (const order of ['lsb-first', 'msb-first'] as const) {
      const bytes = new Uint8Array(order === 'lsb-first' ? lsbFirst : msbFirst);
      expect(nonZeroRecord(StatusList.fromPacked(bytes, bits, order))).toEqual(nonZeroRecord(list));
    }
  });

  it.each(['encoding_json.json', 'encoding2_json.json'])('packs the draft’s worked example in %s to its printed bytes', (file) => {
    const v = readVector<{ bits: StatusBits; size: number; nonzero_statuses: Record<string, number>; decoded_bytes_hex: string }>(file);
    expect(hex(listOf(v.size, v.bits, v.nonzero_statuses).packed('lsb-first'))).toBe(v.decoded_bytes_hex);
  });

  it.each(ALL_BITS)('reorders every possible byte of %i-bit statuses and back', (bits) => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const list = StatusList.fromPacked(all, bits, 'lsb-first');
    const msb = list.packed('msb-first');
    const perByte = 8 / bits;
    for (let index = 0; index < list.size; index++) {
      const byte = msb[Math.floor(index / perByte)]!;
      const shift = 8 - bits * ((index % perByte) + 1);
      expect((byte >> shift) & ((1 << bits) - 1)).toBe(list.get(index));
    }
    expect(StatusList.fromPacked(msb, bits, 'msb-first').packed('lsb-first')).toEqual(all);
  });
});
