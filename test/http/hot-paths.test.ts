import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricEvent } from '../../src/metrics/port.ts';
import { Projection } from '../../src/projection/projection.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment } from './helpers.ts';

/**
 * A read model as `launchproof serve` runs it, on the test's clock: told of every change (here
 * only of this process's own), so nothing it holds goes stale by elapsed time alone. In on-read mode an entry is checked again once
 * the bound passes, and a loaded machine can take longer than that between two requests here.
 */
function asServed(clock: () => Date): Projection {
  const projection = new Projection({ clock });
  projection.mode = 'notified';
  return projection;
}

/** Fields that differ between two answers by design: the request's own id and the count left in the window. */
const PER_REQUEST = new Set(['x-request-id', 'ratelimit']);
const fieldsOf = (res: Response) => Object.fromEntries([...res.headers].filter(([name]) => !PER_REQUEST.has(name)));
const remaining = (res: Response) => Number(/;r=(\d+)/.exec(res.headers.get('ratelimit') ?? '')?.[1]);

/**
 * A public document memory holds is answered before routing (src/http/hot-paths.ts). To its
 * reader nothing may tell the two apart: the same bytes, fields, validators, limits, log line
 * and metrics; and it must never answer what routing would answer differently.
 */
describe('public documents answered from memory before routing', () => {
  let t: TestDatabase;
  let h: Harness;
  const events: MetricEvent[] = [];
  let paths: string[];

  const get = (path: string, headers: Record<string, string> = {}) => h.request('GET', path, { headers });
  const fromMemory = () => events.filter((e) => e.kind === 'answered_from_memory').length;
  const lastRequest = () => events.findLast((e) => e.kind === 'http_request');

  beforeAll(async () => {
    t = await freshPglite();
    const clock = fixedClock();
    h = await harness(t.db, {
      metrics: { record: (e) => events.push(e) },
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '1000' },
      clock,
      projection: asServed(clock),
    });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    const { attestation_id } = (await issued.json()) as { attestation_id: string };
    const record = (await (await h.request('GET', `/v1/t/acme/attestations/${attestation_id}`, { token: h.adminToken })).json()) as {
      status_lists: { token: string; revocation: string; suspension: string }[];
    };
    const lists = record.status_lists.flatMap((l) => [l.token, l.revocation, l.suspension].map((u) => new URL(u).pathname));
    // With a query, so /profiles itself is first routed in the test below.
    const index = (await (await get('/profiles?for=setup')).json()) as { profiles: { url: string }[] };
    paths = [
      '/.well-known/did.json',
      '/.well-known/jwks.json',
      '/.well-known/jwt-vc-issuer',
      '/t/acme/did.json',
      '/t/acme/jwks.json',
      '/.well-known/jwt-vc-issuer/t/acme',
      '/.well-known/openid-credential-issuer/t/acme',
      '/.well-known/oauth-authorization-server/t/acme',
      '/profiles',
      '/t/acme/profiles',
      new URL(index.profiles[0]!.url).pathname,
      '/types/launch-readiness/v1',
      '/.well-known/vct/types/launch-readiness/v1',
      '/contexts/launch-readiness/v1',
      '/schemas/launch-readiness-credential.schema.json',
      ...lists,
    ];
  });
  afterAll(() => t?.dispose());

  it('answers every public document the second time from memory, with what routing answered the first time', async () => {
    for (const path of paths) {
      const before = fromMemory();
      const routed = await get(path);
      expect(routed.status, path).toBe(200);
      const route = lastRequest();
      const logged = h.logLines.length;
      const held = await get(path, { 'x-request-id': 'caller-id.1' });
      expect(fromMemory(), `${path} answered from memory`).toBe(before + 1);
      expect(held.status, path).toBe(200);
      expect(await held.text(), path).toBe(await routed.text());
      expect(fieldsOf(held), path).toEqual(fieldsOf(routed));
      expect(held.headers.get('x-request-id')).toBe('caller-id.1');
      expect(remaining(held), path).toBe(remaining(routed) - 1);
      // The same metrics and the same access-log line as a routed request.
      expect(lastRequest(), path).toMatchObject({ ...route, seconds: expect.any(Number) });
      const line = JSON.parse(h.logLines.slice(logged).find((l) => l.includes('"msg":"request"'))!) as Record<string, unknown>;
      expect(line, path).toMatchObject({ request_id: 'caller-id.1', method: 'GET', path, status: 200 });

      const notModified = await get(path, { 'if-none-match': routed.headers.get('etag')! });
      expect(notModified.status, path).toBe(304);
      expect(await notModified.text()).toBe('');
      const { 'content-type': _type, ...withoutType } = fieldsOf(routed);
      expect(fieldsOf(notModified), path).toEqual(withoutType);
      expect(fromMemory()).toBe(before + 2);
    }
  });

  it('never answers from memory what memory no longer holds: a rotation shows at once, and is then held in turn', async () => {
    const path = '/t/acme/jwks.json';
    const old = await (await get(path)).text();
    await get(path);
    const rotated = await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken });
    expect(rotated.status).toBeLessThan(300);
    const before = fromMemory();
    const fresh = await get(path);
    expect(await fresh.text()).not.toBe(old);
    expect(fromMemory(), 'the first answer after the change was routed').toBe(before);
    expect(await (await get(path)).text()).toBe(await (await get(path)).text());
    expect(fromMemory()).toBe(before + 2);
  });

  it('leaves to routing what it does not hold: queries, HEAD, other methods, unknown tenants and lists', async () => {
    const path = '/t/acme/did.json';
    await get(path);
    await get(path);
    const before = fromMemory();
    expect((await get(`${path}?x=1`)).status).toBe(200);
    expect((await h.request('HEAD', path)).status).toBe(200);
    await expectProblem(await h.request('POST', path), 405, 'method_not_allowed');
    for (let i = 0; i < 2; i++) {
      await expectProblem(await get('/t/nobody/jwks.json'), 404, 'tenant_not_found');
      await expectProblem(await get('/t/acme/status/00000000-0000-4000-8000-000000000000'), 404, 'status_list_not_found');
    }
    expect(fromMemory()).toBe(before);
  });
});

describe('the public rate limit, for answers from memory', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await freshPglite();
  });
  afterAll(() => t?.dispose());

  it('counts them like any other, and leaves the refusal to the middleware', async () => {
    const events: MetricEvent[] = [];
    const clock = fixedClock();
    const h = await harness(t.db, {
      metrics: { record: (e) => events.push(e) },
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '3' },
      clock,
      projection: asServed(clock),
    });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await h.request('GET', '/.well-known/jwks.json'));
    expect(answers.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answers.slice(0, 3).map(remaining)).toEqual([2, 1, 0]);
    expect(events.filter((e) => e.kind === 'answered_from_memory')).toHaveLength(2);
    const refused = await expectProblem(answers[3]!, 429, 'rate_limited');
    expect(refused).toBeDefined();
    expect(answers[3]!.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
