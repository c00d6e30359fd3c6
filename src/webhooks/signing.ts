import { base64Decode, base64Encode } from '../util/base64.ts';

/*
 * Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"): the sender
 * signs `webhook-id.webhook-timestamp.body` with HMAC-SHA256 under the endpoint's secret and
 * sends `v1,<base64 signature>`; several signatures, space-separated, while a secret is being
 * replaced, so a receiver holding either secret accepts the message. A secret is written
 * `whsec_` + base64 of its bytes, which is what the receivers' libraries take.
 */

const PREFIX = 'whsec_';
/** 32 random bytes: the spec allows 24 to 64. */
const SECRET_BYTES = 32;

/** A new endpoint secret, as shown to the tenant once. */
export function newWebhookSecret(): string {
  return `${PREFIX}${base64Encode(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/** The key bytes of a `whsec_` secret; a TypeError for anything else (our own secrets only reach here). */
export function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(PREFIX)) throw new TypeError('a webhook secret starts with whsec_');
  const bytes = base64Decode(secret.slice(PREFIX.length));
  if (bytes.length < 24 || bytes.length > 64) throw new TypeError('a webhook secret holds 24 to 64 bytes');
  return bytes;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The three headers of one message: `id` the event's id (the same on every attempt), `sentAt`
 * this attempt's instant (whole seconds: receivers refuse one far from their clock), signed by
 * each of `secrets` (the current one first).
 */
export async function signWebhook(id: string, sentAt: Date, body: string, secrets: readonly string[]): Promise<SignedHeaders> {
  if (secrets.length === 0) throw new TypeError('a webhook is signed by at least one secret');
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return `v1,${base64Encode(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)))}`;
    }),
  );
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
