import { describe, expect, it } from 'vitest';
import { evaluateAssessment } from '../../src/readiness/evaluate.ts';
import { pinProfile, profileDigest } from '../../src/readiness/digest.ts';
import { profileSchema } from '../../src/readiness/profile.ts';
import { passingAssessment, pinnedTestProfile, testProfile, withStatus } from './fixtures.ts';

const withoutAcceptance = (a = passingAssessment()) => {
  const { acceptance: _ignored, ...rest } = a;
  return rest;
};
const noGateProfile = () => {
  const { acceptance: _ignored, ...rest } = testProfile;
  return pinProfile(profileSchema.parse(rest));
};

describe('evaluateAssessment: verdict rules', () => {
  it('reaches the final stage when every required control passes, the customer accepts and sign-offs are present', async () => {
    const pinned = await pinnedTestProfile();
    const v = evaluateAssessment(pinned, passingAssessment());
    expect(v).toEqual({
      profile: { id: 'test-profile', version: '1.2.3', digest: await profileDigest(testProfile) },
      strictGatePassed: true,
      stage: 'final',
      stagesReached: ['first', 'second', 'final'],
      blockers: [],
      exclusions: [],
      signOffsMissing: [],
      acceptance: 'accepted',
      summary: { pass: 5, fail: 0, blocked: 0, partial: 0, not_applicable: 0, total: 5 },
    });
  });

  it('never lets partial pass: the control blocks its stage with the profile reason', async () => {
    const v = evaluateAssessment(await noGateProfile(), withoutAcceptance(withStatus(passingAssessment(), 'beta.isolation', 'partial')));
    expect(v.stage).toBe('first');
    expect(v.blockers).toEqual([
      { control: 'beta.isolation', status: 'partial', reason: 'Without beta.isolation the stage second is not safe.', stage: 'second' },
    ]);
  });

  it('reports fail and blocked statuses as they were submitted', async () => {
    let a = withoutAcceptance(withStatus(passingAssessment(), 'beta.isolation', 'blocked'));
    a = withStatus(a, 'late.scale', 'fail');
    const v = evaluateAssessment(await noGateProfile(), a);
    expect(v.blockers.map((b) => [b.control, b.status, b.stage])).toEqual([
      ['beta.isolation', 'blocked', 'second'],
      ['late.scale', 'fail', 'final'],
    ]);
    expect(v.summary).toMatchObject({ pass: 3, fail: 1, blocked: 1, total: 5 });
  });

  it('lets not_applicable clear a control whose profile allows it', async () => {
    const v = evaluateAssessment(await pinnedTestProfile(), withStatus(passingAssessment(), 'core.feature', 'not_applicable'));
    expect(v.stage).toBe('final');
    expect(v.blockers).toEqual([]);
    expect(v.summary).toMatchObject({ pass: 4, not_applicable: 1 });
  });

  it('holds every later stage back when an earlier one is not reached, even if their own controls pass', async () => {
    const v = evaluateAssessment(await noGateProfile(), withoutAcceptance(withStatus(passingAssessment(), 'core.feature', 'fail')));
    expect(v.stage).toBeNull();
    expect(v.stagesReached).toEqual([]);
    expect(v.blockers.map((b) => b.control)).toEqual(['core.feature']);
  });

  it('counts a failing optional control but never lets it block', async () => {
    const v = evaluateAssessment(await pinnedTestProfile(), withStatus(passingAssessment(), 'beta.nice', 'fail'));
    expect(v.stage).toBe('final');
    expect(v.blockers).toEqual([]);
    expect(v.summary).toMatchObject({ pass: 4, fail: 1, total: 5 });
  });

  it('accepts an assessment that leaves an optional control out', async () => {
    const a = passingAssessment();
    const v = evaluateAssessment(await pinnedTestProfile(), { ...a, results: a.results.filter((r) => r.control !== 'beta.nice') });
    expect(v.stage).toBe('final');
    expect(v.summary.total).toBe(4);
  });

  it('stops at the stage before the acceptance gate while the customer has not decided', async () => {
    const v = evaluateAssessment(await pinnedTestProfile(), withoutAcceptance());
    expect(v.stagesReached).toEqual(['first']);
    expect(v.acceptance).toBeNull();
    expect(v.blockers).toEqual([]);
  });

  it('stops at the stage before the acceptance gate when the customer rejects', async () => {
    const a = passingAssessment();
    const v = evaluateAssessment(await pinnedTestProfile(), { ...a, acceptance: { ...a.acceptance!, decision: 'rejected' } });
    expect(v.stage).toBe('first');
    expect(v.acceptance).toBe('rejected');
  });

  it('lets an optional acceptance gate pass without a decision, but not past a rejection', async () => {
    const pinned = await pinProfile(profileSchema.parse({ ...testProfile, acceptance: { ...testProfile.acceptance!, required: false } }));
    expect(evaluateAssessment(pinned, withoutAcceptance()).stage).toBe('final');
    const a = passingAssessment();
    expect(evaluateAssessment(pinned, { ...a, acceptance: { ...a.acceptance!, decision: 'rejected' } }).stage).toBe('first');
  });

  it('treats a control excluded by accepted_with_exclusions as cleared and reports the exclusion', async () => {
    const a = withStatus(passingAssessment(), 'beta.isolation', 'fail');
    const exclusions = [{ control: 'beta.isolation', reason: 'The customer runs a single tenant.' }];
    const v = evaluateAssessment(await pinnedTestProfile(), {
      ...a,
      acceptance: { ...a.acceptance!, decision: 'accepted_with_exclusions', exclusions },
    });
    expect(v.stage).toBe('final');
    expect(v.blockers).toEqual([]);
    expect(v.exclusions).toEqual(exclusions);
    expect(v.acceptance).toBe('accepted_with_exclusions');
  });

  it('does not let an exclusion satisfy the strict gate: a waiver is not proof', async () => {
    const a = withStatus(passingAssessment(), 'core.strict', 'fail');
    const exclusions = [{ control: 'core.strict', reason: 'Waived for this customer.' }];
    const v = evaluateAssessment(await pinnedTestProfile(), {
      ...a,
      acceptance: { ...a.acceptance!, decision: 'accepted_with_exclusions', exclusions },
    });
    expect(v.stage).toBe('final');
    expect(v.strictGatePassed).toBe(false);
  });

  it('fails the strict gate when a strict control fails, independently of the stage reached', async () => {
    const v = evaluateAssessment(await noGateProfile(), withoutAcceptance(withStatus(passingAssessment(), 'core.strict', 'fail')));
    expect(v.strictGatePassed).toBe(false);
    expect(v.stage).toBeNull();
    expect(v.blockers[0]).toMatchObject({ control: 'core.strict', status: 'fail', stage: 'first' });
  });

  it('needs every required sign-off for the final stage only, and ignores missing optional ones', async () => {
    const v = evaluateAssessment(await pinnedTestProfile(), { ...passingAssessment(), signOffs: [] });
    expect(v.stagesReached).toEqual(['first', 'second']);
    expect(v.signOffsMissing).toEqual(['security_lead']);
  });

  it('decides the same verdict for the same input: the function is pure', async () => {
    const pinned = await pinnedTestProfile();
    const a = passingAssessment();
    const before = structuredClone(a);
    expect(evaluateAssessment(pinned, a)).toEqual(evaluateAssessment(pinned, a));
    expect(a).toEqual(before);
  });
});
