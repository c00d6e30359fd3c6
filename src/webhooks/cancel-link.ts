import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { secretBytes } from './signing.ts';

/*
 * A buyer cancels a subscription from any notice it was sent: the message carries a link whose
 * token is an HMAC of the subscription's id under its own secret. Nothing more is stored, the
 * token is the same on every message (so a retried message keeps its bytes), and only whoever
 * was sent a message, or holds the secret, can cancel.
 */

const LABEL = 'launchproof subscription cancel\u0000';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const hmacKey = (secret: string, use: 'sign' | 'verify') =>
  crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [use]);
const message = (subscriptionId: string) => new TextEncoder().encode(LABEL + subscriptionId);

export async function cancelToken(secret: string, subscriptionId: string): Promise<string> {
  return base64urlEncode(new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), message(subscriptionId))));
}

/** Whether `token` cancels the subscription (WebCrypto's verify compares in constant time). */
export async function isCancelToken(secret: string, subscriptionId: string, token: string): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), new Uint8Array(base64urlDecode(token)), message(subscriptionId));
}

/** Where a POST cancels the subscription (a public path: the token is the authority). */
export function cancelUrl(publicUrl: URL, tenantId: string, subscriptionId: string, token: string): string {
  return `${publicUrl.origin}/t/${tenantId}/subscriptions/${subscriptionId}/cancel?token=${token}`;
}
