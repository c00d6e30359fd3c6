import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { ROLES } from '../../src/auth/principal.ts';
import { PLATFORM_TENANT_ID } from '../../src/tenants/tenant-id.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import {
  activeKid,
  allTenants,
  documentedOperations,
  expectProblem,
  fillPath,
  servedRoutes,
  tenantState,
  validBody,
  type Operation,
  readinessAssessment,
  type Problem,
} from './helpers.ts';

/**
 * A key of tenant A can never touch tenant B. The routes are read from /openapi.json (and
 * checked against what the app actually serves), so a route added later is swept too.
 */
describe.each(engines())('tenant isolation on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let operations: Operation[];
  /** Tenant a's key holding every role there is: only the tenant boundary can stop it. */
  let keyOfA: string;
  /** A platform key holding every role: it may act on any tenant that exists. */
  let platformKey: string;
  type Ids = { kid: string; id: string; credential: string; attestation: string; share: string; export: string; webhook: string };
  const none: Ids = { kid: '', id: '', credential: '', attestation: '', share: '', export: '', webhook: '' };
  const params: Record<'a' | 'b', Ids> = { a: none, b: none };

  const mint = async (tenant: string, roles: readonly string[]) => {
    const res = await h.request('POST', `/v1/t/${tenant}/api-keys`, { token: h.adminToken, body: { roles } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; token: string };
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    for (const id of ['a', 'b']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    }
    keyOfA = (await mint('a', ROLES)).token;
    for (const tenant of ['a', 'b'] as const) {
      const issuer = await mint(tenant, ['issuer']);
      const issued = await h.request('POST', `/v1/t/${tenant}/attestations`, {
        token: issuer.token,
        body: { assessment: readinessAssessment(), formats: ['jwt_vc_json'] },
      });
      expect(issued.status).toBe(201);
      const body = (await issued.json()) as { attestation_id: string; credentials: { id: string }[] };
      const shared = await h.request('POST', `/v1/t/${tenant}/attestations/${body.attestation_id}/shares`, {
        token: issuer.token,
        body: { reveal: [], expires_at: '2026-03-01T00:00:00Z' },
      });
      expect(shared.status, await shared.clone().text()).toBe(201);
      const exported = await h.request('POST', `/v1/t/${tenant}/audit-exports`, {
        token: (await mint(tenant, ['auditor'])).token,
        body: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'json' },
      });
      expect(exported.status, await exported.clone().text()).toBe(202);
      const hook = await h.request('POST', `/v1/t/${tenant}/webhooks`, {
        token: h.adminToken,
        body: { url: `https://hooks.example.com/${tenant}`, event_types: ['key.revoked'] },
      });
      expect(hook.status, await hook.clone().text()).toBe(201);
      params[tenant] = {
        webhook: ((await hook.json()) as { id: string }).id,
        export: ((await exported.json()) as { id: string }).id,
        kid: await activeKid(t.db, tenant),
        id: issuer.id,
        credential: body.credentials[0]!.id,
        attestation: body.attestation_id,
        share: ((await shared.json()) as { id: string }).id,
      };
    }
    platformKey = (await createApiKey({ db: t.db, now: h.clock(), actor: 'test' }, { tenantId: PLATFORM_TENANT_ID, roles: ROLES })).token;

    const doc = (await (await h.request('GET', '/openapi.json')).json()) as Parameters<typeof documentedOperations>[0];
    operations = documentedOperations(doc).filter((op) => op.path.startsWith('/v1/') && op.path.includes('{tenant}'));
  });
  afterAll(() => t.dispose());

  /** Sends every tenant-scoped operation at `tenant` with `token`; answers status and code per route. */
  async function sweep(token: string, tenant: string, ids: Ids) {
    const out: { route: string; status: number; code?: string; problem?: Problem }[] = [];
    for (const op of operations) {
      const path = fillPath(op.path, { tenant, ...ids });
      const res = await h.request(op.method, path, { token, body: validBody(op, `${tenant}-${out.length}`, { ...ids }) });
      const route = `${op.method} ${op.path}`;
      if (res.status >= 400) {
        const problem = await expectProblem(
          res,
          res.status,
          res.status === 403 ? 'forbidden' : ((await res.clone().json()) as Problem).code,
        );
        out.push({ route, status: res.status, code: problem.code, problem });
      } else {
        await res.body?.cancel();
        out.push({ route, status: res.status });
      }
    }
    return out;
  }
  const statusAndCode = (rows: Awaited<ReturnType<typeof sweep>>) => rows.map(({ route, status, code }) => ({ route, status, code }));
  const everyRouteAnswers = (status: number, code: string) => operations.map((op) => ({ route: `${op.method} ${op.path}`, status, code }));

  it('sweeps every tenant-scoped operator route the app serves', () => {
    const documented = operations.map((op) => `${op.method} ${op.path}`).sort();
    const served = servedRoutes(h.app).filter((r) => r.split(' ')[1]!.startsWith('/v1/') && r.includes('{tenant}'));
    expect(documented).toEqual(served);
    // The routes this suite was written against; more may come, none may vanish unnoticed.
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /v1/t/{tenant}/keys/rotate',
        'POST /v1/t/{tenant}/api-keys',
        'GET /v1/tenants/{tenant}',
        'GET /v1/t/{tenant}/attestations',
        'GET /v1/t/{tenant}/attestations/{attestation}',
        'PATCH /v1/t/{tenant}/attestations/{attestation}/status',
        'POST /v1/t/{tenant}/attestations/{attestation}/shares',
        'GET /v1/t/{tenant}/attestations/{attestation}/shares',
        'DELETE /v1/t/{tenant}/attestations/{attestation}/shares/{share}',
      ]),
    );
  });

  it('refuses tenant a’s all-roles key on every route of tenant b with 403 forbidden, and b is left untouched', async () => {
    const before = await tenantState(t.db, 'b');
    expect(before.signing_keys?.length ?? 0).toBeGreaterThan(0);
    expect(before.api_keys?.length ?? 0).toBeGreaterThan(0);
    expect(before.audit_events?.length ?? 0).toBeGreaterThan(0);

    const results = await sweep(keyOfA, 'b', params.b);

    expect(statusAndCode(results)).toEqual(everyRouteAnswers(403, 'forbidden'));
    expect(await tenantState(t.db, 'b')).toEqual(before);
  });

  it('refuses tenant a’s key on a tenant that does not exist with the same 403, so a key learns nothing about other tenants', async () => {
    const onB = await sweep(keyOfA, 'b', params.b);
    const onNothing = await sweep(keyOfA, 'no-such-tenant', params.b);
    expect(statusAndCode(onNothing)).toEqual(everyRouteAnswers(403, 'forbidden'));
    // The detail names the tenant asked for (the caller's own words) and nothing else that differs.
    const strip = (rows: typeof onB, tenant: string) =>
      rows.map((r) => ({
        ...r.problem,
        request_id: undefined,
        detail: r.problem?.detail?.replaceAll(`tenant ${tenant}`, 'tenant {tenant}'),
      }));
    expect(strip(onNothing, 'no-such-tenant')).toEqual(strip(onB, 'b'));
  });

  it('refuses tenant a’s key on the platform’s own keys and API keys', async () => {
    const before = await tenantState(t.db, PLATFORM_TENANT_ID);
    const results = await sweep(keyOfA, PLATFORM_TENANT_ID, params.b);
    expect(statusAndCode(results)).toEqual(everyRouteAnswers(403, 'forbidden'));
    expect(await tenantState(t.db, PLATFORM_TENANT_ID)).toEqual(before);
  });

  it('tells a platform admin that a tenant does not exist: 404 tenant_not_found on every route', async () => {
    const results = await sweep(platformKey, 'no-such-tenant', params.b);
    expect(statusAndCode(results)).toEqual(everyRouteAnswers(404, 'tenant_not_found'));
  });

  it('refuses a tenant key on the platform-only tenant list and tenant creation', async () => {
    const tenantsBefore = await allTenants(t.db, (tx) => tx.query('select id from tenants order by id'));
    await expectProblem(await h.request('GET', '/v1/tenants', { token: keyOfA }), 403, 'forbidden');
    await expectProblem(await h.request('POST', '/v1/tenants', { token: keyOfA, body: { id: 'c', name: 'Tenant c' } }), 403, 'forbidden');
    expect(await allTenants(t.db, (tx) => tx.query('select id from tenants order by id'))).toEqual(tenantsBefore);
  });

  // The control: the same requests by the same key succeed on its own tenant, so the refusals
  // above come from the tenant boundary and not from a body, role or parameter being wrong.
  it('lets tenant a’s key do every one of those operations on tenant a itself', async () => {
    const results = await sweep(keyOfA, 'a', params.a);
    for (const r of results) expect(r.status, `${r.route} answered ${r.status} ${r.code ?? ''}`).toBeLessThan(300);
    expect(results.map((r) => r.route)).toEqual(operations.map((op) => `${op.method} ${op.path}`));
  });
});
