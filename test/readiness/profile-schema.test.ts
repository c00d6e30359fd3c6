import { describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../src/readiness/profile.ts';
import { testProfile } from './fixtures.ts';

const problemsOf = (p: unknown) => {
  const r = profileSchema.safeParse(p);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};
const edit = (fn: (p: Profile) => void): Profile => {
  const p = structuredClone(testProfile);
  fn(p);
  return p;
};

describe('profile schema', () => {
  it('refuses two controls with the same id, even in different sections', () => {
    const p = edit((p) => (p.sections[2]!.controls[0]!.id = 'core.strict'));
    expect(problemsOf(p)).toEqual([{ path: 'sections.2.controls.0.id', message: "duplicate control id 'core.strict'" }]);
  });

  it('refuses two stages with the same id', () => {
    const p = edit((p) => p.stages.push({ ...p.stages[0]! }));
    expect(problemsOf(p)).toEqual([{ path: 'stages.3.id', message: "duplicate stage id 'first'" }]);
  });

  it('refuses a control gating a stage that does not exist', () => {
    const p = edit((p) => (p.sections[0]!.controls[1]!.stage = 'launch'));
    expect(problemsOf(p)).toEqual([
      { path: 'sections.0.controls.1.stage', message: "control 'core.feature' gates unknown stage 'launch'" },
    ]);
  });

  it('refuses an acceptance gate on a stage that does not exist', () => {
    const p = edit((p) => (p.acceptance!.stage = 'live'));
    expect(problemsOf(p)).toEqual([{ path: 'acceptance.stage', message: "acceptance gates unknown stage 'live'" }]);
  });

  it('keeps the profile audiences equal to those its controls use', () => {
    expect(problemsOf(edit((p) => p.audiences.push('finance')))).toEqual([
      { path: 'audiences.2', message: "audience 'finance' is used by no control" },
    ]);
    expect(problemsOf(edit((p) => (p.sections[0]!.controls[0]!.audiences = ['buyer'])))).toEqual([
      {
        path: 'sections.0.controls.0.audiences.0',
        message: "control 'core.strict' names audience 'buyer' missing from the profile's audiences",
      },
    ]);
  });

  it('refuses a sign-off role listed twice', () => {
    const p = edit((p) => p.signOffs.push({ ...p.signOffs[0]! }));
    expect(problemsOf(p)).toEqual([{ path: 'signOffs.2.role', message: "duplicate sign-off role 'security_lead'" }]);
  });

  it('takes only MAJOR.MINOR.PATCH versions and slug ids', () => {
    expect(problemsOf({ ...testProfile, version: '1.2' }).map((i) => i.path)).toEqual(['version']);
    expect(problemsOf({ ...testProfile, version: '01.2.3' }).map((i) => i.path)).toEqual(['version']);
    expect(problemsOf({ ...testProfile, id: 'Test Profile' }).map((i) => i.path)).toEqual(['id']);
  });

  it('refuses members it does not know, so a typo cannot silently drop a fact', () => {
    const p = edit((p) => Object.assign(p.sections[0]!.controls[0]!, { requried: true }));
    expect(problemsOf(p)).toEqual([{ path: 'sections.0.controls.0', message: 'Unrecognized key: "requried"' }]);
  });
});
