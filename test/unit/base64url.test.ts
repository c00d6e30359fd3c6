import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode, base64urlUtf8 } from '../../src/util/base64url.ts';
import { prng } from '../support/prng.ts';

const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('base64url without padding (RFC 4648 §5)', () => {
  // RFC 4648 §10's vectors, in the URL-safe alphabet and without the padding.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes %j as %j', (text, encoded) => expect(base64urlEncode(bytesOf(text))).toBe(encoded));

  it('uses - and _ where base64 has + and /', () => {
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('agrees with an independent encoder, and round-trips, at every length up to 300 and over a view', () => {
    const random = prng(12);
    const backing = new Uint8Array(310);
    for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(random() * 256);
    for (let length = 0; length <= 300; length++) {
      const bytes = backing.subarray(7, 7 + length);
      const encoded = base64urlEncode(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(base64urlDecode(encoded)).toEqual(new Uint8Array(bytes));
    }
  });
});

const encode = (bytes: number[] | Uint8Array) => base64urlEncode(Uint8Array.from(bytes));
const utf8 = (text: string) => base64urlEncode(new TextEncoder().encode(text));

describe('base64url text as a JWS segment or a disclosure carries it', () => {
  it('reads ASCII and multi-byte UTF-8 alike', () => {
    expect(base64urlUtf8(utf8('{"iss":"https://issuer.example"}'))).toBe('{"iss":"https://issuer.example"}');
    expect(base64urlUtf8(utf8('["salt","name","Zoë ✓ 🚀"]'))).toBe('["salt","name","Zoë ✓ 🚀"]');
    expect(base64urlUtf8('')).toBe('');
  });
  it('drops a leading byte-order mark, as a strict UTF-8 decoder does', () => {
    expect(base64urlUtf8(encode([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('{}');
  });
  it('refuses malformed UTF-8 and anything outside the base64url alphabet', () => {
    expect(() => base64urlUtf8(encode([0x7b, 0xc3, 0x28, 0x7d]))).toThrow();
    expect(() => base64urlUtf8(encode([0xff]))).toThrow();
    expect(() => base64urlUtf8('e30=')).toThrow('not base64url');
    expect(() => base64urlUtf8('e3+/')).toThrow('not base64url');
    expect(() => base64urlUtf8('A')).toThrow();
  });
});
