import { heldKek, openPrivateJwk, sealPrivateJwk, type KeyEncryptionKey } from '../keys/key-crypto.ts';

/*
 * An endpoint's signing secret at rest: sealed under the key-encryption key as the private keys
 * are, as an `oct` JWK, bound to a `webhook:` name, so a sealed secret copied onto another row
 * (or onto a key's) does not open. The dispatcher must read it back to sign, so it cannot be
 * stored as a hash the way API keys are.
 */

export const webhookSecretName = (webhookId: string) => `webhook:${webhookId}`;

/** The secret, opened with whichever KEK sealed it (signing_unavailable if this process holds neither). */
export async function openWebhookSecret(
  kek: KeyEncryptionKey,
  tenantId: string,
  webhookId: string,
  sealed: string,
  kekId: string,
): Promise<string> {
  const opener = heldKek(kek, kekId, `the secret of webhook ${webhookId}`);
  return String((await openPrivateJwk(opener, tenantId, webhookSecretName(webhookId), sealed)).k);
}

/** The secret sealed under `previous` sealed again under `next` (a KEK rotation). */
export async function resealWebhookSecret(
  previous: KeyEncryptionKey,
  next: KeyEncryptionKey,
  tenantId: string,
  webhookId: string,
  sealed: string,
): Promise<string> {
  const jwk = await openPrivateJwk(previous, tenantId, webhookSecretName(webhookId), sealed);
  return sealPrivateJwk(next, tenantId, webhookSecretName(webhookId), jwk);
}

export function sealWebhookSecret(kek: KeyEncryptionKey, tenantId: string, webhookId: string, secret: string): Promise<string> {
  return sealPrivateJwk(kek, tenantId, webhookSecretName(webhookId), { kty: 'oct', k: secret });
}
