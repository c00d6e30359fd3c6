import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';

/*
 * The signed, expiring download link of an audit export: `expires` (Unix seconds) and `sig`,
 * base64url(HMAC-SHA-256(link key, "launchproof audit export link" LF tenant LF export id LF
 * expires)). The link key is the export's own random 32 bytes (migration 11): a link opens that
 * export of that tenant until that second, and changing any of the three breaks the signature.
 * A key per export rather than one derived from the key-encryption key: the KEK never touches a
 * URL-borne secret, the Workers and Node runtimes need no key material to agree on, and a leaked
 * link key opens nothing the row it sits in does not already hold.
 */

const encoder = new TextEncoder();

/** How long a link is good for: it is handed out again, fresh, by the export's status. */
export const LINK_LIFETIME_SECONDS = 3600;

/** A new export's link key. */
export function newLinkKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

function message(tenantId: string, exportId: string, expires: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(`launchproof audit export link\n${tenantId}\n${exportId}\n${expires}`));
}

function importKey(key: Uint8Array, use: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, [use]);
}

export interface ExportLink {
  /** Unix seconds. */
  readonly expires: number;
  readonly sig: string;
}

/** A link to the export good until `expires` (whole seconds). */
export async function signExportLink(key: Uint8Array, tenantId: string, exportId: string, expires: Date): Promise<ExportLink> {
  const seconds = Math.floor(expires.getTime() / 1000);
  const sig = await crypto.subtle.sign('HMAC', await importKey(key, 'sign'), message(tenantId, exportId, seconds));
  return { expires: seconds, sig: base64urlEncode(new Uint8Array(sig)) };
}

const SECONDS = /^(?:0|[1-9][0-9]{0,11})$/;
const SIG = /^[A-Za-z0-9_-]{43}$/;

/** Whether `expires` and `sig`, as the link carries them, were signed for this export (expiry not judged here). */
export async function exportLinkSigned(
  key: Uint8Array,
  tenantId: string,
  exportId: string,
  expires: string,
  sig: string,
): Promise<boolean> {
  if (!SECONDS.test(expires) || !SIG.test(sig)) return false;
  // WebCrypto's verify compares in constant time.
  return crypto.subtle.verify(
    'HMAC',
    await importKey(key, 'verify'),
    new Uint8Array(base64urlDecode(sig)),
    message(tenantId, exportId, Number(expires)),
  );
}
