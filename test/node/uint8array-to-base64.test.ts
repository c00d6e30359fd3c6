/**
 * The Node service installs Uint8Array.prototype.toBase64 where Node lacks it, so that jose
 * encodes each JWS natively: it must answer as the standard does for every option jose and
 * other libraries pass, and leave the tokens jose makes unchanged.
 */
import { CompactSign, compactVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { installUint8ArrayToBase64 } from '../../src/runtime/node/uint8array-to-base64.ts';

type ToBase64 = (options?: { alphabet?: string; omitPadding?: boolean }) => string;
const toBase64 = (bytes: Uint8Array, options?: { alphabet?: string; omitPadding?: boolean }) =>
  (bytes as Uint8Array & { toBase64: ToBase64 }).toBase64(options);
const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('Uint8Array.prototype.toBase64 on Node', () => {
  beforeAll(() => installUint8ArrayToBase64());

  it.each([
    ['', undefined, ''],
    ['f', undefined, 'Zg=='],
    ['fo', undefined, 'Zm8='],
    ['foobar', undefined, 'Zm9vYmFy'],
    ['f', { omitPadding: true }, 'Zg'],
    ['f', { alphabet: 'base64url' }, 'Zg=='],
    ['fo', { alphabet: 'base64url', omitPadding: true }, 'Zm8'],
  ])('encodes %j with %j as %j (RFC 4648 §10)', (text, options, expected) => {
    expect(toBase64(bytesOf(text), options)).toBe(expected);
  });

  it('uses the alphabet asked for, over a view of a larger buffer', () => {
    const view = new Uint8Array([0, 0xfb, 0xff, 0xbf, 0]).subarray(1, 4);
    expect(toBase64(view)).toBe('+/+/');
    expect(toBase64(view, { alphabet: 'base64url' })).toBe('-_-_');
  });

  it('refuses an unknown alphabet, as the standard does', () => {
    expect(() => toBase64(new Uint8Array(1), { alphabet: 'base32' })).toThrow(TypeError);
  });

  it('adds no enumerable property to arrays', () => {
    expect(Object.keys(new Uint8Array(2))).toEqual(['0', '1']);
    const keys: string[] = [];
    for (const key in new Uint8Array(2)) keys.push(key);
    expect(keys).toEqual(['0', '1']);
  });

  it('jose signs through it, and the token verifies', async () => {
    const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const payload = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 31) & 0xff);
    const jws = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    expect(jws.split('.')[1]).toBe(Buffer.from(payload).toString('base64url'));
    expect((await compactVerify(jws, publicKey)).payload).toEqual(payload);
  });
});
