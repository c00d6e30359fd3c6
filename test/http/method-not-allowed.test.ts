/**
 * Issue 11, defect 13: a method a route does not serve answered 404, as if the resource did not
 * exist. It is 405 with `Allow` naming what the resource does serve (RFC 9110 §15.5.6), derived
 * from the routes themselves, for every route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem } from './helpers.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('405 Method Not Allowed', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
  });
  afterAll(() => t.dispose());

  const allowOf = (res: Response) =>
    (res.headers.get('allow') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);

  it('answers GET on a POST-only route with 405 and Allow, not 404', async () => {
    const res = await h.request('GET', '/t/acme/token');
    expect(allowOf(res).sort()).toEqual(['OPTIONS', 'POST']);
    await expectProblem(res, 405, 'method_not_allowed');

    const operator = await h.request('GET', '/v1/t/acme/offers');
    expect(allowOf(operator)).toEqual(['POST']);
    await expectProblem(operator, 405, 'method_not_allowed');
  });

  it('lists HEAD wherever GET is served, and OPTIONS where the CORS policy answers it', async () => {
    expect(allowOf(await h.request('DELETE', '/healthz')).sort()).toEqual(['GET', 'HEAD']);
    expect(allowOf(await h.request('POST', '/t/acme/offers/some-ref')).sort()).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(allowOf(await h.request('DELETE', '/v1/t/acme/key-policy')).sort()).toEqual(['GET', 'HEAD', 'PUT']);
  });

  it('still answers 404 for a path no route has, and when the route serves the method but has no such resource', async () => {
    await expectProblem(await h.request('GET', '/schemas/nope.schema.json'), 404, 'not_found');
    await expectProblem(await h.request('GET', '/no/such/thing'), 404, 'not_found');
    await expectProblem(await h.request('POST', '/v1/t/acme/nothing-here'), 404, 'not_found');
  });

  it('every registered route answers a method it does not serve with 405, its Allow listing the methods it does', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const r of h.app.routes) {
      if (r.method === 'ALL') continue;
      const set = byPath.get(r.path) ?? new Set<string>();
      set.add(r.method);
      byPath.set(r.path, set);
    }
    expect(byPath.size).toBeGreaterThan(40);
    for (const [path, served] of byPath) {
      // A wildcard (the log's tile paths) stands for any rest of the path.
      const concrete = path.replace(':tenant', 'acme').replace(/:\w+/g, 'x1').replace(/\*$/, 'x1');
      // A method served by another route on the same concrete path (e.g. GET …/credentials/:id
      // against POST …/credentials/revoke) is no 405; pick one nobody serves there.
      const other = METHODS.find(
        (m) =>
          ![...byPath].some(
            ([p, ms]) =>
              ms.has(m) && new RegExp(`^${p.replace(/:\w+/g, '[^/]+').replace(/\./g, '\\.').replace(/\*$/, '.*')}$`).test(concrete),
          ),
      );
      if (!other) continue;
      const res = await h.request(other, concrete);
      expect(res.status, `${other} ${concrete}`).toBe(405);
      for (const m of served) expect(allowOf(res), `${other} ${concrete}`).toContain(m);
      if (served.has('GET')) expect(allowOf(res)).toContain('HEAD');
      expect(allowOf(res)).not.toContain(other);
    }
  });
});
