/**
 * IETF Token Status List (draft-ietf-oauth-status-list): `status_list` = {bits, lst}, lst the
 * base64url (no padding) of the ZLIB-compressed byte array, statuses packed lsb-first.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { StatusList, type StatusBits } from '../../src/status/bitstring.ts';
import { decodeTokenStatusList, encodeTokenStatusList } from '../../src/status/codec.ts';
import { expectInvalidStatusList, hex, listOf, nonZeroRecord, prng, readLsbFirst, readVector, tokenStatusListVectors } from './helpers.ts';

const vectors = tokenStatusListVectors();

describe('the draft’s vectors', () => {
  it('are all here', () => {
    expect(vectors.map((v) => v.file)).toEqual([
      'encoding1_long_json.json',
      'encoding2_json.json',
      'encoding2_long_json.json',
      'encoding4_json.json',
      'encoding8_json.json',
      'encoding_json.json',
    ]);
  });

  describe.each(vectors)('$file', (v) => {
    it('decodes to exactly the listed statuses, every other index 0, at the right size', async () => {
      const list = await decodeTokenStatusList({ bits: v.bits, lst: v.lst });
      expect(list.bits).toBe(v.bits);
      expect(list.size).toBe(v.size);
      expect(list.packed('lsb-first').length).toBe(v.decoded_byte_length);
      // nonZero() visits every index whose status is not 0, so equality here means all others are 0.
      expect(nonZeroRecord(list)).toEqual(v.nonzero_statuses);
      for (const [index, status] of Object.entries(v.nonzero_statuses)) expect(list.get(Number(index))).toBe(status);
      if (v.decoded_bytes_hex) expect(hex(list.packed('lsb-first'))).toBe(v.decoded_bytes_hex);
    });

    it('decodes with its size expected, and refuses any other expected size', async () => {
      expect((await decodeTokenStatusList(v, v.size)).size).toBe(v.size);
      await expectInvalidStatusList(decodeTokenStatusList(v, v.size + 8));
      await expectInvalidStatusList(decodeTokenStatusList(v, v.size - 8));
    });

    // Our compressed bytes need not equal the vector's: compression levels (and zlib builds)
    // differ, and the draft fixes only the format. The uncompressed bytes must be identical.
    it('is what our encoder produces, up to compression', async () => {
      const ours = await encodeTokenStatusList(listOf(v.size, v.bits, v.nonzero_statuses));
      expect(ours.bits).toBe(v.bits);
      expect(ours.lst).toMatch(/^[A-Za-z0-9_-]+$/);
      const [mine, theirs] = [ours.lst, v.lst].map((lst) => inflateSync(Buffer.from(lst, 'base64url')));
      expect(mine!.length).toBe(v.decoded_byte_length);
      expect(mine!.equals(theirs!)).toBe(true);
      expect(nonZeroRecord(await decodeTokenStatusList(ours))).toEqual(v.nonzero_statuses);
    });
  });
});

describe('the draft’s Status List Token (status_list_token_jwt.json)', () => {
  const v = readVector<{
    token: string;
    issuer_public_jwk: Record<string, string>;
    payload: { status_list: { bits: StatusBits; lst: string } };
    statuses: Record<string, number>;
  }>('status_list_token_jwt.json');

  // The file states the expected value of every index, zeros included, as `statuses`.
  it('carries, in its signed payload, a status_list with exactly the stated statuses', async () => {
    const { payload, protectedHeader } = await jwtVerify(v.token, await importJWK(v.issuer_public_jwk, 'ES256'), {
      typ: 'statuslist+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.typ).toBe('statuslist+jwt');
    expect(payload.status_list).toEqual(v.payload.status_list);
    const list = await decodeTokenStatusList(payload.status_list);
    expect(list.size).toBe(Object.keys(v.statuses).length);
    for (const [index, status] of Object.entries(v.statuses)) expect(list.get(Number(index))).toBe(status);
  });
});

describe('against node:zlib as an independent ZLIB implementation', () => {
  const ALL_BITS: StatusBits[] = [1, 2, 4, 8];

  it.each(ALL_BITS)('our %i-bit list inflates with inflateSync to bytes whose statuses, read lsb-first by hand, are ours', async (bits) => {
    const random = prng(bits);
    const list = new StatusList(4000, bits);
    for (let n = 0; n < 300; n++) list.set(Math.floor(random() * list.size), 1 + Math.floor(random() * ((1 << bits) - 1)));
    const { lst } = await encodeTokenStatusList(list);
    const bytes = inflateSync(Buffer.from(lst, 'base64url'));
    expect(bytes.length).toBe((4000 * bits) / 8);
    const differing = [];
    for (let index = 0; index < list.size; index++) if (readLsbFirst(bytes, bits, index) !== list.get(index)) differing.push(index);
    expect(differing).toEqual([]);
  });

  it.each(ALL_BITS)('a %i-bit list set by hand and compressed by deflateSync decodes with ours', async (bits) => {
    // Status 1 at index 0 and the largest status at the last index of byte 1 (index 2 × 8/bits − 1).
    const bytes = new Uint8Array(4);
    bytes[0] = 1;
    bytes[1] = ((1 << bits) - 1) << (8 - bits);
    const lst = deflateSync(bytes, { level: 9 }).toString('base64url');
    const list = await decodeTokenStatusList({ bits, lst });
    expect(list.size).toBe(32 / bits);
    expect(nonZeroRecord(list)).toEqual({ 0: 1, [(16 / bits - 1).toString()]: (1 << bits) - 1 });
  });
});
