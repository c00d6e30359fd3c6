import { base64urlEncode } from '../util/base64url.ts';
import { secretBytes } from './signing.ts';

/*
 * A buyer cancels a subscription from any notice it was sent: the message carries a link whose
 * token is an HMAC of the subscription's id under its own secret. Nothing more is stored, the
 * token is the same on every message (so a retried message keeps its bytes), and only whoever
 * was sent a message, or holds the secret, can cancel.
 */

const LABEL = 'launchproof subscription cancel\u0000';

export async function cancelToken(secret: string, subscriptionId: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(LABEL + subscriptionId));
  return base64urlEncode(new Uint8Array(mac));
}

/** Whether `token` cancels the subscription, compared in constant time. */
export async function isCancelToken(secret: string, subscriptionId: string, token: string): Promise<boolean> {
  const expected = new TextEncoder().encode(await cancelToken(secret, subscriptionId));
  const given = new TextEncoder().encode(token);
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ given[i]!;
  return diff === 0;
}

/** Where a POST cancels the subscription (a public path: the token is the authority). */
export function cancelUrl(publicUrl: URL, tenantId: string, subscriptionId: string, token: string): string {
  return `${publicUrl.origin}/t/${tenantId}/subscriptions/${subscriptionId}/cancel?token=${token}`;
}
