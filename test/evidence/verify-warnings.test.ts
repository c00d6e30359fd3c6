import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEnvironment } from '../../src/verify/bundle-environment.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { renderTextReport } from '../../src/verify/report-text.ts';
import { openTrustBundle } from '../../src/verify/trust-bundle.ts';
import { verificationResultToJson } from '../../src/verify/wire.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { readinessAssessment, tenantProfile } from '../http/helpers.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;
/** Far enough past both instants below to clear the 60 s of skew, near enough that the status lists are still current. */
const LATER = 30 * MINUTE;

interface Report {
  verified: boolean;
  checks: { name: string; ok: boolean; code: string; detail?: string }[];
  warnings?: { code: string; control: string; evidence: string; observed_at?: string; expires_at?: string }[];
}

describe('the verify report warns of stale and expired evidence, and never fails for it', () => {
  let t: TestDatabase;
  let h: Harness;
  let start: Date;
  const day = (n: number, minutes = 0) => new Date(start.getTime() + n * DAY + minutes * MINUTE).toISOString();
  let credentials: { format: string; credential: string }[];
  const evidence = () => readinessAssessment().results[0]!.evidence!;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    start = h.clock();
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    // A profile whose freshness rule is 30 days, with one control whose evidence never goes stale.
    const own = tenantProfile('acme-fresh', '1.0.0');
    const control = own.sections[0]!.controls[0]!;
    const profile = {
      ...own,
      evidenceMaxAgeDays: 30,
      sections: [{ ...own.sections[0]!, controls: [control, { ...control, id: 'core.design', timeBound: false, strict: false }] }],
    };
    expect((await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: profile })).status).toBe(201);
    const assessment = {
      profile: { id: profile.id, version: profile.version },
      subject: { organisation: 'Acme Corp', product: 'Acme Edge', productionUrl: 'https://edge.acme.example' },
      results: [
        { control: 'core.only', status: 'pass', evidence: evidence().map((e) => ({ ...e, observedAt: day(-30, 10) })) },
        {
          control: 'core.design',
          status: 'pass',
          evidence: evidence().map((e) => ({
            ...e,
            uri: 'https://evidence.acme.example/design.pdf',
            observedAt: day(-400),
            expiresAt: day(0, 10),
          })),
        },
      ],
    };
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment, formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    credentials = ((await res.json()) as { credentials: { format: string; credential: string }[] }).credentials;
  });
  afterAll(() => t.dispose());

  const online = async (credential: string) => {
    const res = await h.request('POST', '/v1/verify', { body: { credential } });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Report;
  };

  it('says nothing while the evidence is fresh and unexpired', async () => {
    for (const c of credentials) {
      const r = await online(c.credential);
      expect(r.verified, c.format).toBe(true);
      expect(r.warnings, c.format).toBeUndefined();
      expect(
        r.checks.find((k) => k.name === 'evidence'),
        c.format,
      ).toMatchObject({ ok: true, code: 'ok' });
    }
  });

  it('online: warns evidence_stale past the profile rule and evidence_expired past an expiry, still verified', async () => {
    h.clock.set(new Date(start.getTime() + LATER));
    try {
      for (const c of credentials) {
        const r = await online(c.credential);
        expect(r.verified, JSON.stringify(r.checks)).toBe(true);
        expect(
          r.checks.find((k) => k.name === 'evidence'),
          c.format,
        ).toMatchObject({ ok: true, code: 'evidence_expired' });
        // The timeless control's old observation is not stale; its stated expiry is still reported.
        // SD-JWT discloses the results in its own order, and the warnings follow the claims.
        const byCode = [...(r.warnings ?? [])].sort((a, b) => a.code.localeCompare(b.code));
        expect(byCode, c.format).toEqual(
          [
            { code: 'evidence_stale', control: 'core.only', evidence: evidence()[0]!.uri, observed_at: day(-30, 10) },
            {
              code: 'evidence_expired',
              control: 'core.design',
              evidence: 'https://evidence.acme.example/design.pdf',
              observed_at: day(-400),
              expires_at: day(0, 10),
            },
          ].sort((a, b) => a.code.localeCompare(b.code)),
        );
      }
    } finally {
      h.clock.set(start);
    }
  });

  it('offline from the trust bundle: the same warnings, in the text report too', async () => {
    const text = await (await h.request('GET', '/t/acme/trust-bundle.json')).text();
    const { bundle } = await openTrustBundle(text);
    const at = new Date(start.getTime() + LATER);
    for (const c of credentials) {
      const r = await verifyCredential(c.credential, bundleEnvironment(bundle, { at, skewSeconds: 60 }));
      expect(r.verified, c.format).toBe(true);
      expect(
        verificationResultToJson(r)
          .warnings?.map((w) => `${w.code}:${w.control}`)
          .sort(),
        c.format,
      ).toEqual(['evidence_expired:core.design', 'evidence_stale:core.only']);
      const report = renderTextReport(r, { at });
      expect(report).toMatch(/^VERIFIED/);
      expect(report).toContain('✓ evidence');
      expect(report).toContain(`! evidence_stale  core.only: ${evidence()[0]!.uri} (observed ${day(-30, 10)})`);
      expect(report).toContain(`! evidence_expired  core.design: https://evidence.acme.example/design.pdf (expired ${day(0, 10)})`);
    }
  });

  it('VC-API: the warnings are VerificationResult warnings, not errors', async () => {
    const vc = credentials.find((c) => c.format === 'vc+jwt')!.credential;
    h.clock.set(new Date(start.getTime() + LATER));
    try {
      const res = await h.request('POST', '/t/acme/credentials/verify', {
        body: {
          verifiableCredential: {
            '@context': 'https://www.w3.org/ns/credentials/v2',
            type: 'EnvelopedVerifiableCredential',
            id: `data:application/vc+jwt,${vc}`,
          },
        },
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { verified: boolean; warnings: { title: string }[]; errors: unknown[] };
      expect(body.verified).toBe(true);
      expect(body.errors).toEqual([]);
      expect(body.warnings.map((w) => w.title)).toContain('evidence: evidence_expired');
    } finally {
      h.clock.set(start);
    }
  });
});
