/**
 * Issue 11, defect 13: 401 and 403 answers named neither the role that was missing nor the
 * tenant, and the OID4VCI credential endpoint put `error="invalid_token"` in the challenge of a
 * request that carried no token at all (RFC 6750 §3.1: no error code then). The texts name the
 * role(s) and the tenant, yet an unauthenticated caller learns nothing it did not send: the 401
 * reads the same for a tenant that exists and for one that does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem } from './helpers.ts';

describe('what a 401 or 403 says', () => {
  let t: TestDatabase;
  let h: Harness;
  let auditorOfA: string;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    for (const id of ['a', 'b']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    }
    const res = await h.request('POST', '/v1/t/a/api-keys', { token: h.adminToken, body: { roles: ['auditor'], label: 'auditor' } });
    auditorOfA = ((await res.json()) as { token: string }).token;
  });
  afterAll(() => t.dispose());

  it('401 names the role and the tenant the operation needs, in the same words whether or not the tenant exists', async () => {
    const existing = await expectProblem(await h.request('POST', '/v1/t/a/keys/rotate'), 401, 'unauthenticated');
    expect(existing.detail).toBe(
      'POST /v1/t/a/keys/rotate needs a bearer credential (an API key or an operator token) with the role keys, for tenant a.',
    );
    const missing = await expectProblem(await h.request('POST', '/v1/t/nosuch/keys/rotate'), 401, 'unauthenticated');
    expect(missing.detail).toBe(existing.detail!.replaceAll('/t/a/', '/t/nosuch/').replace('tenant a.', 'tenant nosuch.'));
    const unknownKey = await expectProblem(
      await h.request('POST', '/v1/t/nosuch/keys/rotate', { token: `lp_${'Q'.repeat(16)}_${'x'.repeat(43)}` }),
      401,
      'unauthenticated',
    );
    expect(unknownKey.detail).toMatch(/^The bearer credential was not accepted \(unknown, revoked or expired\)\. /);
    expect(unknownKey.detail).toContain('with the role keys, for tenant nosuch.');
  });

  it('403 names the missing role and the tenant, or the tenant the credential may not act on', async () => {
    const role = await expectProblem(await h.request('POST', '/v1/t/a/keys/rotate', { token: auditorOfA }), 403, 'forbidden');
    expect(role.detail).toBe('POST /v1/t/a/keys/rotate needs the role keys, for tenant a; this credential has the role auditor.');
    const tenant = await expectProblem(await h.request('GET', '/v1/t/b/keys', { token: auditorOfA }), 403, 'forbidden');
    expect(tenant.detail).toBe('This credential is of tenant a and may not act on tenant b.');
    const platform = await expectProblem(await h.request('GET', '/v1/tenants', { token: auditorOfA }), 403, 'forbidden');
    expect(platform.detail).toMatch(/needs .*role admin/);
  });

  it('the OID4VCI credential endpoint challenges a request without a token with a bare Bearer, no error code', async () => {
    const none = await h.request('POST', '/t/a/credential', { body: { credential_configuration_id: 'launch_readiness_sd_jwt' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await h.request('POST', '/t/a/credential', {
      body: { credential_configuration_id: 'launch_readiness_sd_jwt' },
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});
