import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';

/**
 * The pre-authorized code is a random secret of its own (issue 11, defect 7: derived from the
 * offer reference, it was as public as any log line that carried the reference). An offer served
 * by reference must still hand the code out, so the code is kept sealed under a key derived from
 * the reference, which is itself stored only as a hash: the database alone opens nothing, and
 * the reference opens nothing without the database.
 */
async function sealKey(ref: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`launchproof oid4vci offer seal\u0000${ref}`));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Binds the sealed code to its row: a sealed value copied onto another offer does not open. */
const aad = (tenantId: string, offerId: string) => new TextEncoder().encode(`${tenantId}\u0000${offerId}`);

export async function sealCode(ref: string, tenantId: string, offerId: string, code: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(tenantId, offerId) },
    await sealKey(ref),
    new TextEncoder().encode(code),
  );
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return base64urlEncode(out);
}

export async function openCode(ref: string, tenantId: string, offerId: string, sealed: string): Promise<string> {
  const bytes = base64urlDecode(sealed);
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: aad(tenantId, offerId) },
    await sealKey(ref),
    bytes.slice(12),
  );
  return new TextDecoder().decode(pt);
}
