import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assessment } from '../../src/readiness/assessment.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { allTenants, readinessAssessment } from '../http/helpers.ts';
import { accessToken, credentialRequest, expectOAuthError, holderKey, nonce, offer, proofJwt } from '../oid4vci/setup.ts';

const DAY = 86_400_000;

/** Issue 14's bound holds on the wallet's path too: OID4VCI issues through the same decision of validity. */
describe('evidence expiry bounds a credential a wallet redeems', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const storedWithExpiry = async (expiresAt: Date) => {
    const a = readinessAssessment();
    const assessment: Assessment = {
      ...a,
      results: a.results.map((r) =>
        r.control === 'security.ssrf' ? { ...r, evidence: r.evidence!.map((e) => ({ ...e, expiresAt: expiresAt.toISOString() })) } : r,
      ),
    };
    const res = await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: assessment });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const redeem = async (assessmentId: string) => {
    const o = await offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'] });
    const token = await accessToken(h, o);
    const key = await holderKey();
    const jwt = await proofJwt(h, key, await nonce(h));
    return credentialRequest(h, token, { credential_configuration_id: 'launch_readiness_sd_jwt', proofs: { jwt: [jwt] } });
  };

  it('cuts the default validity to the earliest expiry of a passing control', async () => {
    const expiry = new Date(h.clock().getTime() + 20 * DAY);
    const res = await redeem(await storedWithExpiry(expiry));
    expect(res.status, await res.clone().text()).toBe(200);
    const { credentials } = (await res.json()) as { credentials: { credential: string }[] };
    expect(decodeJwt(credentials[0]!.credential.split('~')[0]!).exp).toBe(expiry.getTime() / 1000);
  });

  // The wallet-facing endpoints answer OAuth-shaped errors (src/oid4vci/oauth-error.ts): a wallet
  // cannot branch on our problem+json. OID4VCI 1.0 §8.3.1.2 names the code for a request the
  // issuer will not grant whatever the wallet does: credential_request_denied.
  it('issues nothing once that evidence has expired, and tells the wallet in its own terms', async () => {
    const id = await storedWithExpiry(new Date(h.clock().getTime() + 60_000));
    h.clock.set(new Date(h.clock().getTime() + 120_000));
    const indexed = async () =>
      (await allTenants(t.db, (tx) => tx.query<{ n: number }>('select count(*)::int as n from evidence_expiries')))[0]!.n;
    const before = await indexed();
    expect(before).toBeGreaterThan(0);
    const res = await redeem(id);
    const body = await expectOAuthError(res, 400, 'credential_request_denied');
    expect(body.error_description).toMatch(/evidence/);
    expect(await indexed()).toBe(before);
  });
});
