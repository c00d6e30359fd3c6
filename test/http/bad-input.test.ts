import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { activeKid, expectProblem, storedState } from './helpers.ts';

const BODY_LIMIT = 1024;
const VALID_POLICY = { algorithm: 'ES256', rotationPeriodDays: 30, maxCredentialValidityDays: 60, retiredPublishDays: 90 };

/**
 * Whatever a caller sends, a wrong request gets a precise RFC 9457 answer and changes nothing:
 * each test compares every stored row before and after.
 */
describe.each(engines())('bad input on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, { env: { BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'Tenant a' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  /** Runs `fn` and asserts no stored row was added, removed or changed by it. */
  async function changesNothing(fn: () => Promise<void>) {
    const before = await storedState(t.db);
    await fn();
    expect(await storedState(t.db)).toEqual(before);
  }

  /** A request with exactly the given body bytes and headers, as a server would hand it over. */
  const raw = (method: string, path: string, body: BodyInit | null, headers: Record<string, string>) =>
    Promise.resolve(
      h.app.fetch(
        new Request(`${ORIGIN}${path}`, {
          method,
          body,
          headers: { authorization: `Bearer ${h.adminToken}`, ...headers },
          duplex: 'half',
        } as RequestInit),
        {
          db: t.db,
        },
      ),
    );

  it.each([
    ['POST', '/v1/tenants', '{"id": "x", "name": '],
    ['POST', '/v1/tenants', "{'id': 'x'}"],
    ['PUT', '/v1/t/a/key-policy', '{"algorithm": "ES256",}'],
    ['POST', '/v1/t/a/api-keys', '["unterminated'],
  ])('%s %s with a body that is not JSON answers 400 malformed_json', (method, path, body) =>
    changesNothing(async () => {
      await expectProblem(await h.request(method, path, { token: h.adminToken, body }), 400, 'malformed_json');
    }),
  );

  it.each<[string, string, string, unknown, string[]]>([
    ['a number for a string', 'POST', '/v1/tenants', { id: 5, name: 'x' }, ['/id']],
    ['a missing name', 'POST', '/v1/tenants', { id: 'fine' }, ['/name']],
    ['a blank name', 'POST', '/v1/tenants', { id: 'fine', name: '   ' }, ['/name']],
    ['an unknown member', 'POST', '/v1/tenants', { id: 'fine', name: 'x', owner: 'me' }, ['/owner']],
    ['two unknown members', 'POST', '/v1/tenants', { id: 'fine', name: 'x', a: 1, b: 2 }, ['/a', '/b']],
    [
      'an unknown member deep inside',
      'POST',
      '/v1/tenants',
      { id: 'fine', name: 'x', key_policy: { ...VALID_POLICY, hsm: true } },
      ['/key_policy/hsm'],
    ],
    ['an unknown member whose name needs escaping', 'POST', '/v1/tenants', { id: 'fine', name: 'x', 'a/b~c': 1 }, ['/a~1b~0c']],
    ['an array instead of an object', 'POST', '/v1/tenants', [], ['']],
    ['an unknown role', 'POST', '/v1/t/a/api-keys', { roles: ['root'] }, ['/roles/0']],
    ['the second role unknown', 'POST', '/v1/t/a/api-keys', { roles: ['auditor', 'god'] }, ['/roles/1']],
    ['no roles at all', 'POST', '/v1/t/a/api-keys', { roles: [] }, ['/roles']],
    ['an unsupported algorithm', 'PUT', '/v1/t/a/key-policy', { ...VALID_POLICY, algorithm: 'RS256' }, ['/algorithm']],
    ['a fractional period', 'PUT', '/v1/t/a/key-policy', { ...VALID_POLICY, rotationPeriodDays: 1.5 }, ['/rotationPeriodDays']],
    [
      'keys retired before their credentials expire',
      'PUT',
      '/v1/t/a/key-policy',
      { ...VALID_POLICY, retiredPublishDays: 10 },
      ['/retiredPublishDays'],
    ],
    ['a revocation without a reason', 'POST', '/v1/t/a/keys/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/revoke', {}, ['/reason']],
  ])('%s answers 400 invalid_request pointing at the member', (_why, method, path, body, pointers) =>
    changesNothing(async () => {
      const problem = await expectProblem(await h.request(method, path, { token: h.adminToken, body }), 400, 'invalid_request');
      expect(problem.errors?.map((e) => e.pointer).sort()).toEqual(pointers);
      for (const e of problem.errors ?? []) expect(e.detail).toEqual(expect.any(String));
    }),
  );

  it('names a malformed path parameter in its problem', () =>
    changesNothing(async () => {
      const problem = await expectProblem(
        await h.request('POST', '/v1/t/a/keys/not-a-kid/revoke', { token: h.adminToken, body: { reason: 'x' } }),
        400,
        'invalid_request',
      );
      expect(problem.errors?.map((e) => e.pointer)).toEqual([expect.stringMatching(/\/kid$/)]);
    }));

  it.each(['UPPER', '-leading', 'trailing-', '_platform', 'a'.repeat(64), 'a:b', 'a%3Ab', 'ä', '', 'a b'])(
    'refuses the tenant id %j with 400 at /id',
    (id) =>
      changesNothing(async () => {
        const problem = await expectProblem(
          await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: 'x' } }),
          400,
          'invalid_request',
        );
        expect(problem.errors?.map((e) => e.pointer)).toEqual(['/id']);
      }),
  );

  it('accepts the longest tenant id the pattern allows (the refusals above are not blanket)', async () => {
    const res = await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: `z${'9'.repeat(62)}`, name: 'Longest' } });
    expect(res.status).toBe(201);
  });

  it('refuses a tenant that already exists with 409 tenant_exists, keeping the original', () =>
    changesNothing(async () => {
      await expectProblem(
        await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'Impostor' } }),
        409,
        'tenant_exists',
      );
    }));

  it('refuses to revoke a signing key twice with 409, and an unknown key or API key with 404', async () => {
    const kid = await activeKid(t.db, 'a');
    expect((await h.request('POST', `/v1/t/a/keys/${kid}/revoke`, { token: h.adminToken, body: { reason: 'compromised' } })).status).toBe(
      200,
    );
    await changesNothing(async () => {
      await expectProblem(
        await h.request('POST', `/v1/t/a/keys/${kid}/revoke`, { token: h.adminToken, body: { reason: 'again' } }),
        409,
        'key_state_conflict',
      );
      await expectProblem(
        await h.request('POST', `/v1/t/a/keys/${'A'.repeat(43)}/revoke`, { token: h.adminToken, body: { reason: 'x' } }),
        404,
        'key_not_found',
      );
      await expectProblem(
        await h.request('POST', `/v1/t/a/api-keys/${'A'.repeat(16)}/revoke`, { token: h.adminToken }),
        404,
        'api_key_not_found',
      );
    });
  });

  it.each([
    ['text/plain', 'POST', '/v1/tenants'],
    ['application/x-www-form-urlencoded', 'POST', '/v1/tenants'],
    ['multipart/form-data; boundary=x', 'PUT', '/v1/t/a/key-policy'],
    ['text/plain', 'POST', '/v1/t/a/keys/rotate'],
  ])('refuses a %s body on %s %s with 415 unsupported_media_type', (contentType, method, path) =>
    changesNothing(async () => {
      const body = JSON.stringify(path.endsWith('key-policy') ? VALID_POLICY : { id: 'sneaky', name: 'x' });
      // As a server hands it over: with its length, and as a stream without one.
      await expectProblem(
        await raw(method, path, body, { 'content-type': contentType, 'content-length': String(body.length) }),
        415,
        'unsupported_media_type',
      );
      if (!path.endsWith('rotate')) {
        const stream = new Blob([body]).stream();
        await expectProblem(await raw(method, path, stream, { 'content-type': contentType }), 415, 'unsupported_media_type');
      }
    }),
  );

  describe(`a body over BODY_LIMIT_BYTES (${BODY_LIMIT})`, () => {
    const big = JSON.stringify({ id: 'big', name: 'x'.repeat(BODY_LIMIT * 2) });
    const chunks = (text: string, size: number) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          const bytes = new TextEncoder().encode(text);
          for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
          c.close();
        },
      });

    it('is refused with 413 payload_too_large when it declares its length', () =>
      changesNothing(async () => {
        await expectProblem(
          await raw('POST', '/v1/tenants', big, { 'content-type': 'application/json', 'content-length': String(big.length) }),
          413,
          'payload_too_large',
        );
      }));

    it('is refused with 413 when it is streamed in chunks without a length', () =>
      changesNothing(async () => {
        await expectProblem(
          await raw('POST', '/v1/tenants', chunks(big, 256), { 'content-type': 'application/json' }),
          413,
          'payload_too_large',
        );
        await expectProblem(
          await raw('POST', '/v1/tenants', chunks(big, 256), { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
          413,
          'payload_too_large',
        );
      }));

    it('is judged by its size, not refused wholesale: a body just under the limit reaches validation', () =>
      changesNothing(async () => {
        const under = JSON.stringify({ id: 'UNDER', name: 'x'.repeat(BODY_LIMIT - 40) });
        expect(under.length).toBeLessThanOrEqual(BODY_LIMIT);
        await expectProblem(
          await raw('POST', '/v1/tenants', chunks(under, 100), { 'content-type': 'application/json' }),
          400,
          'invalid_request',
        );
      }));
  });

  it.each([
    ['GET', '/v1/nothing-here'],
    ['GET', '/t/a/unknown.json'],
    ['DELETE', '/v1/tenants/a/nothing-here'],
    ['GET', '/.well-known/openid-configuration-not'],
  ])('answers %s %s with 404 not_found', (method, path) =>
    changesNothing(async () => {
      await expectProblem(await h.request(method, path, { token: h.adminToken }), 404, 'not_found');
    }),
  );
});
