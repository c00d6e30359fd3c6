import canonicalize from 'canonicalize';
import { base64Encode } from '../util/base64.ts';
import { sha256 } from '../util/sha256.ts';
import type { Profile } from './profile.ts';

/**
 * W3C `digestSRI` form (`sha256-` + base64 of SHA-256) over the RFC 8785 (JCS) canonical JSON,
 * so the digest names the profile's content, not the whitespace or member order of a file.
 */
export async function jcsDigestSri(value: unknown): Promise<string> {
  const canonical = canonicalize(value);
  if (canonical === undefined) throw new TypeError('value has no JSON representation');
  const hash = await sha256(canonical);
  return `sha256-${base64Encode(hash)}`;
}

/** The digest a verdict cites, so a verifier can tell which exact profile text was applied. */
export function profileDigest(profile: Profile): Promise<string> {
  return jcsDigestSri(profile);
}

/** A profile together with its digest: evaluation is synchronous, hashing is not. */
export interface PinnedProfile {
  readonly profile: Profile;
  readonly digest: string;
}

const pinned = new WeakMap<Profile, Promise<PinnedProfile>>();

/** Memoised only for frozen profiles (the built-ins): a mutable one could change under its digest. */
export function pinProfile(profile: Profile): Promise<PinnedProfile> {
  const pin = () => profileDigest(profile).then((digest) => Object.freeze({ profile, digest }));
  if (!Object.isFrozen(profile)) return pin();
  let pending = pinned.get(profile);
  if (!pending) {
    pending = pin();
    pinned.set(profile, pending);
  }
  return pending;
}
