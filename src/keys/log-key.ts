import type { JWK } from 'jose';
import { generateSigningKey, openPrivateJwk, sealPrivateJwk, type KeyEncryptionKey, type PublicJwk } from './key-crypto.ts';
import { base64urlDecode } from '../util/base64url.ts';
import type { Queryable } from '../store/port.ts';
import { insertLogKey, logKeys, retireCurrentLogKey, type StoredLogKey } from './key-store.ts';
import { ed25519Signer, parseVerifierKey, verifierKey, type NoteSigner, type NoteVerifier } from '../transparency/note.ts';

/*
 * A tenant log's own key: Ed25519, as C2SP signed notes and their witnesses expect, named by the
 * log's origin. It signs checkpoints and nothing else, so it is never one of the tenant's
 * credential signing keys: its private half is sealed under the key-encryption key like theirs,
 * but bound to a `log:` name in the seal's associated data, so a sealed log key copied onto a
 * signing key's row (or the reverse) does not open.
 */

export interface LogKey {
  /** The log's origin, which is also the key's name in every note it signs. */
  readonly origin: string;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  /** The private key sealed under `kekId` (keys/key-crypto.ts). */
  readonly sealed: string;
  readonly kekId: string;
}

/**
 * The origin of a tenant's log: the deployment's public URL without its scheme, then the
 * tenant's path, as C2SP names logs (`issuer.example/t/acme`). A checkpoint names it on its first
 * line, so a checkpoint of one tenant's log never passes for another's.
 */
export function logOrigin(publicUrl: URL, tenantId: string): string {
  const path = publicUrl.pathname.replace(/\/+$/, '');
  return `${publicUrl.host}${path}/t/${tenantId}`;
}

/** The name a log key's seal is bound to (its kid alone would also open as a signing key's). */
export const logSealName = (kid: string) => `log:${kid}`;
const sealName = logSealName;

/** A new log key for `tenantId`, its private half sealed under `kek`. */
export async function createLogKey(kek: KeyEncryptionKey, tenantId: string, origin: string): Promise<LogKey> {
  const generated = await generateSigningKey('EdDSA');
  const sealed = await sealPrivateJwk(kek, tenantId, sealName(generated.kid), generated.privateJwk);
  return { origin, kid: generated.kid, publicJwk: generated.publicJwk, sealed, kekId: kek.id };
}

/**
 * The tenant log's current key, made now (sealed under `kek`) if it has none: at the tenant's
 * creation, so its DID document names the log key from the first, and by the first sequencer run
 * of a tenant older than the log. Under the tenant's row lock or the log head's, so one is made.
 */
export async function ensureLogKey(tx: Queryable, kek: KeyEncryptionKey, tenantId: string, now: Date): Promise<StoredLogKey> {
  const current = (await logKeys(tx, tenantId)).find((k) => k.retiredAt === null);
  if (current) return current;
  const { origin: _unnamed, ...created } = await createLogKey(kek, tenantId, '');
  await insertLogKey(tx, tenantId, { ...created, createdAt: now });
  return { ...created, createdAt: now, retiredAt: null };
}

/**
 * Retires the tenant log's current key and makes its successor, sealed under `kek`: the key
 * history the DID document and the trust bundle publish. The caller holds the log head's lock,
 * so no sequencer run signs with the retired key after this commits.
 */
export async function replaceLogKey(
  tx: Queryable,
  kek: KeyEncryptionKey,
  tenantId: string,
  now: Date,
): Promise<{ retired: StoredLogKey | undefined; current: StoredLogKey }> {
  const retired = (await logKeys(tx, tenantId)).find((k) => k.retiredAt === null);
  if (retired) await retireCurrentLogKey(tx, tenantId, now);
  const { origin: _unnamed, ...created } = await createLogKey(kek, tenantId, '');
  await insertLogKey(tx, tenantId, { ...created, createdAt: now });
  return { retired: retired && { ...retired, retiredAt: now }, current: { ...created, createdAt: now, retiredAt: null } };
}

const publicBytes = (jwk: PublicJwk) => base64urlDecode(jwk.x);

/** The verifier key text a witness or an auditor is given for this log. */
export function logVerifierKey(key: Pick<LogKey, 'origin' | 'publicJwk'>): Promise<string> {
  return verifierKey(key.origin, publicBytes(key.publicJwk));
}

/** What opens the log's checkpoints, from its public key alone. */
export async function logKeyVerifier(key: Pick<LogKey, 'origin' | 'publicJwk'>): Promise<NoteVerifier> {
  return parseVerifierKey(await logVerifierKey(key));
}

/** What signs the log's checkpoints: the sealed key opened with `kek` (refused if it is another tenant's or another kind of key). */
export async function logKeySigner(kek: KeyEncryptionKey, tenantId: string, key: LogKey): Promise<NoteSigner> {
  const jwk = await openPrivateJwk(kek, tenantId, sealName(key.kid), key.sealed);
  const privateKey = await crypto.subtle.importKey('jwk', jwk as JsonWebKey & JWK, { name: 'Ed25519' }, false, ['sign']);
  return ed25519Signer(key.origin, privateKey, publicBytes(key.publicJwk));
}

/** The log key sealed under `previous` sealed again under `next` (a KEK rotation). */
export async function resealLogKey(
  previous: KeyEncryptionKey,
  next: KeyEncryptionKey,
  tenantId: string,
  kid: string,
  sealed: string,
): Promise<string> {
  const jwk = await openPrivateJwk(previous, tenantId, sealName(kid), sealed);
  return sealPrivateJwk(next, tenantId, sealName(kid), jwk);
}
