import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../support/prng.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import {
  activeKid,
  documentedOperations,
  expectProblem,
  fillPath,
  readinessAssessment,
  tenantState,
  validBody,
  type Operation,
} from './helpers.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values a hostile or careless client sends: wrong types, extremes, odd text, deep nesting. */
function hostileValue(rand: () => number, depth = 0): Json {
  const pick = Math.floor(rand() * 14);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return [0, -1, 1e308, -1e-308, 2 ** 53 + 1, 0.5][Math.floor(rand() * 6)]!;
    case 3:
      return '';
    case 4:
      return 'x'.repeat(Math.floor(rand() * 5000));
    case 5:
      return '\u0000\u202e<script>\ud83d\ude00%00../..';
    case 6:
      return 'https://127.0.0.1/evidence.json';
    case 7:
      return 'did:web:localhost%3A22';
    case 8:
      return 'sha256-' + 'A'.repeat(43) + '=';
    case 9:
      return '2026-02-30T25:61:00Z';
    case 10:
      return depth > 6 ? [] : [hostileValue(rand, depth + 1), hostileValue(rand, depth + 1)];
    case 11:
      return depth > 6 ? {} : { [['__proto__', 'constructor', 'a', ''][Math.floor(rand() * 4)]!]: hostileValue(rand, depth + 1) };
    case 12:
      return Array.from({ length: 200 }, () => 1);
    default: {
      let v: Json = 'deep';
      for (let i = 0; i < 200; i++) v = [v];
      return v;
    }
  }
}

