import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlgorithm } from './policy.ts';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { AppError } from '../errors/index.ts';

/** The public members of a signing key, nothing else: what the JWKS and DID document carry. */
export interface PublicJwk {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  y?: string;
}

export interface GeneratedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: PublicJwk;
  readonly privateJwk: JWK;
}

// A structural type rather than the DOM lib's EcKeyGenParams/Algorithm: the Workers types
// do not declare those names, and this file must compile under both.
const GENERATE: Record<SigningAlgorithm, { name: string; namedCurve?: string }> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
};

export function publicMembers(jwk: JWK): PublicJwk {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  throw new TypeError(`unsupported signing key type ${jwk.kty}/${jwk.crv}`);
}

/** A fresh key pair from the platform CSPRNG; `kid` is its RFC 7638 SHA-256 thumbprint. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const pair = (await crypto.subtle.generateKey(GENERATE[alg], true, ['sign', 'verify'])) as CryptoKeyPair;
  const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  const publicJwk = publicMembers((await crypto.subtle.exportKey('jwk', pair.publicKey)) as JWK);
  const kid = await calculateJwkThumbprint(publicJwk as JWK, 'sha256');
  return {
    kid,
    alg,
    publicJwk,
    privateJwk: { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y, d: privateJwk.d },
  };
}

/** The key-encryption key and a short public identifier of it (so a wrong KEK is named, not guessed). */
export interface KeyEncryptionKey {
  readonly key: CryptoKey;
  readonly id: string;
  /**
   * The KEK being rotated out (KEY_ENCRYPTION_KEY_PREVIOUS): keys still sealed under it open
   * with it until `kek rotate` has re-sealed them. New keys are always sealed under `key`.
   */
  readonly previous?: KeyEncryptionKey;
}

/** The current KEK paired with the one it replaces, for the overlap of a KEK rotation. */
export function withPreviousKek(current: KeyEncryptionKey, previous: KeyEncryptionKey): KeyEncryptionKey {
  if (previous.id === current.id) throw new TypeError('the previous key-encryption key is the current one');
  return { key: current.key, id: current.id, previous: { key: previous.key, id: previous.id } };
}

/** The KEK that opens a key recorded as sealed under `kekId`, if this process holds it. */
export function kekFor(kek: KeyEncryptionKey, kekId: string): KeyEncryptionKey | undefined {
  if (kekId === kek.id) return kek;
  if (kek.previous && kekId === kek.previous.id) return kek.previous;
  return undefined;
}

/**
 * The KEK that opens what was sealed under `kekId`, or signing_unavailable naming `what`: a key or
 * secret sealed under a KEK this process does not hold cannot sign anything here.
 */
export function heldKek(kek: KeyEncryptionKey, kekId: string, what: string): KeyEncryptionKey {
  const found = kekFor(kek, kekId);
  if (!found) throw new AppError('signing_unavailable', `${what} is sealed under KEK ${kekId}, not ${kek.id}`);
  return found;
}

export async function importKeyEncryptionKey(encoded: string): Promise<KeyEncryptionKey> {
  const raw = base64urlDecode(encoded);
  if (raw.length !== 32) throw new TypeError('key-encryption key must be 32 bytes');
  const key = await crypto.subtle.importKey('raw', raw as BufferSource, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  // SHA-256 of a 256-bit random key reveals nothing usable about it; 8 bytes tell KEKs apart.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw as BufferSource));
  return { key, id: base64urlEncode(digest.slice(0, 8)) };
}

export function generateKeyEncryptionKey(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

// The AAD binds a ciphertext to its row: a private key copied onto another tenant's or kid's
// row fails to decrypt instead of signing for the wrong issuer.
const aad = (tenantId: string, kid: string) => new TextEncoder().encode(`launchproof/signing-key/v1/${tenantId}/${kid}`);

export async function sealPrivateJwk(kek: KeyEncryptionKey, tenantId: string, kid: string, jwk: JWK): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(jwk));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(tenantId, kid) }, kek.key, plaintext),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return base64urlEncode(out);
}

export async function openPrivateJwk(kek: KeyEncryptionKey, tenantId: string, kid: string, sealed: string): Promise<JWK> {
  const bytes = base64urlDecode(sealed);
  const plaintext = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: aad(tenantId, kid) },
    kek.key,
    bytes.slice(12),
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
}
