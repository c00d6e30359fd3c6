import { describe, expect, it } from 'vitest';
import { evaluateAssessment } from '../../src/readiness/evaluate.ts';
import { pinProfile } from '../../src/readiness/digest.ts';
import { findBuiltinProfile } from '../../src/readiness/registry.ts';
import type { Assessment } from '../../src/readiness/assessment.ts';
import { passingAssessment, pinnedTestProfile, refusalOf, result, withStatus } from './fixtures.ts';

/** A well-formed assessment that does not add up: 422. */
async function refused(a: Assessment) {
  const pinned = await pinnedTestProfile();
  const e = refusalOf(() => evaluateAssessment(pinned, a));
  expect(e.code).toBe('invalid_assessment');
  expect(e.status).toBe(422);
  return e.fields;
}

/** A malformed one (a missing or mistyped member): 400, like any malformed body. */
async function malformed(a: Assessment) {
  const pinned = await pinnedTestProfile();
  const e = refusalOf(() => evaluateAssessment(pinned, a));
  expect(e.code).toBe('invalid_request');
  expect(e.status).toBe(400);
  return e.fields;
}

const accepting = (a: Assessment, patch: Partial<NonNullable<Assessment['acceptance']>>): Assessment => ({
  ...a,
  acceptance: { ...a.acceptance!, ...patch },
});

