import { sealPrivateJwk, type KeyEncryptionKey } from '../keys/key-crypto.ts';

/*
 * An endpoint's signing secret at rest: sealed under the key-encryption key as the private keys
 * are, as an `oct` JWK, bound to a `webhook:` name, so a sealed secret copied onto another row
 * (or onto a key's) does not open. The dispatcher must read it back to sign, so it cannot be
 * stored as a hash the way API keys are.
 */

export const webhookSecretName = (webhookId: string) => `webhook:${webhookId}`;

export function sealWebhookSecret(kek: KeyEncryptionKey, tenantId: string, webhookId: string, secret: string): Promise<string> {
  return sealPrivateJwk(kek, tenantId, webhookSecretName(webhookId), { kty: 'oct', k: secret });
}
