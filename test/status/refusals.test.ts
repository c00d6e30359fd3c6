/**
 * Decoders read lists from the network: whatever arrives, the answer is an `invalid_status_list`
 * AppError (422), never a crash, a hang or unbounded memory. Caller mistakes stay TypeErrors.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_STATUS_LIST_BYTES, StatusList } from '../../src/status/bitstring.ts';
import {
  BITSTRING_STATUS_LIST_MIN_ENTRIES,
  decodeBitstringStatusList,
  decodeTokenStatusList,
  encodeBitstringStatusList,
  encodeTokenStatusList,
} from '../../src/status/codec.ts';
import { expectInvalidStatusList, listOf } from './helpers.ts';

const MIN = BITSTRING_STATUS_LIST_MIN_ENTRIES;
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describe('a Token Status List decoder refuses', () => {
  const good = deflateSync(new Uint8Array([0b1001, 0, 0xff, 0]));
  const lst = b64u(good);

  it.each([
    ['not an object', 'eNrbuRgAAhcBXQ'],
    ['null', null],
    ['an array', [1, 'eNrbuRgAAhcBXQ']],
    ['bits missing', { lst }],
    ['bits 3', { bits: 3, lst }],
    ['bits "1"', { bits: '1', lst }],
    ['bits 16', { bits: 16, lst }],
    ['lst missing', { bits: 1 }],
    ['lst not a string', { bits: 1, lst: [...good] }],
  ])('%s', async (_name, statusList) => {
    await expectInvalidStatusList(decodeTokenStatusList(statusList));
  });

  it.each([
    ['empty', ''],
    ['padded', `${lst}=`],
    ['standard base64 (+ and /)', Buffer.from(new Uint8Array([0xfb, 0xff, 0xbf])).toString('base64')],
    ['with whitespace', `${lst.slice(0, 4)} ${lst.slice(4)}`],
    ['of a length no base64 has (1 mod 4)', lst + 'A'.repeat((5 - (lst.length % 4)) % 4)],
    ['not compressed at all', b64u(new Uint8Array([0b1001, 0, 0xff, 0]))],
    ['GZIP where ZLIB is due', b64u(gzipSync(new Uint8Array(4)))],
    ['truncated by one byte', b64u(good.subarray(0, -1))],
    ['truncated to its header', b64u(good.subarray(0, 2))],
    ['with a corrupted checksum', b64u(Uint8Array.from(good, (b, i) => (i === good.length - 1 ? b ^ 1 : b)))],
    ['with trailing bytes', b64u(Buffer.concat([good, Buffer.from([0, 0, 0, 0])]))],
    ['a list of no statuses', b64u(deflateSync(new Uint8Array(0)))],
  ])('lst %s', async (_name, text) => {
    await expectInvalidStatusList(decodeTokenStatusList({ bits: 1, lst: text }));
  });

  // Node 20 ignores bytes after a ZLIB stream; workerd refuses them. We refuse them by checking
  // that the input ends with the stream's own Adler-32 trailer, which bytes that repeat it pass:
  // on Node such a list decodes to what its first stream says, never to anything else.
  it('a ZLIB stream followed by a copy of itself, or reads only the first stream', async () => {
    const twice = b64u(Buffer.concat([good, good]));
    const outcome = await decodeTokenStatusList({ bits: 8, lst: twice }).then(
      (list) => [...list.packed('lsb-first')],
      (e: unknown) => (e as { code?: string }).code,
    );
    expect([[0b1001, 0, 0xff, 0], 'invalid_status_list']).toContainEqual(outcome);
  });

  it('a decompression bomb, stopping at the 16 MiB cap', async () => {
    const bomb = b64u(deflateSync(new Uint8Array(MAX_STATUS_LIST_BYTES + 1), { level: 9 }));
    const error = await expectInvalidStatusList(decodeTokenStatusList({ bits: 1, lst: bomb }));
    expect(error.message).toContain('more than');
    // Exactly at the cap is still a list.
    const atCap = b64u(deflateSync(new Uint8Array(MAX_STATUS_LIST_BYTES), { level: 9 }));
    expect((await decodeTokenStatusList({ bits: 8, lst: atCap })).size).toBe(MAX_STATUS_LIST_BYTES);
  });

  it('a list larger than the size expected, stopping there', async () => {
    const list = b64u(deflateSync(new Uint8Array(4096)));
    await expectInvalidStatusList(decodeTokenStatusList({ bits: 2, lst: list }, 100));
    expect((await decodeTokenStatusList({ bits: 2, lst: list }, 4096 * 4)).size).toBe(4096 * 4);
  });

  it('a status set beyond the size expected (in the padding of the last byte)', async () => {
    const text = b64u(deflateSync(new Uint8Array([0, 0b100])));
    await expectInvalidStatusList(decodeTokenStatusList({ bits: 1, lst: text }, 10));
    expect((await decodeTokenStatusList({ bits: 1, lst: text }, 11)).get(10)).toBe(1);
  });

  it('an encoded list longer than any acceptable list could compress to, before decoding it', async () => {
    await expectInvalidStatusList(decodeTokenStatusList({ bits: 1, lst: 'A'.repeat(1000) }, 8));
  });
});

describe('a Bitstring Status List decoder refuses', () => {
  const good = `u${b64u(gzipSync(new Uint8Array(MIN / 8)))}`;

  it.each([
    ['not a string', { encodedList: good }],
    ['no multibase prefix', good.slice(1)],
    ['another multibase base (base58btc "z")', `z${good.slice(1)}`],
    ['multibase base64 with padding ("M")', `M${Buffer.from(good.slice(1), 'base64url').toString('base64')}`],
    ['the prefix alone', 'u'],
    ['not base64url', `${good.slice(0, 10)}+/${good.slice(12)}`],
    ['ZLIB where GZIP is due', `u${b64u(deflateSync(new Uint8Array(MIN / 8)))}`],
    ['truncated', good.slice(0, -4)],
    ['with trailing bytes', `u${b64u(Buffer.concat([gzipSync(new Uint8Array(MIN / 8)), Buffer.from([1, 2, 3, 4])]))}`],
    ['two GZIP members', `u${b64u(Buffer.concat([gzipSync(new Uint8Array(MIN / 16)), gzipSync(new Uint8Array(MIN / 16))]))}`],
    ['a bomb', `u${b64u(gzipSync(new Uint8Array(MAX_STATUS_LIST_BYTES + 1), { level: 9 }))}`],
  ])('%s', async (_name, encodedList) => {
    await expectInvalidStatusList(decodeBitstringStatusList(encodedList));
  });

  it('a list longer than the size expected', async () => {
    await expectInvalidStatusList(decodeBitstringStatusList(`u${b64u(gzipSync(new Uint8Array(MIN / 8 + 1)))}`, MIN));
  });
});

describe('caller mistakes are TypeErrors', () => {
  it.each([0, -8, 1.5, Number.NaN, MAX_STATUS_LIST_BYTES * 8 + 1])('expected size %s', async (size) => {
    await expect(decodeTokenStatusList({ bits: 1, lst: 'eNrbuRgAAhcBXQ' }, size)).rejects.toThrow(TypeError);
  });

  it('encoding a list the W3C format cannot carry', async () => {
    await expect(encodeBitstringStatusList(new StatusList(MIN, 4))).rejects.toThrow(TypeError);
    await expect(encodeBitstringStatusList(listOf(16, 1, { 3: 1 }))).rejects.toThrow(TypeError);
    // The same list is a fine IETF list: only W3C has a floor.
    expect((await encodeTokenStatusList(listOf(16, 1, { 3: 1 }))).bits).toBe(1);
  });
});
