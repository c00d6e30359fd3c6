import { AppError } from '../errors/index.ts';
import type { Profile } from './profile.ts';

/**
 * The exact profile version an assessment names. Never the latest of a series: a verdict must
 * be reproducible against the text it was decided under.
 */
export function resolveProfile(registry: Iterable<Profile>, id: string, version: string): Profile {
  for (const p of registry) if (p.id === id && p.version === version) return p;
  throw profileNotFound(id, version);
}

/** The refusal for an assessment naming a profile version that does not exist, wherever it is looked up. */
export function profileNotFound(id: string, version: string): AppError {
  return new AppError('profile_not_found', `no readiness profile ${id}@${version}`, {
    fields: [{ pointer: '/profile/version', detail: `no readiness profile ${id}@${version}` }],
  });
}
