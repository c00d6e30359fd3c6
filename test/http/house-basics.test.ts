import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/port.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import {
  activeKid,
  documentedOperations,
  expectProblem,
  fillPath,
  readinessAssessment,
  servedRoutes,
  validBody,
  type Operation,
} from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Schema = {
  $ref?: string;
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
};
type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};

/** A database that is down: every query fails, as a dropped connection would. */
function unreachable(db: Database): Database {
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'));
  return { ...db, query: fail, exec: fail, transaction: fail };
}

/** A buyer's webhook endpoint that answers every subscription challenge; nothing else is reachable. */
async function buyerEndpoint(input: string | URL | Request): Promise<Response> {
  const request = input instanceof Request ? input : new Request(input);
  if (new URL(request.url).hostname !== 'hooks.example.com') throw new Error('no network in tests');
  const { data } = (await request.json()) as { data: { challenge: string } };
  return Response.json({ challenge: data.challenge });
}

describe('house basics', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    // The one remote party a documented body makes the service call: a buyer's endpoint at
    // hooks.example.com, faked at the network edge, answering the subscription challenge.
    h = await harness(t.db, { fetch: buyerEndpoint });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'Tenant a' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const accessLines = () => h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');

  /** One response of each kind the service gives: success, cache hit, preflight, every error family, an outage. */
  async function oneOfEachResponse(app: Harness, db: Database): Promise<[string, Response][]> {
    const etag = (await app.request('GET', '/t/a/did.json')).headers.get('etag') ?? '"none"';
    const broken = (path: string) => Promise.resolve(app.app.fetch(new Request(`${ORIGIN}${path}`), { db: unreachable(db) }));
    return [
      ['200 health', await app.request('GET', '/healthz')],
      ['200 public document', await app.request('GET', '/t/a/did.json')],
      ['304 public document', await app.request('GET', '/t/a/did.json', { headers: { 'if-none-match': etag } })],
      [
        '204 preflight',
        await app.request('OPTIONS', '/t/a/jwks.json', {
          headers: { origin: 'https://x.example', 'access-control-request-method': 'GET' },
        }),
      ],
      ['200 openapi', await app.request('GET', '/openapi.json')],
      ['201 created', await app.request('POST', '/v1/t/a/api-keys', { token: app.adminToken, body: { roles: ['auditor'] } })],
      ['400 malformed', await app.request('POST', '/v1/tenants', { token: app.adminToken, body: '{' })],
      ['401', await app.request('GET', '/v1/tenants')],
      ['404 route', await app.request('GET', '/nowhere')],
      ['404 tenant', await app.request('GET', '/t/nobody/did.json')],
      ['415', await app.request('POST', '/v1/tenants', { token: app.adminToken, body: 'id=x', headers: { 'content-type': 'text/plain' } })],
      ['503 storage down', await broken('/readyz')],
      ['500 storage down mid-request', await broken('/t/a/did.json')],
    ];
  }

  describe('request ids', () => {
    it('generates a fresh UUID when the caller sends none, and logs under it', async () => {
      const ids = await Promise.all([1, 2].map(async () => (await h.request('GET', '/healthz')).headers.get('x-request-id')));
      for (const id of ids) expect(id).toMatch(UUID);
      expect(ids[0]).not.toBe(ids[1]);
      for (const id of ids) expect(accessLines().filter((l) => l.request_id === id)).toHaveLength(1);
    });

    it('passes a plain caller id through to the response, the problem body and the log', async () => {
      const given = 'edge-42.trace:Abc_def';
      const res = await h.request('GET', '/v1/tenants', { headers: { 'x-request-id': given } });
      expect(res.headers.get('x-request-id')).toBe(given);
      expect((await expectProblem(res, 401, 'unauthenticated')).request_id).toBe(given);
      expect(accessLines().filter((l) => l.request_id === given)).toHaveLength(1);
    });

    it.each(['has space', '<script>alert(1)</script>', 'quote"inside', 'semi;colon', 'x'.repeat(129), 'caf\u00e9', 'a/b'])(
      'replaces the caller id %j with its own, which never reaches the log',
      async (odd) => {
        const res = await h.request('GET', '/healthz', { headers: { 'x-request-id': odd } });
        expect(res.headers.get('x-request-id')).toMatch(UUID);
        expect(h.logLines.some((l) => l.includes(JSON.stringify(odd).slice(1, -1)))).toBe(false);
      },
    );
  });

  describe('security headers', () => {
    it('are on every response, whatever its status, and HSTS too when the public URL is https', async () => {
      const responses = await oneOfEachResponse(h, t.db);
      expect(new Set(responses.map(([, r]) => r.status))).toEqual(new Set([200, 201, 204, 304, 400, 401, 404, 415, 500, 503]));
      for (const [kind, res] of responses) {
        expect(res.headers.get('x-content-type-options'), kind).toBe('nosniff');
        expect(res.headers.get('content-security-policy'), kind).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
        expect(res.headers.get('referrer-policy'), kind).toBe('no-referrer');
        expect(res.headers.get('strict-transport-security'), kind).toMatch(/^max-age=[1-9]\d*/);
        await res.body?.cancel();
      }
    });

    it('leave out HSTS when the public URL is plain http, keeping the others', async () => {
      const plain = await freshPglite();
      try {
        const hp = await harness(plain.db, { env: { PUBLIC_URL: 'http://localhost:8080' } });
        expect((await hp.request('POST', '/v1/tenants', { token: hp.adminToken, body: { id: 'a', name: 'Tenant a' } })).status).toBe(201);
        for (const [kind, res] of await oneOfEachResponse(hp, plain.db)) {
          expect(res.headers.get('strict-transport-security'), kind).toBeNull();
          expect(res.headers.get('x-content-type-options'), kind).toBe('nosniff');
          await res.body?.cancel();
        }
      } finally {
        await plain.dispose();
      }
    });
  });

  describe('outages', () => {
    it('answer a failing readiness check with 503 not_ready and keep the cause out of the body', async () => {
      const res = await h.app.fetch(new Request(`${ORIGIN}/readyz`), { db: unreachable(t.db) });
      const text = await res.clone().text();
      await expectProblem(res, 503, 'not_ready');
      expect(text).not.toMatch(/hunter2|ECONNREFUSED|10\.0\.0\.7/);
    });

    it('answer an unexpected failure with a generic 500: the detail goes to the log only', async () => {
      const res = await h.app.fetch(new Request(`${ORIGIN}/t/a/jwks.json`), { db: unreachable(t.db) });
      const text = await res.clone().text();
      const problem = await expectProblem(res, 500, 'internal_error');
      expect(text).not.toMatch(/hunter2|ECONNREFUSED|10\.0\.0\.7/);
      const logged = h.logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.request_id === problem.request_id && l.level === 'error');
      expect(logged).toHaveLength(1);
      expect(String(logged[0]!.detail)).toContain('ECONNREFUSED');
    });
  });

  describe('access log', () => {
    it('writes one JSON line per request: method, path, status and request id', async () => {
      const requests: [string, string, number][] = [
        ['GET', '/healthz', 200],
        ['POST', '/v1/t/a/keys/rotate', 200],
        ['GET', '/t/a/did.json', 200],
        ['GET', '/v1/tenants/nobody', 404],
        ['PUT', '/v1/t/a/key-policy', 400],
      ];
      for (const [i, [method, path, status]] of requests.entries()) {
        const id = `log-test-${i}`;
        const res = await h.request(method, path, {
          token: h.adminToken,
          headers: { 'x-request-id': id },
          ...(method === 'PUT' ? { body: {} } : {}),
        });
        expect(res.status).toBe(status);
        const lines = accessLines().filter((l) => l.request_id === id);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ level: 'info', method, path, status, request_id: id });
      }
    });

    it('logs the path without its query string, where tokens and codes travel', async () => {
      const res = await h.request('GET', '/healthz?token=secret123&code=abc', { headers: { 'x-request-id': 'query-test' } });
      expect(res.status).toBe(200);
      expect(accessLines().find((l) => l.request_id === 'query-test')).toMatchObject({ path: '/healthz' });
      expect(h.logLines.join('\n')).not.toContain('secret123');
    });

    it('never logs an Authorization value, accepted or refused', async () => {
      const jwtLike = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1';
      const bogusKey = `lp_${'Z'.repeat(16)}_${'s'.repeat(43)}`;
      for (const token of [h.adminToken, jwtLike, bogusKey]) {
        await h.request('GET', '/v1/tenants', { token });
        await h.request('POST', '/v1/tenants', { token, body: '{' });
      }
      await h.request('GET', '/v1/tenants', { headers: { authorization: 'Basic dXNlcjpodW50ZXIy' } });
      const log = h.logLines.join('\n');
      for (const secret of [h.adminToken.slice('lp_'.length + 16 + 1), 'c2lnbmF0dXJlLXZhbHVlLTEyMzQ1', 's'.repeat(43), 'dXNlcjpodW50ZXIy'])
        expect(log).not.toContain(secret);
    });
  });

  it('answers GET /healthz with 200 {"status":"ok"}, never cached', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  describe('/openapi.json', () => {
    let doc: OpenApiDocument;
    let operations: Operation[];
    beforeAll(async () => {
      const res = await h.request('GET', '/openapi.json');
      expect(res.status).toBe(200);
      doc = (await res.json()) as OpenApiDocument;
      operations = documentedOperations(doc);
    });

    const resolve = (s: Schema): Schema => (s.$ref ? doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]! : s);
    /** Path parameters that name real things, read afresh: a revocation test consumes its key. */
    const realParams = async () => {
      const created = (await (
        await h.request('POST', '/v1/t/a/api-keys', { token: h.adminToken, body: { roles: ['auditor'] } })
      ).json()) as { id: string };
      const issued = (await (
        await h.request('POST', '/v1/t/a/attestations', {
          token: h.adminToken,
          body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] },
        })
      ).json()) as { attestation_id: string; credentials: { id: string }[] };
      const hook = (await (
        await h.request('POST', '/v1/t/a/webhooks', {
          token: h.adminToken,
          body: { url: 'https://hooks.example.com/doc', event_types: ['key.revoked'] },
        })
      ).json()) as { id: string };
      // A share link of the attestation, for the buyer's routes under /s/{token}.
      const shared = (await (
        await h.request('POST', `/v1/t/a/attestations/${issued.attestation_id}/shares`, {
          token: h.adminToken,
          body: { expires_at: new Date(h.clock().getTime() + 86_400_000).toISOString() },
        })
      ).json()) as { token: string };
      return {
        webhook: hook.id,
        tenant: 'a',
        kid: await activeKid(t.db, 'a'),
        id: created.id,
        credential: issued.credentials[0]!.id,
        attestation: issued.attestation_id,
        token: shared.token,
      };
    };
    const send = (op: Operation, body: unknown, params: Record<string, string>) =>
      h.request(op.method, fillPath(op.path, params), { token: h.adminToken, body });
    const bodyOperations = () => operations.filter((op) => op.hasBody);

    it('is OpenAPI 3.1.0 and documents exactly the routes the app serves', () => {
      expect(doc.openapi).toBe('3.1.0');
      const documented = operations.map((op) => `${op.method} ${op.path}`).sort();
      const served = servedRoutes(h.app).filter((r) => r !== 'GET /openapi.json');
      // A wildcard route (the log's tiles, whose N spans several segments) is documented as the
      // operations under its prefix: at least one each, and none under a prefix nothing serves.
      const wildcards = served.filter((r) => r.endsWith('/*')).map((r) => r.slice(0, -1));
      const underWildcard = (op: string) => wildcards.some((w) => op.startsWith(w));
      for (const w of wildcards)
        expect(
          documented.filter((op) => op.startsWith(w)),
          w,
        ).not.toEqual([]);
      expect(documented.filter((op) => !underWildcard(op))).toEqual(served.filter((r) => !r.endsWith('/*')));
      expect(documented).toEqual(expect.arrayContaining(['GET /healthz', 'GET /t/{tenant}/did.json', 'POST /v1/tenants']));
    });

    it('says CreateTenant requires id and name, and the validator agrees', async () => {
      expect(resolve({ $ref: '#/components/schemas/CreateTenant' }).required).toEqual(expect.arrayContaining(['id', 'name']));
      for (const missing of ['id', 'name']) {
        const body = { id: 'create-check', name: 'x' } as Record<string, unknown>;
        delete body[missing];
        const problem = await expectProblem(await h.request('POST', '/v1/tenants', { token: h.adminToken, body }), 400, 'invalid_request');
        expect(problem.errors?.map((e) => e.pointer)).toEqual([`/${missing}`]);
      }
    });

    it('describes each request body as the validator enforces it: required members, unknown members, types', async () => {
      expect(bodyOperations().length).toBeGreaterThan(0);
      for (const op of bodyOperations()) {
        const where = `${op.method} ${op.path}`;
        const schema = resolve(doc.paths[op.path]![op.method.toLowerCase()]!.requestBody!.content['application/json']!.schema);
        // Only the valid body acts; every other send below is refused before it touches what the parameters name.
        const params = await realParams();
        const valid = validBody(op, `doc${Math.random().toString(36).slice(2, 8)}`, params) as Record<string, unknown>;

        const accepted = await send(op, valid, params);
        expect(accepted.status, `${where} refused its documented valid body: ${await accepted.clone().text()}`).toBeLessThan(300);

        for (const name of schema.required ?? []) {
          const body = { ...valid };
          delete body[name];
          const problem = await expectProblem(await send(op, body, params), 400, 'invalid_request');
          expect(
            problem.errors?.map((e) => e.pointer),
            `${where} without ${name}`,
          ).toContain(`/${name}`);
        }
        if (schema.additionalProperties === false) {
          const problem = await expectProblem(await send(op, { ...valid, not_documented: 1 }, params), 400, 'invalid_request');
          expect(
            problem.errors?.map((e) => e.pointer),
            where,
          ).toEqual(['/not_documented']);
        }
        for (const [name, prop] of Object.entries(schema.properties ?? {})) {
          const types = [resolve(prop).type ?? []].flat();
          if (types.includes('null')) continue;
          const problem = await expectProblem(await send(op, { ...valid, [name]: null }, params), 400, 'invalid_request');
          expect(
            problem.errors?.map((e) => e.pointer),
            `${where} with ${name}: null`,
          ).toEqual([expect.stringMatching(new RegExp(`^/${name}(/|$)`))]);
        }
      }
    });
  });
});
