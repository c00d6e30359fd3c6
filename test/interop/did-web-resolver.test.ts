import { Resolver, type DIDDocument } from 'did-resolver';
import { getResolver } from 'web-did-resolver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';

/**
 * The network edge, faked: web-did-resolver fetches with cross-fetch, so cross-fetch is routed
 * into whichever app is listening for the request's origin. Any other host is unreachable.
 */
const network = vi.hoisted(() => ({
  hosts: new Map<string, (request: Request) => Promise<Response>>(),
  requested: [] as string[],
}));

vi.mock('cross-fetch', () => {
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    network.requested.push(request.url);
    const serve = network.hosts.get(new URL(request.url).origin);
    if (!serve) throw new TypeError(`network unreachable: ${request.url}`);
    return serve(request);
  };
  return { default: fetch, fetch };
});

type Jwks = { keys: { kid: string }[] };

describe('did:web resolution with did-resolver and web-did-resolver', () => {
  const resolver = new Resolver(getResolver());
  const mounted: { t: TestDatabase; h: Harness }[] = [];

  /** Serves `publicUrl` from a real app over its own fresh database, with tenant `a`. */
  async function mount(publicUrl: string): Promise<Harness> {
    const t = await freshPglite();
    const h = await harness(t.db, { env: { PUBLIC_URL: publicUrl } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'Tenant a' } })).status).toBe(201);
    network.hosts.set(new URL(publicUrl).origin, async (request) => h.app.fetch(request, { db: t.db }));
    mounted.push({ t, h });
    return h;
  }

  let h: Harness;
  beforeAll(async () => {
    h = await mount('https://issuer.test');
    await mount('https://issuer.test:8443');
  });
  afterAll(async () => {
    for (const { t } of mounted) await t.dispose();
  });

  const resolve = async (did: string) => {
    network.requested.length = 0;
    const result = await resolver.resolve(did);
    return { result, requested: [...network.requested] };
  };

  it('resolves the tenant DID to its document, fetched from https://HOST/t/T/did.json', async () => {
    const { result, requested } = await resolve('did:web:issuer.test:t:a');
    expect(requested).toEqual(['https://issuer.test/t/a/did.json']);
    expect(result.didResolutionMetadata.error).toBeUndefined();
    expect(result.didDocument?.id).toBe('did:web:issuer.test:t:a');
  });

  it('finds every key the JWKS publishes, with identical public JWKs, usable for assertions', async () => {
    const { result } = await resolve('did:web:issuer.test:t:a');
    const doc = result.didDocument as DIDDocument;
    const jwks = (await (await h.request('GET', '/t/a/jwks.json')).json()) as Jwks;
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    // The transparency log's key is a method of its own (#log-KID), never one a credential is checked with.
    const logMethods = (doc.verificationMethod ?? []).filter((m) => m.id.startsWith('did:web:issuer.test:t:a#log-'));
    for (const m of logMethods) expect(doc.assertionMethod).not.toContain(m.id);
    const methods = (doc.verificationMethod ?? []).filter((m) => !logMethods.includes(m));
    expect(methods.map((m) => m.publicKeyJwk)).toEqual(expect.arrayContaining(jwks.keys));
    expect(methods).toHaveLength(jwks.keys.length);
    for (const key of jwks.keys) {
      // Dereference the DID URL a verifier gets from a JWT's kid, as a verifier would.
      const found = await resolver.resolve(`did:web:issuer.test:t:a#${key.kid}`);
      const method = found.didDocument?.verificationMethod?.find((m) => m.id === `did:web:issuer.test:t:a#${key.kid}`);
      expect(method?.publicKeyJwk).toEqual(key);
      expect(doc.assertionMethod).toContain(`did:web:issuer.test:t:a#${key.kid}`);
    }
  });

  it('resolves the platform DID from https://HOST/.well-known/did.json', async () => {
    const { result, requested } = await resolve('did:web:issuer.test');
    expect(requested).toEqual(['https://issuer.test/.well-known/did.json']);
    expect(result.didResolutionMetadata.error).toBeUndefined();
    expect(result.didDocument?.id).toBe('did:web:issuer.test');
  });

  it('maps a percent-encoded port to https://HOST:PORT/t/T/did.json and gets back the same DID', async () => {
    const { result, requested } = await resolve('did:web:issuer.test%3A8443:t:a');
    expect(requested).toEqual(['https://issuer.test:8443/t/a/did.json']);
    expect(result.didResolutionMetadata.error).toBeUndefined();
    expect(result.didDocument?.id).toBe('did:web:issuer.test%3A8443:t:a');
    // A different deployment: its keys are its own, not the port-less one's.
    const other = await resolve('did:web:issuer.test:t:a');
    const kids = (r: typeof result) => (r.didDocument?.verificationMethod ?? []).map((m) => m.id.split('#')[1]);
    expect(kids(result).length).toBeGreaterThan(0);
    expect(kids(result).filter((k) => kids(other.result).includes(k))).toEqual([]);
  });

  it('answers a DID of an unknown tenant with a notFound result, not a throw', async () => {
    const { result, requested } = await resolve('did:web:issuer.test:t:nobody');
    expect(requested).toEqual(['https://issuer.test/t/nobody/did.json']);
    expect(result.didResolutionMetadata.error).toBe('notFound');
    expect(result.didDocument).toBeNull();
  });

  it('never reaches a host it was not pointed at (the fake network is closed)', async () => {
    const { result, requested } = await resolve('did:web:elsewhere.example:t:a');
    expect(requested).toEqual(['https://elsewhere.example/t/a/did.json']);
    expect(result.didResolutionMetadata.error).toBe('notFound');
  });
});
