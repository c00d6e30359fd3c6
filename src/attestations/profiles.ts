import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import { builtinProfiles, findBuiltinProfile, pinProfile, profileNotFound, profileSchema, type PinnedProfile } from '../readiness/index.ts';
import type { Queryable } from '../store/port.ts';
import { jsonPointer } from '../util/json-pointer.ts';
import { notePublicationChange } from '../store/publication-changes.ts';
import { profilePublishedEntry } from '../transparency/events.ts';
import { appendEntries } from '../transparency/store.ts';
import { findTenantProfile, insertTenantProfile, tenantProfiles } from './store.ts';

export { markProfileUsed } from './store.ts';

/** A profile as the registry serves it: where it comes from, and its digest. */
export interface ProfileEntry {
  readonly origin: 'builtin' | 'tenant';
  readonly pinned: PinnedProfile;
}

/** The tenant's own profiles and the built-ins, built-ins first. */
export async function listProfiles(tx: Queryable, tenantId: string | undefined): Promise<ProfileEntry[]> {
  const builtins = await Promise.all(builtinProfiles().map(async (p) => ({ origin: 'builtin' as const, pinned: await pinProfile(p) })));
  if (!tenantId) return builtins;
  const rows = await tenantProfiles(tx, tenantId);
  return [...builtins, ...rows.map((r) => ({ origin: 'tenant' as const, pinned: { profile: r.profile, digest: r.digest } }))];
}

/** The exact version an assessment names: a built-in, or one of the tenant's own. */
export async function findProfile(
  tx: Queryable,
  tenantId: string | undefined,
  id: string,
  version: string,
): Promise<ProfileEntry | undefined> {
  const builtin = findBuiltinProfile(id, version);
  if (builtin) return { origin: 'builtin', pinned: await pinProfile(builtin) };
  if (!tenantId) return undefined;
  const row = await findTenantProfile(tx, tenantId, id, version);
  return row && { origin: 'tenant', pinned: { profile: row.profile, digest: row.digest } };
}

export async function requireProfile(tx: Queryable, tenantId: string, id: string, version: string): Promise<ProfileEntry> {
  const entry = await findProfile(tx, tenantId, id, version);
  if (!entry) throw profileNotFound(id, version);
  return entry;
}

/**
 * Adds a tenant profile. Versions are immutable: an existing id@version (the tenant's or a
 * built-in) is never replaced, so every verdict stays reproducible against the text it used.
 */
export async function addTenantProfile(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  tenantId: string,
  input: unknown,
): Promise<ProfileEntry> {
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('invalid_request', 'profile failed validation', {
      fields: parsed.error.issues.slice(0, 100).map((i) => ({ pointer: jsonPointer(i.path), detail: i.message })),
    });
  }
  const profile = parsed.data;
  if (findBuiltinProfile(profile.id, profile.version))
    throw new AppError('profile_exists', `${profile.id}@${profile.version} is a built-in profile`);
  const pinned = await pinProfile(profile);
  notePublicationChange(tx, tenantId);
  const inserted = await insertTenantProfile(tx, { tenantId, profile, digest: pinned.digest, createdAt: deps.now, createdBy: deps.actor });
  if (!inserted) throw new AppError('profile_exists', `${profile.id}@${profile.version} already exists; publish a new version instead`);
  await recordEvent(tx, {
    tenantId,
    at: deps.now,
    actor: deps.actor,
    action: 'profile.added',
    target: `${profile.id}@${profile.version}`,
    detail: { digest: pinned.digest },
  });
  await appendEntries(tx, tenantId, [
    profilePublishedEntry(tenantId, { id: profile.id, version: profile.version, digest: pinned.digest, at: deps.now }),
  ]);
  return { origin: 'tenant', pinned };
}
