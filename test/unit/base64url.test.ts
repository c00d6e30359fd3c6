import { describe, expect, it } from 'vitest';
import { base64urlEncode, base64urlUtf8 } from '../../src/util/base64url.ts';

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
