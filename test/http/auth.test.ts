import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/auth/oidc.ts';
import { engines, freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { activeKid, allTenants, expectProblem, tenantState } from './helpers.ts';

const IDP = 'https://idp.example';
const AUDIENCE = 'launchproof';
const IDP_KID = 'idp-key-1';

/** The operator identity provider at the network edge: discovery and JWKS, nothing else. */
function fakeIdp(publicJwk: JWK) {
  const requested: string[] = [];
  const fetch: FetchLike = async (input) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    requested.push(url);
    const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    if (url === `${IDP}/.well-known/openid-configuration`) return json({ issuer: IDP, jwks_uri: `${IDP}/jwks` });
    if (url === `${IDP}/jwks`) return json({ keys: [{ ...publicJwk, kid: IDP_KID, alg: 'ES256', use: 'sig' }] });
    return new Response('not found', { status: 404 });
  };
  return { fetch, requested };
}

const expectUnauthenticated = async (res: Response) => {
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/i);
  await expectProblem(res, 401, 'unauthenticated');
};

describe.each(engines())('operator authentication on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let idp: ReturnType<typeof fakeIdp>;
  let idpKey: CryptoKey;
  let keysKey: { id: string; token: string };
  let auditorKey: { id: string; token: string };

  const mint = async (tenant: string, roles: string[]) => {
    const res = await h.request('POST', `/v1/t/${tenant}/api-keys`, { token: h.adminToken, body: { roles, label: roles.join(' ') } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; token: string };
  };

  /** A token as the IdP issues it, valid by the service's clock unless the test says otherwise. */
  function idToken(
    claims: JWTPayload,
    options: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string; iss?: string; aud?: string; expIn?: number } = {},
  ) {
    const now = Math.floor(h.clock().getTime() / 1000);
    return new SignJWT({ roles: ['keys'], tenant: 'a', ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? IDP_KID })
      .setIssuer(options.iss ?? IDP)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expIn ?? 600))
      .sign(options.key ?? idpKey);
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    idpKey = pair.privateKey;
    idp = fakeIdp(await exportJWK(pair.publicKey));
    t = await open();
    h = await harness(t.db, { env: { OIDC_ISSUER: IDP, OIDC_AUDIENCE: AUDIENCE }, fetch: idp.fetch });
    for (const id of ['a', 'b']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    }
    keysKey = await mint('a', ['keys']);
    auditorKey = await mint('a', ['auditor']);
  });
  afterAll(() => t.dispose());

  describe('API keys', () => {
    const rotate = (headers: Record<string, string>) => h.request('POST', '/v1/t/a/keys/rotate', { headers });

    it('lets a key with the keys role rotate its tenant’s keys (scheme name in any case)', async () => {
      for (const scheme of ['Bearer', 'bearer']) {
        const before = await activeKid(t.db, 'a');
        const res = await rotate({ authorization: `${scheme} ${keysKey.token}` });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { retired: string }).retired).toBe(before);
        expect(await activeKid(t.db, 'a')).not.toBe(before);
      }
    });

    it('revokes an API key once: revoking it again answers the same record and records no second event', async () => {
      const key = await mint('a', ['auditor']);
      const first = await h.request('POST', `/v1/t/a/api-keys/${key.id}/revoke`, { token: h.adminToken });
      h.clock.advanceDays(1);
      const second = await h.request('POST', `/v1/t/a/api-keys/${key.id}/revoke`, { token: h.adminToken });
      expect(second.status).toBe(200);
      expect(await second.json()).toEqual(await first.json());
      const events = await allTenants(t.db, (tx) =>
        tx.query(`select 1 from audit_events where action = 'api_key.revoked' and target = $1`, [key.id]),
      );
      expect(events).toHaveLength(1);
    });

    it('refuses with 401 and a Bearer challenge every request that does not carry a live key, changing nothing', async () => {
      const revoked = await mint('a', ['keys']);
      expect((await h.request('POST', `/v1/t/a/api-keys/${revoked.id}/revoke`, { token: h.adminToken })).status).toBe(200);
      const [, id, secret] = /^lp_([A-Za-z0-9]{16})_(.+)$/.exec(keysKey.token)!;
      const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
      const randomToken = `lp_${'Q'.repeat(16)}_${'x'.repeat(43)}`;
      const refused: Record<string, Record<string, string>> = {
        'no Authorization header': {},
        'Basic credentials': { authorization: 'Basic dXNlcjpwYXNz' },
        'Bearer with no token': { authorization: 'Bearer' },
        'Bearer with two tokens': { authorization: `Bearer ${keysKey.token} ${keysKey.token}` },
        'the token without a scheme': { authorization: keysKey.token },
        'an unknown lp_ token': { authorization: `Bearer ${randomToken}` },
        'a revoked key': { authorization: `Bearer ${revoked.token}` },
        'one character of the secret flipped': { authorization: `Bearer lp_${id}_${flip(secret!, 10)}` },
        'one character of the id flipped': { authorization: `Bearer lp_${flip(id!, 3)}_${secret}` },
        'the secret truncated': { authorization: `Bearer lp_${id}_${secret!.slice(0, -1)}` },
        'a token that is not a JWT either': { authorization: 'Bearer not-a-token' },
      };
      const before = await tenantState(t.db, 'a');
      for (const [why, headers] of Object.entries(refused)) {
        const res = await rotate(headers);
        expect(res.status, why).toBe(401);
        await expectUnauthenticated(res);
      }
      expect(await tenantState(t.db, 'a')).toEqual(before);
    });

    it('refuses a key without the route’s role with 403 forbidden (an auditor cannot rotate)', async () => {
      const before = await tenantState(t.db, 'a');
      await expectProblem(await h.request('POST', '/v1/t/a/keys/rotate', { token: auditorKey.token }), 403, 'forbidden');
      await expectProblem(
        await h.request('POST', '/v1/t/a/api-keys', { token: keysKey.token, body: { roles: ['admin'] } }),
        403,
        'forbidden',
      );
      expect(await tenantState(t.db, 'a')).toEqual(before);
      // The same auditor key may read: the 403 above is about the role, not the key.
      expect((await h.request('GET', '/v1/t/a/keys', { token: auditorKey.token })).status).toBe(200);
    });

    it('never shows an API key’s secret again: not in lists, not in the database, not in the log', async () => {
      const created = await mint('a', ['auditor']);
      const secret = created.token.split('_').slice(2).join('_');
      expect(secret.length).toBeGreaterThanOrEqual(43);
      // Use it, well and badly, so it has passed through every code path that might log it.
      expect((await h.request('GET', '/v1/t/a/keys', { token: created.token })).status).toBe(200);
      expect((await h.request('GET', '/v1/t/a/keys', { token: `${created.token}x` })).status).toBe(401);

      const list = await h.request('GET', '/v1/t/a/api-keys', { token: h.adminToken });
      const text = await list.text();
      expect(text).toContain(created.id);
      expect(text).not.toContain(secret);
      const row = await allTenants(t.db, (tx) => tx.query('select * from api_keys where id = $1', [created.id]));
      expect(row).toHaveLength(1);
      expect(JSON.stringify(row)).not.toContain(secret);

      const log = h.logLines.join('\n');
      expect(log).toContain(`api_key:${created.id}`);
      expect(log).not.toContain(secret);
      for (const token of [h.adminToken, keysKey.token, auditorKey.token]) expect(log).not.toContain(token.slice('lp_'.length + 16 + 1));
    });
  });

  describe('identity-provider tokens (OIDC)', () => {
    it('lets a token with roles [keys] and tenant a rotate a’s keys, recorded under the token’s subject', async () => {
      const before = await activeKid(t.db, 'a');
      const res = await h.request('POST', '/v1/t/a/keys/rotate', { token: await idToken({}) });
      expect(res.status).toBe(200);
      const after = await activeKid(t.db, 'a');
      expect(after).not.toBe(before);
      const events = await allTenants(t.db, (tx) =>
        tx.query<{ actor: string }>(`select actor from audit_events where tenant_id = 'a' and action = 'key.rotated' and target = $1`, [
          after,
        ]),
      );
      expect(events).toEqual([{ actor: 'oidc:alice' }]);
      expect(new Set(idp.requested)).toEqual(new Set([`${IDP}/.well-known/openid-configuration`, `${IDP}/jwks`]));
    });

    it.each([
      ['the wrong audience', () => idToken({}, { aud: 'someone-else' })],
      ['the wrong issuer', () => idToken({}, { iss: 'https://evil.example' })],
      ['an expired token', () => idToken({}, { expIn: -60 })],
      [
        'HS256 signed with a shared secret',
        () => idToken({}, { alg: 'HS256', key: new TextEncoder().encode('a-shared-secret-of-enough-length!') }),
      ],
      ['a kid the IdP does not publish', async () => idToken({}, { kid: 'unknown-kid', key: (await generateKeyPair('ES256')).privateKey })],
      ['the IdP’s kid but another key’s signature', async () => idToken({}, { key: (await generateKeyPair('ES256')).privateKey })],
      ['no tenant claim', () => idToken({ tenant: undefined })],
    ])('refuses %s with 401 unauthenticated', async (_why, token) => {
      const before = await tenantState(t.db, 'a');
      await expectUnauthenticated(await h.request('POST', '/v1/t/a/keys/rotate', { token: await token() }));
      expect(await tenantState(t.db, 'a')).toEqual(before);
    });

    it('refuses a valid token of tenant a acting on tenant b with 403', async () => {
      const before = await tenantState(t.db, 'b');
      await expectProblem(await h.request('POST', '/v1/t/b/keys/rotate', { token: await idToken({}) }), 403, 'forbidden');
      expect(await tenantState(t.db, 'b')).toEqual(before);
    });

    it('refuses a valid token without a roles claim with 403', async () => {
      const before = await tenantState(t.db, 'a');
      await expectProblem(await h.request('POST', '/v1/t/a/keys/rotate', { token: await idToken({ roles: undefined }) }), 403, 'forbidden');
      expect(await tenantState(t.db, 'a')).toEqual(before);
    });
  });
});

describe('without an identity provider configured', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
  });
  afterAll(() => t.dispose());

  it('accepts no JWT at all, however well signed', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(h.clock().getTime() / 1000);
    const jwt = await new SignJWT({ roles: ['admin'], tenant: '_platform' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(IDP)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    await expectUnauthenticated(await h.request('GET', '/v1/tenants', { token: jwt }));
  });
});
