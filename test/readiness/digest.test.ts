import { describe, expect, it } from 'vitest';
import { jcsDigestSri, pinProfile, profileDigest } from '../../src/readiness/digest.ts';
import type { Profile } from '../../src/readiness/profile.ts';
import { builtinProfiles } from '../../src/readiness/registry.ts';
import { testProfile } from './fixtures.ts';

/** The same value with every object's members in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversed(v)]),
    );
  return value;
}

describe('profile digest', () => {
  it('is the SRI form of SHA-256 over the RFC 8785 canonical JSON', async () => {
    // RFC 8785 sorts members by UTF-16 code units and writes numbers in their shortest form.
    expect(await jcsDigestSri({ b: [1e2, 'é'], a: true })).toBe(await jcsDigestSri(JSON.parse('{"a":true,"b":[100,"é"]}')));
    const bytes = new TextEncoder().encode('{"a":true,"b":[100,"é"]}');
    const expected = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))));
    expect(await jcsDigestSri({ b: [100, 'é'], a: true })).toBe(`sha256-${expected}`);
  });

  it('does not depend on member order', async () => {
    expect(await profileDigest(reversed(testProfile) as Profile)).toBe(await profileDigest(testProfile));
  });

  it('changes when any fact changes', async () => {
    const base = await profileDigest(testProfile);
    const variants: ((p: Profile) => void)[] = [
      (p) => (p.version = '1.2.4'),
      (p) => (p.sections[0]!.controls[0]!.required = false),
      (p) => (p.sections[0]!.controls[0]!.strict = false),
      (p) => (p.sections[0]!.controls[0]!.priority = 'P0'),
      (p) => (p.sections[0]!.controls[0]!.stage = 'second'),
      (p) => (p.sections[0]!.controls[0]!.ifMissing += '!'),
      (p) => (p.sections[0]!.controls[0]!.audiences = ['operator']),
      (p) => (p.signOffs[1]!.required = true),
      (p) => (p.acceptance!.required = false),
      (p) => p.stages.reverse(),
    ];
    const digests = await Promise.all(
      variants.map((change) => {
        const p = structuredClone(testProfile);
        change(p);
        return profileDigest(p);
      }),
    );
    for (const d of digests) expect(d).not.toBe(base);
    expect(new Set(digests).size).toBe(variants.length);
  });

  it('pins each built-in once, to a distinct digest', async () => {
    const pins = await Promise.all(builtinProfiles().map(pinProfile));
    expect(await pinProfile(builtinProfiles()[0]!)).toBe(pins[0]);
    expect(new Set(pins.map((p) => p.digest)).size).toBe(pins.length);
    for (const pin of pins) expect(pin.digest).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
  });
});
