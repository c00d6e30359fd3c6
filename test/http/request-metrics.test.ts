import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricEvent, Metrics } from '../../src/metrics/port.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { readinessAssessment } from './helpers.ts';

/** What the core reports through the metrics port, on the real app over a real database. */
describe('metrics the app reports', () => {
  let t: TestDatabase;
  let h: Harness;
  const events: MetricEvent[] = [];
  const recorder: Metrics = { record: (e) => void events.push(e) };
  const since = (mark: number) => events.slice(mark);
  const requests = (mark: number) => since(mark).filter((e) => e.kind === 'http_request');

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { metrics: recorder, env: { VERIFY_RATE_LIMIT_PER_MINUTE: '2' } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('labels a request by its route template, never by the path it asked for', async () => {
    const mark = events.length;
    await h.request('GET', '/t/acme/jwks.json');
    await h.request('GET', '/s/not-a-real-share-token');
    await h.request('GET', '/no/such/path/at/all');
    expect(requests(mark).map((e) => [e.route, e.status])).toEqual([
      ['/t/:tenant/jwks.json', 200],
      ['/s/:token', 404],
      ['unmatched', 404],
    ]);
    expect(JSON.stringify(since(mark))).not.toContain('not-a-real-share-token');
  });

  it('counts a request whose client went away as 499, not as the 5xx or 2xx it would have been', async () => {
    const mark = events.length;
    const gone = new AbortController();
    gone.abort();
    await h.app.fetch(new Request(`${ORIGIN}/t/acme/did.json`, { signal: gone.signal }), h.bindings);
    expect(requests(mark).map((e) => e.status)).toEqual([499]);
  });

  it('keeps a 5xx a 5xx though the client went away meanwhile (a proxy that gave up on an outage)', async () => {
    const mark = events.length;
    const gone = new AbortController();
    gone.abort();
    const failing = () => Promise.reject(new Error('the database went away'));
    const db = { ...h.bindings.db, query: failing, exec: failing, transaction: failing };
    // As on Node, where the entry point says whether the request's body came whole (it did). A
    // tenant no request has read yet: what is in memory would be served without the database.
    const res = await h.app.fetch(new Request(`${ORIGIN}/t/never-read/did.json`, { signal: gone.signal }), {
      ...h.bindings,
      db,
      clientGone: () => false,
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(requests(mark).map((e) => e.status)).toEqual([res.status]);
  });

  it('counts refusals by problem code, and 429 rate_limited as a rate-limit refusal whoever refused', async () => {
    const mark = events.length;
    // Until the limiter refuses (other public routes share its budget): then exactly one refusal.
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 10) {
      statuses.push((await h.request('POST', '/v1/verify', { body: { credential: 'eyJhbGciOiJub25lIn0.e30.' } })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(since(mark).filter((e) => e.kind === 'rate_limited')).toEqual([{ kind: 'rate_limited', route: '/v1/verify' }]);
    expect(since(mark).filter((e) => e.kind === 'http_problem')).toEqual([
      { kind: 'http_problem', route: '/v1/verify', code: 'rate_limited' },
    ]);
    const outcomes = since(mark).flatMap((e) => (e.kind === 'verified' ? [`${e.outcome}/${e.reason}`] : []));
    expect(outcomes).toEqual(statuses.slice(0, -1).map(() => expect.stringMatching(/^not_verified\/[a-z_]+$/)));
  });

  it('counts each issued credential by format and tenant once, and not an idempotent replay', async () => {
    const mark = events.length;
    const body = { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] };
    const headers = { 'idempotency-key': 'metrics-once' };
    expect((await h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body, headers })).status).toBe(201);
    const replay = await h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body, headers });
    expect(replay.status).toBeLessThan(300);
    expect(since(mark).filter((e) => e.kind === 'issued')).toEqual([
      { kind: 'issued', format: 'vc+jwt', tenant: 'acme' },
      { kind: 'issued', format: 'dc+sd-jwt', tenant: 'acme' },
    ]);
  });

  it('counts status changes, rotations, and a signing failure when the tenant has no key to sign with', async () => {
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    const id = ((await issued.json()) as { credentials: { id: string }[] }).credentials[0]!.id.replace(/^urn:uuid:/, '');
    const mark = events.length;
    const path = `/v1/t/acme/credentials/${id}/status`;
    expect((await h.request('PATCH', path, { token: h.adminToken, body: { status: 'suspended', reason: 'check' } })).status).toBe(200);
    expect((await h.request('PATCH', path, { token: h.adminToken, body: { status: 'suspended', reason: 'again' } })).status).toBe(200);
    expect((await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken })).status).toBe(200);
    expect(since(mark).filter((e) => e.kind === 'status_changed' || e.kind === 'key_rotated')).toEqual([
      { kind: 'status_changed', to: 'suspended' },
      { kind: 'key_rotated', trigger: 'requested' },
    ]);

    // Every key of the tenant gone from under it (as after a restore without its keys).
    await h.db.transaction(async (tx) => {
      await tx.query(`select set_config('app.tenant_id', 'acme', true)`);
      await tx.query(`update signing_keys set revoked_at = $2, revocation_reason = 'test' where tenant_id = $1 and revoked_at is null`, [
        'acme',
        h.clock(),
      ]);
    });
    const before = events.length;
    const refused = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    expect(refused.status).toBe(503);
    expect(since(before).filter((e) => e.kind === 'signing_failed')).toEqual([{ kind: 'signing_failed', operation: 'request' }]);
  });
});
