import { describe, expect, it } from 'vitest';
import { DEFAULT_EVIDENCE_MAX_AGE_DAYS, evidenceMaxAgeDays, isTimeBound } from '../../src/readiness/evidence-freshness.ts';
import { profileControls, profileSchema, type Profile } from '../../src/readiness/profile.ts';
import { findBuiltinProfile } from '../../src/readiness/registry.ts';
import { tenantProfile } from '../http/helpers.ts';

const IDS = ['production-proof', 'production-readiness-checklist', 'production-readiness-review'];

describe('the freshness rule of a profile', () => {
  it('1.0.0 of each built-in keeps its text (and digest): judged by the default of a year, every control time-bound', () => {
    for (const id of IDS) {
      const p = findBuiltinProfile(id, '1.0.0')!;
      expect(p.evidenceMaxAgeDays).toBeUndefined();
      expect(evidenceMaxAgeDays(p)).toBe(DEFAULT_EVIDENCE_MAX_AGE_DAYS);
      expect(DEFAULT_EVIDENCE_MAX_AGE_DAYS).toBe(365);
      expect(profileControls(p).every(isTimeBound)).toBe(true);
    }
  });

  it('1.1.0 of each is 1.0.0 with its own rule and one control that does not age, and nothing else changed', () => {
    const rules = { 'production-proof': 90, 'production-readiness-checklist': 180, 'production-readiness-review': 365 };
    const timeless = {
      'production-proof': ['acceptance.customer'],
      'production-readiness-checklist': ['data.durable_backend_plan'],
      'production-readiness-review': ['correctness.approval_assignment'],
    };
    for (const id of IDS) {
      const before = findBuiltinProfile(id, '1.0.0')!;
      const after = findBuiltinProfile(id, '1.1.0')!;
      expect(evidenceMaxAgeDays(after)).toBe(rules[id as keyof typeof rules]);
      const notBound = profileControls(after).filter((c) => !isTimeBound(c));
      expect(notBound.map((c) => c.id)).toEqual(timeless[id as keyof typeof timeless]);
      // Stripped of what 1.1.0 adds, the two are the same text.
      const strip = (p: Profile) =>
        JSON.parse(
          JSON.stringify({ ...p, version: undefined, evidenceMaxAgeDays: undefined }, (k, v: unknown) =>
            k === 'timeBound' ? undefined : v,
          ),
        ) as unknown;
      expect(strip(after)).toEqual(strip(before));
    }
  });

  it('a tenant profile states a whole number of days from 1 to 3650, and timeBound as a boolean', () => {
    const base = tenantProfile('acme-rule', '1.0.0');
    expect(profileSchema.safeParse({ ...base, evidenceMaxAgeDays: 30 }).success).toBe(true);
    for (const bad of [0, 3651, 1.5, '30'])
      expect(profileSchema.safeParse({ ...base, evidenceMaxAgeDays: bad }).success, String(bad)).toBe(false);
    const control = base.sections[0]!.controls[0]!;
    const withFlag = (flag: unknown) => ({ ...base, sections: [{ ...base.sections[0]!, controls: [{ ...control, timeBound: flag }] }] });
    expect(profileSchema.safeParse(withFlag(false)).success).toBe(true);
    expect(profileSchema.safeParse(withFlag('no')).success).toBe(false);
  });
});
