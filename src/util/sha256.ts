import { base64urlEncode } from './base64url.ts';
import { hexOf } from './bytes.ts';

/**
 * SHA-256, for every digest the service takes: disclosure digests and `sd_hash`, API-key hashes,
 * ETags, profile and type-metadata integrity, migration checksums. WebCrypto unless the runtime
 * installs a faster one (runtime/node/fast-paths.ts: node:crypto, synchronous). Each WebCrypto
 * digest is an asynchronous job whose dispatch on Node costs far more than hashing a few hundred
 * bytes: 54 disclosures took 0.9-1.3 ms of CPU through WebCrypto against 0.07 ms through
 * node:crypto, and hashing the presented API key was 5% of an issuance's CPU (CPU profile of
 * bench/side-by-side.bench.ts). Either gives the same bytes.
 */
export type Sha256 = (data: string | Uint8Array<ArrayBuffer>) => Uint8Array | Promise<Uint8Array>;

const encoder = new TextEncoder();

const webSha256: Sha256 = async (data) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));

let installed: Sha256 = webSha256;

/** Called once by a runtime's entry point, before it serves or signs. */
export function useSha256(sha256: Sha256): void {
  installed = sha256;
}

/** SHA-256 of `data` (text as UTF-8). */
export async function sha256(data: string | Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return installed(data);
}

/** base64url(SHA-256(text)): a disclosure's digest, and a key-binding JWT's `sd_hash`. */
export async function sha256Url(text: string): Promise<string> {
  return base64urlEncode(await installed(text));
}

/** Lower-case hex of SHA-256(text). */
export async function sha256Hex(text: string): Promise<string> {
  return hexOf(await installed(text));
}
