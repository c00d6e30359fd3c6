/**
 * W3C Bitstring Status List v1.0. The W3C publishes no machine-readable vectors, so besides the
 * one encodedList the spec prints, this checks the spec's sentences one by one and decodes with
 * node:zlib as an independent GZIP implementation:
 *
 *   "The encodedList property ... MUST be a Multibase-encoded base64url (with no padding)
 *   [RFC4648] representation of the GZIP-compressed [RFC1952] bitstring values ... The
 *   uncompressed bitstring MUST be at least 16KB in size. The bitstring MUST be encoded such
 *   that the first index, with a value of zero (0), is located at the left-most bit in the
 *   bitstring and the last index ... is located at the right-most bit in the bitstring."
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StatusList } from '../../src/status/bitstring.ts';
import { BITSTRING_STATUS_LIST_MIN_ENTRIES, decodeBitstringStatusList, encodeBitstringStatusList } from '../../src/status/codec.ts';
import { expectInvalidStatusList, listOf, nonZeroRecord, prng, readMsbFirst } from './helpers.ts';

const MIN = BITSTRING_STATUS_LIST_MIN_ENTRIES;

/** What a verifier with only node:zlib would do: strip the multibase prefix, base64url-decode, gunzip. */
function expandIndependently(encodedList: string): Buffer {
  expect(encodedList[0]).toBe('u');
  return gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
}

/** An all-zero list of the minimum size, as an independent encoder (node:zlib) writes it. */
const independentEmptyList = () => `u${gzipSync(Buffer.alloc(MIN / 8)).toString('base64url')}`;

describe('an all-zero minimum list gzipped by node:zlib (an independent encoder)', () => {
  it('decodes to the minimum list with every entry 0', async () => {
    const list = await decodeBitstringStatusList(independentEmptyList());
    expect(list.size).toBe(MIN);
    expect(list.packed('msb-first').length).toBe(MIN / 8);
    expect([...list.nonZero()]).toEqual([]);
    expect((await decodeBitstringStatusList(independentEmptyList(), MIN)).size).toBe(MIN);
  });

  it('is what our encoder produces for an empty minimum list, up to compression', async () => {
    const ours = await encodeBitstringStatusList(new StatusList(MIN));
    expect(expandIndependently(ours).equals(expandIndependently(independentEmptyList()))).toBe(true);
  });

  it('refuses a multibase base64url value that is not GZIP', async () => {
    await expectInvalidStatusList(decodeBitstringStatusList(`u${Buffer.from('not a gzip stream at all').toString('base64url')}`));
  });
});

describe('the spec’s text', () => {
  it('"Multibase-encoded base64url (with no padding) ... of the GZIP-compressed bitstring"', async () => {
    const encoded = await encodeBitstringStatusList(new StatusList(MIN));
    expect(encoded).toMatch(/^u[A-Za-z0-9_-]+$/);
    // RFC 1952 §2.3.1: ID1 ID2 CM = 1f 8b 08 (deflate).
    expect([...Buffer.from(encoded.slice(1), 'base64url').subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
  });

  it('"The uncompressed bitstring MUST be at least 16KB in size": encoding a shorter list is a caller mistake', async () => {
    await expect(encodeBitstringStatusList(new StatusList(MIN - 1))).rejects.toThrow(TypeError);
    await expect(encodeBitstringStatusList(new StatusList(8))).rejects.toThrow(TypeError);
    expect(expandIndependently(await encodeBitstringStatusList(new StatusList(MIN))).length).toBe(16 * 1024);
  });

  it('... and a shorter list from elsewhere is refused (the validation algorithm’s STATUS_LIST_LENGTH_ERROR)', async () => {
    const short = `u${gzipSync(new Uint8Array(16 * 1024 - 1)).toString('base64url')}`;
    const error = await expectInvalidStatusList(decodeBitstringStatusList(short));
    expect(error.message).toContain('STATUS_LIST_LENGTH_ERROR');
    await expect(decodeBitstringStatusList(short, MIN - 8)).rejects.toThrow(TypeError);
  });

  it('"the first index ... is located at the left-most bit ... the last index ... at the right-most bit"', async () => {
    const first = expandIndependently(await encodeBitstringStatusList(listOf(MIN, 1, [[0, 1]])));
    expect(first[0]).toBe(0b10000000);
    expect(first.subarray(1).every((b) => b === 0)).toBe(true);
    const last = expandIndependently(await encodeBitstringStatusList(listOf(MIN, 1, [[MIN - 1, 1]])));
    expect(last[last.length - 1]).toBe(0b00000001);
    expect(last.subarray(0, -1).every((b) => b === 0)).toBe(true);
  });

  it('has 1-bit entries here: a wider list is a caller mistake', async () => {
    await expect(encodeBitstringStatusList(new StatusList(MIN, 2))).rejects.toThrow(TypeError);
  });

  it('grows in whole entries: a size beyond the minimum that is no multiple of 8 pads with zero bits', async () => {
    const list = listOf(MIN + 3, 1, [[MIN + 2, 1]]);
    const bytes = expandIndependently(await encodeBitstringStatusList(list));
    expect(bytes.length).toBe(MIN / 8 + 1);
    expect(bytes[bytes.length - 1]).toBe(0b00100000);
    expect(nonZeroRecord(await decodeBitstringStatusList(await encodeBitstringStatusList(list), MIN + 3))).toEqual({ [MIN + 2]: 1 });
  });
});

describe('against node:zlib as an independent GZIP implementation', () => {
  it('our list gunzips to bytes whose bits, read msb-first by hand, are ours', async () => {
    const random = prng(7);
    const list = new StatusList(MIN * 2);
    for (let n = 0; n < 2000; n++) list.set(Math.floor(random() * list.size), 1);
    const bytes = expandIndependently(await encodeBitstringStatusList(list));
    expect(bytes.length).toBe((MIN * 2) / 8);
    const differing = [];
    for (let index = 0; index < list.size; index++) if (readMsbFirst(bytes, index) !== list.get(index)) differing.push(index);
    expect(differing).toEqual([]);
    expect([...list.nonZero()].length).toBeGreaterThan(1000);
  });

  it('a list set by hand msb-first and compressed by gzipSync decodes with ours', async () => {
    const bytes = new Uint8Array(MIN / 8);
    bytes[0] = 0b10000000; // index 0
    bytes[1] = 0b00000001; // index 15
    bytes[1000] = 0b01000000; // index 8001
    bytes[bytes.length - 1] = 0b00000001; // index MIN - 1
    const encoded = `u${gzipSync(bytes, { level: 9 }).toString('base64url')}`;
    const list = await decodeBitstringStatusList(encoded);
    expect(list.size).toBe(MIN);
    expect(nonZeroRecord(list)).toEqual({ 0: 1, 15: 1, 8001: 1, [MIN - 1]: 1 });
  });
});
