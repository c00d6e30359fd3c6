import { importJWK, type JWK } from 'jose';
import { issuerIdentity } from '../did/issuer-identity.ts';
import { AppError } from '../errors/index.ts';
import { heldKek, openPrivateJwk, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import { listKeys, sealedPrivateKey } from '../keys/key-store.ts';
import { keyState } from '../keys/lifecycle.ts';
import type { SigningAlgorithm } from '../keys/policy.ts';
import type { Queryable } from '../store/port.ts';
import { base64urlEncode } from '../util/base64url.ts';

/** The tenant's signing key at one instant, ready to sign: what every credential format needs. */
export interface IssuerSigner {
  readonly tenantId: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** `did:web:...#kid`: the `kid` header of DID-issued JWTs. */
  readonly didUrl: string;
  readonly key: CryptoKey;
  /** Raw JWS signature (ES256: r||s; EdDSA: the 64-byte signature), base64url. */
  sign(signingInput: string): Promise<string>;
}

/** The active key's signer, with what the key's row said when it was chosen. */
export interface ActiveSigner extends IssuerSigner {
  /**
   * The latest expiry of anything this key signed, as read with it: an issuer skips raising it
   * when it is already as late (it only ever grows, so a stale read errs towards one more write).
   */
  readonly signedUntil: Date | null;
}

// Structural rather than the DOM lib's EcdsaParams: the Workers types do not declare that name.
const WEBCRYPTO_SIGN: Record<SigningAlgorithm, { name: string; hash?: string }> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
};

// Opening a sealed key costs an AES-GCM decryption and a key import per issuance; keys are
// immutable once created, so the imported (non-extractable) CryptoKey is kept per kid.
const imported = new Map<string, Promise<CryptoKey>>();
const CACHE_LIMIT = 256;

async function importSealed(
  tx: Queryable,
  kek: KeyEncryptionKey,
  tenantId: string,
  kid: string,
  alg: SigningAlgorithm,
): Promise<CryptoKey> {
  const sealed = await sealedPrivateKey(tx, tenantId, kid);
  if (!sealed) throw new TypeError(`key ${kid} vanished`);
  const jwk = await openPrivateJwk(heldKek(kek, sealed.kekId, `key ${kid}`), tenantId, kid, sealed.sealed);
  return (await importJWK({ ...jwk, alg } as JWK, alg, { extractable: false })) as CryptoKey;
}

/**
 * The signer for the tenant's active key at `now`, inside the caller's transaction (so the key
 * that signs is the one the stored record names). Refuses when the tenant has no active key.
 */
export async function activeSigner(tx: Queryable, kek: KeyEncryptionKey, origin: URL, tenantId: string, now: Date): Promise<ActiveSigner> {
  const active = (await listKeys(tx, tenantId)).find((k) => keyState(k, now) === 'active');
  if (!active) throw new AppError('signing_unavailable', `tenant ${tenantId} has no active key`);
  const cacheKey = `${tenantId}/${active.kid}/${kek.id}`;
  let pending = imported.get(cacheKey);
  if (!pending) {
    pending = importSealed(tx, kek, tenantId, active.kid, active.alg);
    pending.catch(() => imported.delete(cacheKey));
    if (imported.size >= CACHE_LIMIT) imported.delete(imported.keys().next().value!);
    imported.set(cacheKey, pending);
  }
  const key = await pending;
  const params = WEBCRYPTO_SIGN[active.alg];
  return {
    tenantId,
    kid: active.kid,
    alg: active.alg,
    didUrl: `${issuerIdentity(origin, tenantId).did}#${active.kid}`,
    key,
    signedUntil: active.signedUntil,
    sign: async (input) => base64urlEncode(new Uint8Array(await crypto.subtle.sign(params, key, new TextEncoder().encode(input)))),
  };
}