/** Every path to a member or element of a JSON value. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

/** A valid body with one place replaced by a hostile value, removed, or a member added. */
function mutate(body: Json, rand: () => number): Json {
  const copy = structuredClone(body);
  const all = paths(copy);
  const path = all[Math.floor(rand() * all.length)]!;
  if (path.length === 0) return hostileValue(rand);
  let parent: Json = copy;
  for (const p of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[p]!;
  const last = path.at(-1)!;
  const container = parent as Record<string | number, Json>;
  const r = rand();
  if (r < 0.2 && !Array.isArray(parent)) delete container[last];
  else if (r < 0.3 && !Array.isArray(parent)) container[`x${Math.floor(rand() * 100)}`] = hostileValue(rand);
  else container[last] = hostileValue(rand);
  return copy;
}

const CASES_PER_ROUTE = 60;

/**
 * "Bad input of any kind gets a clear 4xx problem+json, never a 5xx": every route that takes a
 * JSON body gets valid bodies with one place made hostile, from a fixed seed per route.
 */
describe('hostile request bodies', () => {
  let t: TestDatabase;
  let h: Harness;
  let operations: Operation[];
  let params: Record<string, string>;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'A' } })).status).toBe(201);
    const key = (await (await h.request('POST', '/v1/t/a/api-keys', { token: h.adminToken, body: { roles: ['auditor'] } })).json()) as {
      id: string;
    };
    const issued = (await (
      await h.request('POST', '/v1/t/a/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
      })
    ).json()) as { attestation_id: string; credentials: { id: string }[] };
    const hook = (await (
      await h.request('POST', '/v1/t/a/webhooks', {
        token: h.adminToken,
        body: { url: 'https://hooks.example.com/a', event_types: ['key.revoked'] },
      })
    ).json()) as { id: string };
    // A share link of the attestation, for the buyer's routes under /s/{token}.
    const shared = (await (
      await h.request('POST', `/v1/t/a/attestations/${issued.attestation_id}/shares`, {
        token: h.adminToken,
        body: { expires_at: new Date(h.clock().getTime() + 86_400_000).toISOString() },
      })
    ).json()) as { token: string };
    params = {
      webhook: hook.id,
      tenant: 'a',
      kid: await activeKid(t.db, 'a'),
      id: key.id,
      credential: issued.credentials[0]!.id,
      attestation: issued.attestation_id,
      token: shared.token,
    };
    const doc = (await (await h.request('GET', '/openapi.json')).json()) as Parameters<typeof documentedOperations>[0];
    operations = documentedOperations(doc).filter((op) => op.hasBody && !op.path.includes('/keys/{kid}/revoke'));
  });
  afterAll(() => t.dispose());

  it('refuses a NUL character anywhere in a body with 400 at its member, storing nothing', async () => {
    const before = await tenantState(t.db, 'a');
    for (const [body, pointer] of [
      [{ id: 'nul-tenant', name: 'Acme\u0000Corp' }, '/name'],
      [{ id: 'nul-tenant', name: 'Acme', key_policy: { ['al\u0000g']: 1 } }, '/key_policy/al\u0000g'],
    ] as const) {
      const problem = await expectProblem(await h.request('POST', '/v1/tenants', { token: h.adminToken, body }), 400, 'invalid_request');
      expect(problem.errors).toEqual([{ pointer, detail: 'must not contain the NUL character (U+0000)' }]);
    }
    expect(await tenantState(t.db, 'a')).toEqual(before);
    expect((await h.request('GET', '/v1/tenants/nul-tenant', { token: h.adminToken })).status).toBe(404);
  });

  it('refuses a lone surrogate (text no database can store) anywhere in a body with 400 at its member, storing nothing', async () => {
    const before = await tenantState(t.db, 'a');
    const assessment = readinessAssessment();
    // JSON.stringify writes a lone surrogate as its \u escape, exactly as a careless client sends it.
    for (const [body, pointer] of [
      [{ ...assessment, subject: { ...assessment.subject, organisation: 'Acme\ud800' } }, '/subject/organisation'],
      [{ ...assessment, subject: { ...assessment.subject, product: 'Cloud \udfff end' } }, '/subject/product'],
    ] as const) {
      const res = await h.request('POST', '/v1/t/a/assessments', { token: h.adminToken, body });
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.errors).toEqual([{ pointer, detail: 'must be well-formed Unicode text (a lone surrogate was sent)' }]);
    }
    expect(await tenantState(t.db, 'a')).toEqual(before);
    // A pair is one character, not a lone surrogate.
    const paired = { ...assessment, subject: { ...assessment.subject, organisation: 'Acme \ud83d\ude00' } };
    expect((await h.request('POST', '/v1/t/a/assessments', { token: h.adminToken, body: paired })).status).toBe(201);
  });

  it('refuses a NUL character in the query with 400 and in the path with 404, before any storage', async () => {
    const q = await expectProblem(
      await h.request('GET', '/v1/t/a/credentials?subject=a%00b', { token: h.adminToken }),
      400,
      'invalid_request',
    );
    expect(q.errors).toEqual([{ pointer: '/query/subject', detail: 'must not contain the NUL character (U+0000)' }]);
    await expectProblem(await h.request('GET', '/t/a/profiles/p%00/1.0.0'), 404, 'not_found');
    await expectProblem(await h.request('GET', '/v1/t/a/credentials/%00', { token: h.adminToken }), 404, 'not_found');
  });

  it('refuses a body nested deeper than any request needs with 400 before parsing it, NUL or not, on public and operator routes alike', async () => {
    // 100,000 levels fit in the body limit; walking them recursively overflows the stack.
    const deep = (inner: string) => `${'['.repeat(100_000)}${inner}${']'.repeat(100_000)}`;
    for (const inner of ['"\\u0000"', '1']) {
      for (const [path, token] of [
        ['/v1/verify', undefined],
        ['/v1/tenants', h.adminToken],
      ] as const) {
        const res = await h.request('POST', path, { token, body: deep(inner) });
        const problem = await expectProblem(res, 400, 'invalid_request');
        expect(problem.errors).toEqual([{ pointer: '', detail: 'nests deeper than 64 levels' }]);
      }
    }
    // Strings that hold brackets are text, not nesting.
    const res = await h.request('POST', '/v1/verify', { body: { credential: '['.repeat(1000) } });
    expect(res.status).toBe(200);
  });

  it('answers every mutated body with 2xx or a 4xx problem, never a 5xx', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(6);
    const failures: string[] = [];
    for (const [n, op] of operations.entries()) {
      const rand = prng(0x5eed + n);
      for (let i = 0; i < CASES_PER_ROUTE; i++) {
        const body = mutate(validBody(op, `fz${n}x${i}`, params) as Json, rand);
        const res = await h.request(op.method, fillPath(op.path, params), { token: h.adminToken, body: JSON.stringify(body) });
        const type = res.headers.get('content-type') ?? '';
        if (res.status >= 500 || (res.status >= 400 && !type.startsWith('application/problem+json'))) {
          failures.push(`${op.method} ${op.path} seed ${0x5eed + n} case ${i}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
