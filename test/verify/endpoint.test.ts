/** POST /v1/verify: public, rate-limited, a 200 report for any credential and a 4xx problem for any non-request. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment } from '../http/helpers.ts';

interface Report {
  verified: boolean;
  format?: string;
  issuer?: string;
  checks: { name: string; ok: boolean; code: string }[];
  status?: { value: string };
  readiness?: { strict_gate_passed: unknown; recomputed: boolean };
}

describe('POST /v1/verify', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '20' } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const verify = (body: unknown, address = '192.0.2.1') =>
    Promise.resolve(
      h.app.fetch(
        new Request('https://issuer.test/v1/verify', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        { ...h.bindings, clientAddress: address },
      ),
    );
  const report = async (body: unknown, address?: string) => {
    const res = await verify(body, address);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return (await res.json()) as Report;
  };

  it('verifies a credential of this deployment without credentials of its own, and reports its revocation', async () => {
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt', 'vc+jwt'] },
    });
    const [sd, vc] = ((await issued.json()) as { credentials: { id: string; credential: string }[] }).credentials;
    for (const c of [sd!, vc!]) {
      const r = await report({ credential: c.credential });
      expect(r).toMatchObject({ verified: true, status: { value: 'valid' }, readiness: { strict_gate_passed: true, recomputed: true } });
    }
    await h.request('PATCH', `/v1/t/acme/credentials/${sd!.id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test' },
    });
    await h.background.settled();
    const revoked = await report({ credential: sd!.credential });
    expect(revoked.verified).toBe(false);
    expect(revoked.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ name: 'status', code: 'revoked' })]);
  });

  it('answers a credential that is not one with a 200 report, and a request that is not one with a 4xx problem', async () => {
    const r = await report({ credential: 'definitely not a credential' });
    expect(r).toMatchObject({ verified: false, checks: [{ name: 'format', ok: false }] });
    await expectProblem(await verify({}), 400, 'invalid_request');
    await expectProblem(await verify({ credential: 'x', extra: 1 }), 400, 'invalid_request');
    await expectProblem(await verify({ credential: 42 }), 400, 'invalid_request');
    const raw = await h.app.fetch(
      new Request('https://issuer.test/v1/verify', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      h.bindings,
    );
    await expectProblem(raw, 415, 'unsupported_media_type');
    await expectProblem(await verify({ credential: 'x'.repeat(400_000) }), 413, 'payload_too_large');
  });

  it('limits each client, not everyone, and says when to come back', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await verify({ credential: 'x' }, '198.51.100.7')).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await verify({ credential: 'x' }, '198.51.100.7');
    await expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await verify({ credential: 'x' }, '198.51.100.8')).status).toBe(200);
    h.clock.set(new Date(h.clock().getTime() + 61_000));
    expect((await verify({ credential: 'x' }, '198.51.100.7')).status).toBe(200);
  });
});
