import { expect } from 'vitest';
import { AppError } from '../../src/errors/index.ts';
import type { Assessment, ControlResult, Evidence, ResultStatus } from '../../src/readiness/assessment.ts';
import { pinProfile, type PinnedProfile } from '../../src/readiness/digest.ts';
import { profileSchema, type Control, type Profile } from '../../src/readiness/profile.ts';

const control = (id: string, stage: string, extra: Partial<Control> = {}): Control => ({
  id,
  title: `Control ${id}`,
  description: `What ${id} checks.`,
  required: true,
  audiences: ['security'],
  evidence: { expected: `Proof of ${id}.` },
  ifMissing: `Without ${id} the stage ${stage} is not safe.`,
  stage,
  strict: false,
  applicability: 'always',
  ...extra,
});

/**
 * A small profile where each rule has exactly one control to trip it: three stages, an
 * acceptance gate on the middle one and sign-offs on the last.
 */
export const testProfile: Profile = profileSchema.parse({
  id: 'test-profile',
  version: '1.2.3',
  title: 'Test profile',
  description: 'A profile small enough to reason about in a test.',
  source: 'Written for the tests.',
  audiences: ['security', 'operator'],
  stages: [
    { id: 'first', title: 'First', description: 'The first stage.' },
    { id: 'second', title: 'Second', description: 'The stage the customer accepts.' },
    { id: 'final', title: 'Final', description: 'The stage that needs sign-offs.' },
  ],
  sections: [
    {
      id: 'core',
      title: 'Core',
      controls: [control('core.strict', 'first', { strict: true }), control('core.feature', 'first', { applicability: 'may_be_na' })],
    },
    {
      id: 'beta',
      title: 'Beta',
      controls: [control('beta.isolation', 'second'), control('beta.nice', 'second', { required: false, audiences: ['operator'] })],
    },
    { id: 'late', title: 'Late', controls: [control('late.scale', 'final')] },
  ],
  signOffs: [
    { role: 'security_lead', title: 'Security lead', required: true },
    { role: 'observer', title: 'Observer', required: false },
  ],
  acceptance: { required: true, description: 'The customer accepts the second stage.', stage: 'second' },
});

export const pinnedTestProfile = (): Promise<PinnedProfile> => pinProfile(testProfile);

export const evidence = (n = 0): Evidence => ({
  uri: `https://evidence.example.com/run/${n}.json`,
  digestSRI: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
  mediaType: 'application/json',
  collectedAt: '2026-03-01T09:30:00Z',
  collectedBy: 'ci@example.com',
});

export const result = (controlId: string, status: ResultStatus = 'pass'): ControlResult =>
  status === 'pass' ? { control: controlId, status, evidence: [evidence()] } : { control: controlId, status };

/** Everything passes, signed off and accepted: the verdict reaches the final stage. */
export const passingAssessment = (): Assessment => ({
  profile: { id: 'test-profile', version: '1.2.3' },
  subject: { organisation: 'Example Ltd', product: 'Example API', productionUrl: 'https://api.example.com' },
  results: ['core.strict', 'core.feature', 'beta.isolation', 'beta.nice', 'late.scale'].map((c) => result(c)),
  signOffs: [{ role: 'security_lead', name: 'Ada Lovelace', signedAt: '2026-03-02T10:00:00+01:00' }],
  acceptance: { decision: 'accepted', decidedBy: 'Customer CISO', decidedAt: '2026-03-03T12:00:00Z' },
});

/** An assessment with one control's status replaced. */
export function withStatus(a: Assessment, controlId: string, status: ResultStatus): Assessment {
  return { ...a, results: a.results.map((r) => (r.control === controlId ? result(controlId, status) : r)) };
}

/** The AppError a call throws; fails the test if it throws anything else or nothing. */
export function refusalOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  expect.fail('expected a refusal, got a verdict');
}
