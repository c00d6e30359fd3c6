import { afterEach, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { sha256, sha256Hex, sha256Url, useSha256 } from '../../src/util/sha256.ts';

const webSha256 = async (data: string | Uint8Array<ArrayBuffer>) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data));

/** The Node fast path changes the speed of a digest, never its bytes: ETags, disclosure digests and API-key hashes stay what they were. */
describe('SHA-256 through node:crypto', () => {
  afterEach(() => useSha256(webSha256));

  it('gives the digests WebCrypto gives, for text (as UTF-8) and for bytes', async () => {
    const inputs: (string | Uint8Array<ArrayBuffer>)[] = ['', 'abc', 'Ünïcødé ✓ 𝄞', 'x'.repeat(100_000), new Uint8Array([0, 255, 1, 254])];
    for (const input of inputs) expect(Buffer.from(await nodeSha256(input))).toEqual(Buffer.from(await webSha256(input)));
  });

  it('is what the helpers use once installed, with the known answer of FIPS 180-2 for "abc"', async () => {
    useSha256(nodeSha256);
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect((await sha256(new Uint8Array([0x61, 0x62, 0x63]))).length).toBe(32);
  });
});