describe('evaluateAssessment: refusals point at the place to fix', () => {
  it('refuses a control the profile does not have', async () => {
    const a = passingAssessment();
    expect(await refused({ ...a, results: [...a.results, result('core.unheard_of')] })).toEqual([
      { pointer: '/results/5/control', detail: "control 'core.unheard_of' is not part of test-profile@1.2.3" },
    ]);
  });

  it('refuses a control reported twice, naming the first report', async () => {
    const a = passingAssessment();
    expect(await refused({ ...a, results: [...a.results, result('core.strict', 'fail')] })).toEqual([
      { pointer: '/results/5/control', detail: "control 'core.strict' is already reported at /results/0" },
    ]);
  });

  it('refuses an assessment that leaves a required control out', async () => {
    const a = passingAssessment();
    expect(await refused({ ...a, results: a.results.filter((r) => r.control !== 'late.scale') })).toEqual([
      { pointer: '/results', detail: "required control 'late.scale' has no result" },
    ]);
  });

  it('refuses a pass without evidence', async () => {
    const a = passingAssessment();
    a.results[2] = { control: 'beta.isolation', status: 'pass', evidence: [] };
    expect(await refused(a)).toEqual([
      { pointer: '/results/2/evidence', detail: "control 'beta.isolation' is reported as pass without evidence" },
    ]);
  });

  it('accepts fail, blocked and partial without evidence', async () => {
    let a = withStatus(passingAssessment(), 'beta.nice', 'partial');
    a = withStatus(a, 'core.strict', 'blocked');
    const { acceptance: _ignored, ...noDecision } = a;
    expect(evaluateAssessment(await pinnedTestProfile(), noDecision).blockers.map((b) => b.control)).toEqual(['core.strict']);
  });

  it('refuses evidence without a sha-256 digest, naming the control', async () => {
    const a = passingAssessment();
    const { digestSRI: _ignored, ...undigested } = a.results[1]!.evidence![0]!;
    a.results[1] = { ...a.results[1]!, evidence: [undigested as never] };
    const fields = await malformed(a);
    expect(fields).toHaveLength(1);
    expect(fields[0]!.pointer).toBe('/results/1/evidence/0/digestSRI');
    expect(fields[0]!.detail).toContain("control 'core.feature'");
  });

  it('refuses a digest made with another algorithm than sha-256', async () => {
    const a = passingAssessment();
    a.results[0]!.evidence![0]!.digestSRI = 'sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb';
    const fields = await malformed(a);
    expect(fields).toEqual([
      { pointer: '/results/0/evidence/0/digestSRI', detail: expect.stringMatching(/^control 'core.strict': must be a sha-256 digest/) },
    ]);
  });

  it("refuses 'accepted' while a required control of the accepted stage fails", async () => {
    expect(await refused(withStatus(passingAssessment(), 'beta.isolation', 'fail'))).toEqual([
      { pointer: '/acceptance/decision', detail: "decision 'accepted' while required control 'beta.isolation' is fail" },
    ]);
  });

  it("allows 'accepted' while a control of a later stage fails: the customer accepted an earlier stage", async () => {
    const v = evaluateAssessment(await pinnedTestProfile(), withStatus(passingAssessment(), 'late.scale', 'fail'));
    expect(v.stage).toBe('second');
    expect(v.blockers).toEqual([expect.objectContaining({ control: 'late.scale', stage: 'final' })]);
  });

  it('refuses accepted_with_exclusions that excludes nothing', async () => {
    expect(await refused(accepting(passingAssessment(), { decision: 'accepted_with_exclusions' }))).toEqual([
      { pointer: '/acceptance/exclusions', detail: 'accepted_with_exclusions names no excluded control' },
    ]);
  });

  it('refuses an exclusion naming an unknown control', async () => {
    const a = accepting(passingAssessment(), {
      decision: 'accepted_with_exclusions',
      exclusions: [{ control: 'beta.ghost', reason: 'Not built.' }],
    });
    expect(await refused(a)).toEqual([
      { pointer: '/acceptance/exclusions/0/control', detail: "excluded control 'beta.ghost' is not part of test-profile@1.2.3" },
    ]);
  });

  it('refuses an exclusion of a control that gates a stage after the accepted one', async () => {
    const a = accepting(withStatus(passingAssessment(), 'late.scale', 'fail'), {
      decision: 'accepted_with_exclusions',
      exclusions: [{ control: 'late.scale', reason: 'Later.' }],
    });
    expect(await refused(a)).toEqual([
      {
        pointer: '/acceptance/exclusions/0/control',
        detail: "control 'late.scale' gates stage 'final', beyond the accepted stage 'second'",
      },
    ]);
  });

  it('refuses accepted_with_exclusions that leaves a failing control of the accepted stage unexcluded', async () => {
    let a = withStatus(passingAssessment(), 'beta.isolation', 'fail');
    a = withStatus(a, 'core.feature', 'partial');
    a = accepting(a, { decision: 'accepted_with_exclusions', exclusions: [{ control: 'beta.isolation', reason: 'Single tenant.' }] });
    expect(await refused(a)).toEqual([
      {
        pointer: '/acceptance/exclusions',
        detail: "decision 'accepted_with_exclusions' while required control 'core.feature' is partial and not excluded",
      },
    ]);
  });

  it("refuses exclusions attached to a plain 'accepted' or 'rejected'", async () => {
    const exclusions = [{ control: 'beta.isolation', reason: 'x' }];
    for (const decision of ['accepted', 'rejected'] as const) {
      expect(await refused(accepting(passingAssessment(), { decision, exclusions }))).toEqual([
        { pointer: '/acceptance/exclusions', detail: `exclusions only apply to accepted_with_exclusions, not '${decision}'` },
      ]);
    }
  });

  it('refuses not_applicable on a control the profile says applies to every launch', async () => {
    expect(await refused(withStatus(passingAssessment(), 'core.strict', 'not_applicable'))).toEqual([
      { pointer: '/results/0/status', detail: "control 'core.strict' applies to every launch and cannot be not_applicable" },
    ]);
  });

  it('refuses a sign-off role the profile does not ask for', async () => {
    const a = passingAssessment();
    a.signOffs = [...a.signOffs!, { role: 'intern', name: 'Sam', signedAt: '2026-03-02T10:00:00Z' }];
    expect(await refused(a)).toEqual([
      { pointer: '/signOffs/1/role', detail: "sign-off role 'intern' is not one test-profile@1.2.3 asks for" },
    ]);
  });

  it('refuses a customer acceptance for a profile that has no acceptance gate', async () => {
    const review = await pinProfile(findBuiltinProfile('production-readiness-review', '1.0.0')!);
    const results = review.profile.sections.flatMap((s) => s.controls).map((c) => result(c.id, 'fail'));
    const a: Assessment = { ...passingAssessment(), profile: { id: review.profile.id, version: '1.0.0' }, results, signOffs: [] };
    const e = refusalOf(() => evaluateAssessment(review, a));
    expect(e.fields).toEqual([{ pointer: '/acceptance', detail: 'production-readiness-review@1.0.0 has no customer acceptance gate' }]);
  });

  it('refuses an assessment written for another profile version', async () => {
    const a = { ...passingAssessment(), profile: { id: 'test-profile', version: '1.2.4' } };
    expect(await refused(a)).toEqual([
      { pointer: '/profile/version', detail: 'assessment names test-profile@1.2.4 but is evaluated against test-profile@1.2.3' },
    ]);
  });

  it('reports every problem in one refusal, so a tenant fixes the submission in one round trip', async () => {
    const a = withStatus(passingAssessment(), 'core.strict', 'not_applicable');
    a.results.push(result('core.unheard_of'));
    a.signOffs = [{ role: 'intern', name: 'Sam', signedAt: '2026-03-02T10:00:00Z' }];
    expect((await refused(a)).map((f) => f.pointer)).toEqual(['/results/0/status', '/results/5/control', '/signOffs/0/role']);
  });

  it('never lets a caller supply the verdict', async () => {
    const a = { ...passingAssessment(), stage: 'final', strictGatePassed: true } as Assessment;
    expect((await malformed(a)).map((f) => f.pointer).sort()).toEqual(['/stage', '/strictGatePassed']);
  });
});
