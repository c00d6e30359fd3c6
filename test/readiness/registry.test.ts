import { describe, expect, it } from 'vitest';
import { builtinProfiles, findBuiltinProfile } from '../../src/readiness/registry.ts';
import { resolveProfile } from '../../src/readiness/resolve.ts';
import { refusalOf } from './fixtures.ts';

describe('profile lookup', () => {
  it('finds a built-in by exact id and version', () => {
    expect(resolveProfile(builtinProfiles(), 'production-proof', '1.0.0')).toBe(findBuiltinProfile('production-proof', '1.0.0'));
  });

  it('refuses a version that does not exist rather than picking another', () => {
    const e = refusalOf(() => resolveProfile(builtinProfiles(), 'production-proof', '1.0.1'));
    expect(e.code).toBe('profile_not_found');
    expect(e.status).toBe(404);
    expect(e.fields).toEqual([{ pointer: '/profile/version', detail: 'no readiness profile production-proof@1.0.1' }]);
    expect(findBuiltinProfile('production-proof', '1.0.1')).toBeUndefined();
  });

  it('refuses an unknown profile id', () => {
    expect(refusalOf(() => resolveProfile(builtinProfiles(), 'launch-vibes', '1.0.0')).code).toBe('profile_not_found');
  });
});
