import { describe, expect, it } from 'vitest';
import type { Assessment, ControlResult } from '../../src/readiness/assessment.ts';
import { pinProfile } from '../../src/readiness/digest.ts';
import { evaluateAssessment } from '../../src/readiness/evaluate.ts';
import { profileControls, type Profile } from '../../src/readiness/profile.ts';
import { builtinProfiles, findBuiltinProfile } from '../../src/readiness/registry.ts';
import { result } from './fixtures.ts';

function assessmentOf(p: Profile, status: (id: string) => ControlResult['status'] = () => 'pass'): Assessment {
  return {
    profile: { id: p.id, version: p.version },
    subject: { organisation: 'Example Ltd', product: 'Example API', id: 'did:web:api.example.com' },
    results: profileControls(p).map((c) => result(c.id, status(c.id))),
    signOffs: p.signOffs.map((s) => ({ role: s.role, name: `Holder of ${s.role}`, signedAt: '2026-04-01T08:00:00Z' })),
    ...(p.acceptance ? { acceptance: { decision: 'accepted' as const, decidedBy: 'Customer', decidedAt: '2026-04-02T08:00:00Z' } } : {}),
  };
}

describe('built-in profiles, evaluated', () => {
  it.each(builtinProfiles().map((p) => [`${p.id}@${p.version}`, p] as const))(
    '%s: a fully passing assessment reaches the last stage',
    async (_name, p) => {
      const v = evaluateAssessment(await pinProfile(p), assessmentOf(p));
      expect(v.stage).toBe(p.stages.at(-1)!.id);
      expect(v.strictGatePassed).toBe(true);
    },
  );

  it('production-proof: a managed private beta is live while billing and enterprise proofs are still open', async () => {
    const p = findBuiltinProfile('production-proof', '1.0.0')!;
    const open = new Set(['vendor.billing', 'fixture.evidence_files', 'vendor.enterprise_identity']);
    const v = evaluateAssessment(
      await pinProfile(p),
      assessmentOf(p, (id) => (open.has(id) ? 'blocked' : 'pass')),
    );
    expect(v.stage).toBe('managed_private_beta');
    expect(v.strictGatePassed).toBe(false);
    expect(v.blockers.find((b) => b.control === 'vendor.billing')).toMatchObject({
      stage: 'self_serve',
      reason: expect.stringMatching(/invoice/),
    });
  });

  it('production-readiness-review: clearing every P0 makes the launch launchable and passes the strict gate', async () => {
    const p = findBuiltinProfile('production-readiness-review', '1.0.0')!;
    const p0 = new Set(
      profileControls(p)
        .filter((c) => c.priority === 'P0')
        .map((c) => c.id),
    );
    const v = evaluateAssessment(
      await pinProfile(p),
      assessmentOf(p, (id) => (p0.has(id) ? 'pass' : 'fail')),
    );
    expect(v).toMatchObject({ stage: 'launchable', strictGatePassed: true });
  });

  it('production-readiness-checklist: the pilot can start before production sign-off', async () => {
    const p = findBuiltinProfile('production-readiness-checklist', '1.0.0')!;
    const v = evaluateAssessment(await pinProfile(p), {
      ...assessmentOf(p, (id) => (id.startsWith('performance.') ? 'partial' : 'pass')),
      signOffs: [],
    });
    expect(v.stage).toBe('pilot');
    expect(v.signOffsMissing).toEqual(['security_lead', 'sre_lead', 'product_owner']);
  });
});
