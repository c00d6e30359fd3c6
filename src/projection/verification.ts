import { findProfile } from '../attestations/profiles.ts';
import { listKeys } from '../keys/key-store.ts';
import { noticeOfCredential } from '../sharing/notice.ts';
import type { Database } from '../store/port.ts';
import { deepFreeze } from '../util/deep-freeze.ts';
import type { IssuerKey } from '../verify/issuer-keys.ts';
import type { KeyHistory } from '../verify/local-keys.ts';
import type { AttestationNotice } from '../verify/notices.ts';
import type { Profile } from '../readiness/index.ts';
import type { LocalListForms } from '../verify/status-sources.ts';
import { listDocuments } from './documents.ts';
import type { Projection } from './projection.ts';

/**
 * What verifying this deployment's own credentials reads, from the projection: a steady-state
 * verification makes no database round trip, takes no key-encryption key and writes nothing.
 * The objects handed out are the same from one verification to the next, so what is derived
 * from them (an imported public key, a list's checked signature) is derived once.
 */

/** Every key of a tenant by kid, revoked ones with their instant. */
export function keyHistory(projection: Projection, db: Database, tenantId: string): Promise<KeyHistory> {
  return projection.read(db, tenantId, 'key-history', async (tx) => {
    const keys = await listKeys(tx, tenantId);
    const byKid = new Map<string, IssuerKey>();
    for (const k of keys) {
      byKid.set(k.kid, { jwk: { ...k.publicJwk, kid: k.kid, alg: k.alg }, ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}) });
    }
    return { value: byKid, weight: 512 * keys.length };
  });
}

/** A list's signed forms as served. */
export async function listForms(projection: Projection, db: Database, tenantId: string, listId: string): Promise<LocalListForms> {
  const docs = await listDocuments(projection, db, tenantId, listId);
  return { token: docs.token.body, revocation: docs.revocation.body, suspension: docs.suspension.body };
}

/** The public notice of the attestation a credential belongs to (status, reason, successor). */
export function notice(
  projection: Projection,
  db: Database,
  tenantId: string,
  credentialId: string,
): Promise<AttestationNotice | undefined> {
  return projection.read(db, tenantId, `notice:${credentialId}`, async (tx) => {
    const value = await noticeOfCredential(tx, tenantId, credentialId);
    return { value, weight: 512 };
  });
}

/**
 * One of the tenant's own profile versions (versions are immutable, so this changes only by
 * arriving). Frozen, like the built-ins, so its digest is taken once (pinProfile memoises frozen
 * profiles) rather than canonicalised and hashed again on every verification that recomputes it.
 */
export function tenantProfile(
  projection: Projection,
  db: Database,
  tenantId: string,
  id: string,
  version: string,
): Promise<Profile | undefined> {
  return projection.read(db, tenantId, `profile:${id}@${version}`, async (tx) => {
    const value = deepFreeze((await findProfile(tx, tenantId, id, version))?.pinned.profile);
    return { value, weight: value ? JSON.stringify(value).length : 64 };
  });
}
