import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assessment } from '../../src/readiness/assessment.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment, tenantProfile, tenantState } from '../http/helpers.ts';

const DAY = 86_400_000;

/** The review profile's assessment, with observation and expiry set on one control's evidence. */
function withEvidenceTimes(a: Assessment, control: string, times: { observedAt?: string; expiresAt?: string }): Assessment {
  return {
    ...a,
    results: a.results.map((r) => (r.control === control ? { ...r, evidence: r.evidence?.map((e) => ({ ...e, ...times })) } : r)),
  };
}

describe('evidence expiry bounds what an issuance may vouch for', () => {
  let t: TestDatabase;
  let h: Harness;
  const day = (n: number) => new Date(h.clock().getTime() + n * DAY).toISOString();
  const issue = (body: unknown) => h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body });
  const pointerOf = (a: Assessment, control: string) => `/results/${a.results.findIndex((r) => r.control === control)}/evidence/0`;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  it('refuses evidence that expires at or before it was observed, and evidence observed in the future, with pointers', async () => {
    const before = await tenantState(t.db, 'acme');
    const backwards = withEvidenceTimes(readinessAssessment(), 'security.ssrf', { observedAt: day(-1), expiresAt: day(-1) });
    const p1 = await expectProblem(
      await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: backwards }),
      422,
      'invalid_assessment',
    );
    expect(p1.errors?.map((e) => e.pointer)).toEqual([`${pointerOf(backwards, 'security.ssrf')}/expiresAt`]);

    const future = withEvidenceTimes(readinessAssessment(), 'security.ssrf', {
      observedAt: new Date(h.clock().getTime() + 6 * 60_000).toISOString(),
    });
    const p2 = await expectProblem(await issue({ assessment: future, formats: ['vc+jwt'] }), 422, 'invalid_assessment');
    expect(p2.errors?.map((e) => e.pointer)).toEqual([`/assessment${pointerOf(future, 'security.ssrf')}/observedAt`]);
    expect(await tenantState(t.db, 'acme')).toEqual(before);

    // A clock a few minutes ahead is tolerated.
    const skewed = withEvidenceTimes(readinessAssessment(), 'security.ssrf', {
      observedAt: new Date(h.clock().getTime() + 4 * 60_000).toISOString(),
    });
    expect((await issue({ assessment: skewed, formats: ['vc+jwt'] })).status).toBe(201);
  });

  it('refuses an observedAt or expiresAt that is not an RFC 3339 instant with an offset', async () => {
    const bad = withEvidenceTimes(readinessAssessment(), 'security.ssrf', { expiresAt: '2030-01-01T00:00:00' });
    const p = await expectProblem(
      await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: bad }),
      400,
      'invalid_request',
    );
    expect(p.errors?.map((e) => e.pointer)).toEqual([`${pointerOf(bad, 'security.ssrf')}/expiresAt`]);
  });

  it('keeps an assessment without evidence instants valid, with the default validity', async () => {
    const res = await issue({ assessment: readinessAssessment(), formats: ['vc+jwt'] });
    const out = (await res.json()) as { valid_from: string; valid_until: string };
    expect(new Date(out.valid_until).getTime() - new Date(out.valid_from).getTime()).toBe(90 * DAY);
  });

  it('cuts the default validity to the earliest expiry of a passing control, and says so in the credential', async () => {
    const a = withEvidenceTimes(readinessAssessment(), 'security.ssrf', { observedAt: day(-10), expiresAt: day(20) });
    const res = await issue({ assessment: a, formats: ['vc+jwt', 'dc+sd-jwt'] });
    expect(res.status, await res.clone().text()).toBe(201);
    const out = (await res.json()) as { valid_until: string; credentials: { format: string; credential: string }[] };
    expect(out.valid_until).toBe(day(20));
    const vc = decodeJwt(out.credentials.find((c) => c.format === 'vc+jwt')!.credential) as { validUntil: string; exp: number };
    expect(vc.validUntil).toBe(day(20));
  });

  it('refuses a named valid_until past that bound, naming the evidence and the latest instant allowed', async () => {
    const before = await tenantState(t.db, 'acme');
    const a = withEvidenceTimes(readinessAssessment(), 'security.ssrf', { expiresAt: day(20) });
    const p = await expectProblem(
      await issue({ assessment: a, formats: ['vc+jwt'], valid_until: day(30) }),
      422,
      'evidence_expires_before_validity',
    );
    expect(p.errors).toEqual([
      { pointer: `/assessment${pointerOf(a, 'security.ssrf')}/expiresAt`, detail: expect.stringContaining(day(20)) },
    ]);
    expect(await tenantState(t.db, 'acme')).toEqual(before);
    // Up to the bound is fine.
    expect((await issue({ assessment: a, formats: ['vc+jwt'], valid_until: day(20) })).status).toBe(201);
  });

  it('refuses evidence already expired for a passing control, by stored assessment id too', async () => {
    const a = withEvidenceTimes(readinessAssessment(), 'security.ssrf', { observedAt: day(-30), expiresAt: day(5) });
    const stored = (await (await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: a })).json()) as { id: string };
    h.clock.advanceDays(6);
    try {
      const p = await expectProblem(await issue({ assessment_id: stored.id, formats: ['jwt_vc_json'] }), 422, 'evidence_expired');
      expect(p.errors?.map((e) => e.pointer)).toEqual([`${pointerOf(a, 'security.ssrf')}/expiresAt`]);
    } finally {
      h.clock.advanceDays(-6);
    }
  });

  it('ignores the evidence of a failing control: it vouches for nothing', async () => {
    const a = withEvidenceTimes(
      readinessAssessment({ failing: ['correctness.approval_assignment'] }),
      'correctness.approval_assignment',
      {},
    );
    // A failing result has no evidence in the helper; give it some that expired long ago.
    const evidence = readinessAssessment().results[0]!.evidence!.map((e) => ({ ...e, observedAt: day(-100), expiresAt: day(-50) }));
    const failing = { ...a, results: a.results.map((r) => (r.control === 'correctness.approval_assignment' ? { ...r, evidence } : r)) };
    const res = await issue({ assessment: failing, formats: ['vc+jwt'] });
    expect(res.status, await res.clone().text()).toBe(201);
    const out = (await res.json()) as { valid_from: string; valid_until: string };
    expect(new Date(out.valid_until).getTime() - new Date(out.valid_from).getTime()).toBe(90 * DAY);
  });

  it('ignores the evidence of a control the profile marks as not time-bound', async () => {
    const own = tenantProfile('acme-timeless', '1.0.0');
    const control = own.sections[0]!.controls[0]!;
    const profile = {
      ...own,
      evidenceMaxAgeDays: 30,
      sections: [
        {
          ...own.sections[0]!,
          controls: [control, { ...control, id: 'core.design', title: 'A design decision', timeBound: false, strict: false }],
        },
      ],
    };
    expect((await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: profile })).status).toBe(201);
    const evidence = readinessAssessment().results[0]!.evidence!;
    const assessment = {
      profile: { id: profile.id, version: profile.version },
      subject: { organisation: 'Acme Corp', product: 'Acme Edge', productionUrl: 'https://edge.acme.example' },
      results: [
        { control: 'core.only', status: 'pass', evidence: evidence.map((e) => ({ ...e, expiresAt: day(40) })) },
        { control: 'core.design', status: 'pass', evidence: evidence.map((e) => ({ ...e, expiresAt: day(2) })) },
      ],
    };
    const res = await issue({ assessment, formats: ['vc+jwt'] });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as { valid_until: string }).valid_until).toBe(day(40));
  });
});
