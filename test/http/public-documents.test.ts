import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { allTenants, expectProblem, publishedKids } from './helpers.ts';

/** The three public documents of one issuer, at the URLs the standards tell clients to fetch. */
const tenantDocuments = (t: string) => ({
  did: `/t/${t}/did.json`,
  jwks: `/t/${t}/jwks.json`,
  'jwt-vc-issuer': `/.well-known/jwt-vc-issuer/t/${t}`,
});
const PLATFORM_DOCUMENTS = { did: '/.well-known/did.json', jwks: '/.well-known/jwks.json', 'jwt-vc-issuer': '/.well-known/jwt-vc-issuer' };
const ALL_PATHS = [...Object.values(PLATFORM_DOCUMENTS), ...Object.values(tenantDocuments('a'))];

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

interface DidDocument {
  id: string;
  verificationMethod: { id: string; type: string; controller: string; publicKeyJwk: JWK }[];
  assertionMethod: string[];
}
type Jwks = { keys: (JWK & { kid: string; alg: string; use: string })[] };

describe.each(engines())('public documents on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    for (const id of ['a', 'b']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    }
  });
  afterAll(() => t.dispose());

  const get = (path: string, headers: Record<string, string> = {}) => h.request('GET', path, { headers });
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  describe.each(ALL_PATHS)('%s', (path) => {
    it('is served to anyone, from any origin, cacheable, with a strong ETag', async () => {
      const res = await get(path, { origin: 'https://wallet.example' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      expect(res.headers.get('cache-control')).toMatch(/(^|[ ,])max-age=[1-9]\d*($|[ ,])/);
      expect(res.headers.get('etag')).toMatch(/^"[\x21\x23-\x7e]+"$/);
      JSON.parse(await res.text());
    });

    it('answers a matching If-None-Match with 304 and no body, in every form RFC 9110 allows', async () => {
      const etag = (await get(path)).headers.get('etag')!;
      for (const ifNoneMatch of [etag, `"x", ${etag}`, `W/${etag}`, `"x",${etag} , "y"`, '*']) {
        const res = await get(path, { 'if-none-match': ifNoneMatch });
        expect(res.status, ifNoneMatch).toBe(304);
        expect(await res.text()).toBe('');
        expect(res.headers.get('etag')).toBe(etag);
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
      }
    });

    it('answers a stale ETag with the full document', async () => {
      const fresh = await get(path);
      const etag = fresh.headers.get('etag')!;
      const stale = `"${etag.slice(1, -2)}${etag.at(-2) === 'A' ? 'B' : 'A'}"`;
      const res = await get(path, { 'if-none-match': stale });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(await fresh.text());
    });

    it('lets a browser preflight a conditional request', async () => {
      const res = await h.request('OPTIONS', path, {
        headers: {
          origin: 'https://wallet.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'if-none-match',
        },
      });
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toMatch(/\bGET\b/);
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('if-none-match');
    });
  });

  it('changes the ETag of a tenant’s documents when its keys rotate, and no other issuer’s', async () => {
    const paths = [...Object.values(tenantDocuments('a')), ...Object.values(tenantDocuments('b')), ...Object.values(PLATFORM_DOCUMENTS)];
    const etags = async () =>
      Object.fromEntries(await Promise.all(paths.map(async (p) => [p, (await get(p)).headers.get('etag')] as const)));
    const before = await etags();
    expect((await h.request('POST', '/v1/t/a/keys/rotate', { token: h.adminToken })).status).toBe(200);
    const after = await etags();
    for (const p of Object.values(tenantDocuments('a'))) {
      expect(after[p], p).not.toBe(before[p]);
      expect((await get(p, { 'if-none-match': before[p]! })).status).toBe(200);
    }
    for (const p of [...Object.values(tenantDocuments('b')), ...Object.values(PLATFORM_DOCUMENTS)]) expect(after[p], p).toBe(before[p]);
  });

  describe.each([
    { issuer: 'tenant a', docs: tenantDocuments('a'), tenantId: 'a', did: 'did:web:issuer.test:t:a', iss: 'https://issuer.test/t/a' },
    { issuer: 'the platform', docs: PLATFORM_DOCUMENTS, tenantId: '_platform', did: 'did:web:issuer.test', iss: 'https://issuer.test' },
  ])('documents of $issuer', ({ docs, tenantId, did, iss }) => {
    it('publish exactly the keys the database holds as published, with their public members only', async () => {
      const stored = await publishedKids(t.db, tenantId, h.clock());
      expect(stored.length).toBeGreaterThanOrEqual(2);
      const jwks = await getJson<Jwks>(docs.jwks);
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual(stored.map((k) => k.kid));
      for (const key of jwks.keys) {
        const row = stored.find((s) => s.kid === key.kid)!;
        expect(key).toEqual({ ...row.public_jwk, kid: row.kid, alg: row.alg, use: 'sig' });
        for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
        // RFC 7638: the kid is the SHA-256 thumbprint of the key's required public members.
        expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
      }
    });

    it('name the issuer by its did:web DID, every signing key a JsonWebKey2020 usable for assertions, the log key never', async () => {
      const doc = await getJson<DidDocument>(docs.did);
      const jwks = await getJson<Jwks>(docs.jwks);
      expect(doc.id).toBe(did);
      // The transparency log's keys are methods of their own (#log-KID); every other is a signing key.
      const isLogKey = (m: { id: string }) => m.id.startsWith(`${did}#log-`);
      const signing = doc.verificationMethod.filter((m) => !isLogKey(m));
      expect(signing.map((m) => m.publicKeyJwk)).toEqual(expect.arrayContaining(jwks.keys));
      expect(signing).toHaveLength(jwks.keys.length);
      for (const m of signing) {
        expect(m.type).toBe('JsonWebKey2020');
        expect(m.controller).toBe(did);
        expect(m.id).toBe(`${did}#${m.publicKeyJwk.kid}`);
        for (const p of PRIVATE_MEMBERS) expect(m.publicKeyJwk).not.toHaveProperty(p);
      }
      for (const m of doc.verificationMethod.filter(isLogKey)) {
        expect(m.type).toBe('JsonWebKey');
        expect(m.controller).toBe(did);
        expect(Object.keys(m.publicKeyJwk).sort()).toEqual(['crv', 'kty', 'x']);
      }
      expect([...doc.assertionMethod].sort()).toEqual(signing.map((m) => m.id).sort());
    });

    it('give SD-JWT VC issuer metadata whose issuer is the issuer URL and whose keys are the JWKS', async () => {
      const meta = await getJson<{ issuer: string; jwks: Jwks }>(docs['jwt-vc-issuer']);
      expect(meta.issuer).toBe(iss);
      expect(meta.jwks).toEqual(await getJson<Jwks>(docs.jwks));
    });
  });

  it('drops a revoked key at once and a retired key when its publication window ends', async () => {
    const kids = async (tenant: string) => ((await getJson<Jwks>(`/t/${tenant}/jwks.json`)).keys.map((k) => k.kid) as string[]).sort();
    const rotated = (await (await h.request('POST', '/v1/t/b/keys/rotate', { token: h.adminToken })).json()) as {
      retired: string;
      active: string;
    };
    expect(await kids('b')).toContain(rotated.retired);

    expect(
      (await h.request('POST', `/v1/t/b/keys/${rotated.active}/revoke`, { token: h.adminToken, body: { reason: 'leaked' } })).status,
    ).toBe(200);
    expect(await kids('b')).not.toContain(rotated.active);
    expect(await kids('b')).toContain(rotated.retired);

    const rows = await allTenants(t.db, (tx) =>
      tx.query<{ publish_until: Date }>(`select publish_until from signing_keys where tenant_id = 'b' and kid = $1`, [rotated.retired]),
    );
    expect(rows).toHaveLength(1);
    h.clock.set(new Date(rows[0]!.publish_until.getTime() + 1000));
    expect(await kids('b')).not.toContain(rotated.retired);
    expect(await kids('b')).toEqual((await publishedKids(t.db, 'b', h.clock())).map((k) => k.kid));
  });

  it.each([...Object.values(tenantDocuments('no-such-tenant')), ...Object.values(tenantDocuments('_platform')), '/t/UPPER/did.json'])(
    'answers %s with 404 tenant_not_found',
    async (path) => {
      await expectProblem(await get(path), 404, 'tenant_not_found');
    },
  );
});

describe('public documents behind a non-default port', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { PUBLIC_URL: 'https://issuer.test:8443' } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'Tenant a' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  it('percent-encodes the port in the DID (did:web:issuer.test%3A8443:t:a) and keeps it in the issuer URL', async () => {
    const doc = (await (await h.request('GET', '/t/a/did.json')).json()) as DidDocument;
    expect(doc.id).toBe('did:web:issuer.test%3A8443:t:a');
    for (const m of doc.verificationMethod) expect(m.id.startsWith('did:web:issuer.test%3A8443:t:a#')).toBe(true);
    expect(((await (await h.request('GET', '/.well-known/did.json')).json()) as DidDocument).id).toBe('did:web:issuer.test%3A8443');
    const meta = (await (await h.request('GET', '/.well-known/jwt-vc-issuer/t/a')).json()) as { issuer: string };
    expect(meta.issuer).toBe('https://issuer.test:8443/t/a');
  });
});
