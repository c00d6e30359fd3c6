/**
 * Keys of other issuers, reached over the network. The network edge (the `fetch` handed to
 * createSafeFetch) is a fake that records every request, so a URL refused before fetching is
 * proven never to have been asked for, and every refusal is a VerificationFailure with its code.
 */
import { Resolver } from 'did-resolver';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveHostNode } from '../../src/runtime/node/public-address.ts';
import { remoteDidResolvers } from '../../src/verify/remote/did-methods.ts';
import { remoteIssuerKeys } from '../../src/verify/remote/remote-keys.ts';
import { createSafeFetch, isPublicAddress, type SafeFetchOptions } from '../../src/verify/remote/safe-fetch.ts';
import { VerificationFailure } from '../../src/verify/result.ts';

// ---------------------------------------------------------------------------------------------
// The fake network edge

type Route = (request: Request) => Response | Promise<Response>;

const json =
  (body: unknown, init: ResponseInit = {}): Route =>
  () =>
    Response.json(body, init);

/** Serves `routes` by exact URL; anything else answers 200 with a JSON object, so a refusal is never a 404 in disguise. */
function network(routes: Record<string, Route> = {}) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    const route = routes[request.url] ?? json({ served: 'fallback' });
    return route(request);
  };
  return { fetch, requests, urls: () => requests.map((r) => r.url) };
}

function setup(routes: Record<string, Route> = {}, options: Omit<SafeFetchOptions, 'fetch'> = {}) {
  const net = network(routes);
  const fetchJson = createSafeFetch({ fetch: net.fetch, ...options });
  return { net, fetchJson, keys: remoteIssuerKeys({ fetchJson }) };
}

async function expectRefused(work: Promise<unknown>, code: string): Promise<VerificationFailure> {
  const outcome = await work.then(
    () => new Error('expected a refusal, got a result'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(VerificationFailure);
  const failure = outcome as VerificationFailure;
  expect({ check: failure.check, code: failure.code }).toEqual({ check: 'issuer_key', code });
  return failure;
}

// ---------------------------------------------------------------------------------------------
// Keys and encodings the tests build themselves

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** base58btc (Bitcoin alphabet), written here independently of the decoder under test. */
function base58btc(bytes: Uint8Array): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = alphabet[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

const P256_PUB = [0x80, 0x24];
const ED25519_PUB = [0xed, 0x01];
const SECP256K1_PUB = [0xe7, 0x01];
const didKey = (codec: number[], key: Uint8Array) => `did:key:z${base58btc(new Uint8Array([...codec, ...key]))}`;
const fragmentOf = (did: string) => did.slice('did:key:'.length);

function compressP256(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = 0x02 | (raw[64]! & 1);
  out.set(raw.subarray(1, 33), 1);
  return out;
}

async function es256(): Promise<{ pair: CryptoKeyPair; jwk: JWK }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { pair, jwk: { kty, crv, x, y } as JWK };
}

/** The returned JWK verifies what the private key signed: the key is the right one, not just well-formed. */
async function expectVerifies(jwk: JWK, privateKey: CryptoKey) {
  const algorithm = jwk.kty === 'OKP' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  const data = new TextEncoder().encode('launch readiness');
  const signature = await crypto.subtle.sign(algorithm, privateKey, data);
  const importAs = jwk.kty === 'OKP' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const publicKey = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, importAs, false, ['verify']);
  expect(await crypto.subtle.verify(algorithm, publicKey, signature, data)).toBe(true);
}

function didDocument(did: string, jwk: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
    id: did,
    verificationMethod: [{ id: `${did}#k1`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk }],
    assertionMethod: [`${did}#k1`],
    ...extra,
  };
}

let issuer: { pair: CryptoKeyPair; jwk: JWK };
beforeAll(async () => {
  issuer = await es256();
});

// ---------------------------------------------------------------------------------------------

describe('isPublicAddress', () => {
  it.each([
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['172.15.255.255', true],
    ['172.32.0.0', true],
    ['100.63.255.255', true],
    ['100.128.0.0', true],
    ['198.17.255.255', true],
    ['198.20.0.0', true],
    ['223.255.255.255', true],
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['10.0.0.1', false],
    ['100.64.0.1', false],
    ['100.127.255.255', false],
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['169.254.169.254', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.0.0.8', false],
    ['192.0.2.1', false],
    ['192.168.1.1', false],
    ['198.18.0.1', false],
    ['198.19.255.255', false],
    ['198.51.100.7', false],
    ['203.0.113.9', false],
    ['224.0.0.1', false],
    ['239.255.255.250', false],
    ['240.0.0.1', false],
    ['255.255.255.255', false],
    ['2606:4700:4700::1111', true],
    ['2001:4860:4860::8888', true],
    ['2a00:1450:4001:82a::200e', true],
    ['::ffff:93.184.215.14', true],
    ['::ffff:5db8:d70e', true],
    ['64:ff9b::8.8.8.8', true],
    ['2002:5db8:d70e::1', true],
    ['::', false],
    ['::1', false],
    ['0:0:0:0:0:0:0:1', false],
    ['fc00::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['febf:ffff::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:192.168.0.1', false],
    ['64:ff9b::10.0.0.1', false],
    ['64:ff9b::a00:1', false],
    ['64:ff9b::127.0.0.1', false],
    ['2002:0a00:0001::1', false],
    ['2001:db8::1', false],
    ['2001:0db8:85a3::8a2e:370:7334', false],
    ['2001::1', false],
    ['::127.0.0.1', false],
    ['fe80::1%eth0', false],
    ['010.0.0.1', false],
    ['1.2.3', false],
    ['1.2.3.256', false],
    ['1::2::3', false],
    ['1:2:3:4:5:6:7:8:9', false],
    ['::ffff:1.2.3.4.5', false],
    ['[::1]', false],
    ['localhost', false],
    ['', false],
  ])('%s -> %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });
});

describe('safe fetch: what it fetches', () => {
  it('fetches JSON from a public https URL, asking not to follow redirects, with a deadline signal', async () => {
    const { net, fetchJson } = setup({ 'https://issuer.example/doc.json': json({ hello: 'world' }) });
    expect(await fetchJson('https://issuer.example/doc.json')).toEqual({ hello: 'world' });
    expect(net.urls()).toEqual(['https://issuer.example/doc.json']);
    const [request] = net.requests;
    expect(request!.redirect).toBe('manual');
    expect(request!.method).toBe('GET');
    expect(request!.signal).toBeInstanceOf(AbortSignal);
    expect(request!.headers.get('accept')).toContain('application/json');
  });

  it.each([
    ['application/json', 'application/json; charset=utf-8'],
    ['application/did+json', 'application/did+json'],
    ['application/did+ld+json', 'application/did+ld+json'],
    ['application/jwk-set+json', 'application/jwk-set+json'],
    ['text/plain', 'text/plain'],
    ['application/octet-stream', 'application/octet-stream'],
    ['no content-type', null],
  ])('accepts a JSON body served as %s', async (_name, type) => {
    const body = new TextEncoder().encode('{"id":"x"}');
    const { fetchJson } = setup({
      'https://issuer.example/d': () => new Response(body, { headers: type ? { 'content-type': type } : {} }),
    });
    expect(await fetchJson('https://issuer.example/d')).toEqual({ id: 'x' });
  });

  it.each([
    ['https://issuer.example:443/d', 'https://issuer.example/d'],
    ['https://issuer.example:8443/d', 'https://issuer.example:8443/d'],
    ['https://ISSUER.Example/d', 'https://issuer.example/d'],
    ['https://93.184.215.14/d', 'https://93.184.215.14/d'],
    ['https://[2606:4700::1111]/d', 'https://[2606:4700::1111]/d'],
    ['https://issuer.example./d', 'https://issuer.example./d'],
  ])('allows %s', async (url, requested) => {
    const { net, fetchJson } = setup();
    expect(await fetchJson(url)).toEqual({ served: 'fallback' });
    expect(net.urls()).toEqual([requested]);
  });

  it('accepts a body of exactly maxBytes', async () => {
    const body = `{"a":"${'x'.repeat(92)}"}`;
    expect(body).toHaveLength(100);
    const { fetchJson } = setup({ 'https://issuer.example/d': () => new Response(body) }, { maxBytes: 100 });
    expect(await fetchJson('https://issuer.example/d')).toEqual({ a: 'x'.repeat(92) });
  });
});

describe('safe fetch: URLs refused before any request', () => {
  it.each([
    ['http', 'http://issuer.example/did.json'],
    ['another scheme', 'ftp://issuer.example/did.json'],
    ['not a URL', 'issuer.example/did.json'],
    ['userinfo', 'https://user:secret@issuer.example/did.json'],
    ['a username only', 'https://user@issuer.example/did.json'],
    ['port 80', 'https://issuer.example:80/did.json'],
    ['port 22', 'https://issuer.example:22/did.json'],
    ['port 25', 'https://issuer.example:25/did.json'],
    ['a blocked high port (IRC)', 'https://issuer.example:6667/did.json'],
    ['127.0.0.1', 'https://127.0.0.1/did.json'],
    ['127.0.0.1 written 0x7f.1', 'https://0x7f.1/did.json'],
    ['127.0.0.1 written 2130706433', 'https://2130706433/did.json'],
    ['0.0.0.0', 'https://0.0.0.0/did.json'],
    ['10.x', 'https://10.1.2.3/did.json'],
    ['172.16.x', 'https://172.16.5.4/did.json'],
    ['192.168.x', 'https://192.168.1.20/did.json'],
    ['cloud metadata 169.254.169.254', 'https://169.254.169.254/latest/meta-data'],
    ['100.64.x (CGNAT)', 'https://100.64.0.1/did.json'],
    ['[::1]', 'https://[::1]/did.json'],
    ['[::]', 'https://[::]/did.json'],
    ['[fd00::1]', 'https://[fd00::1]/did.json'],
    ['[fe80::1]', 'https://[fe80::1]/did.json'],
    ['[::ffff:127.0.0.1]', 'https://[::ffff:127.0.0.1]/did.json'],
    ['[::ffff:10.0.0.1]', 'https://[::ffff:10.0.0.1]/did.json'],
    ['[64:ff9b::10.0.0.1] (NAT64 of a private address)', 'https://[64:ff9b::10.0.0.1]/did.json'],
    ['[2001:db8::1]', 'https://[2001:db8::1]/did.json'],
    ['localhost', 'https://localhost/did.json'],
    ['localhost.', 'https://localhost./did.json'],
    ['LOCALHOST', 'https://LOCALHOST/did.json'],
    ['a *.localhost name', 'https://issuer.localhost/did.json'],
    ['an mDNS name', 'https://printer.local/did.json'],
    ['a .internal name', 'https://vault.internal/did.json'],
    ['a single-label name', 'https://intranet/did.json'],
  ])('refuses %s', async (_name, url) => {
    const { net, fetchJson } = setup();
    await expectRefused(fetchJson(url), 'unsafe_url');
    expect(net.requests).toEqual([]);
  });
});

describe('safe fetch: resolved addresses (DNS rebinding)', () => {
  const resolving = (answers: Record<string, string[]>) => {
    const asked: string[] = [];
    const resolveHost = async (hostname: string) => {
      asked.push(hostname);
      const found = answers[hostname];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    };
    return { asked, resolveHost };
  };

  it.each([
    ['a private address', ['10.0.0.5']],
    ['loopback', ['127.0.0.1']],
    ['a public and a private address', ['93.184.215.14', '192.168.0.10']],
    ['IPv6 loopback', ['::1']],
    ['an IPv4-mapped private address', ['::ffff:192.168.1.1']],
    ['a unique-local IPv6 address', ['fd12:3456::1']],
  ])('refuses a host name that resolves to %s, without a request', async (_name, addresses) => {
    const dns = resolving({ 'rebind.example': addresses });
    const { net, fetchJson } = setup({}, { resolveHost: dns.resolveHost });
    await expectRefused(fetchJson('https://rebind.example/did.json'), 'unsafe_url');
    expect(dns.asked).toEqual(['rebind.example']);
    expect(net.requests).toEqual([]);
  });

  it('fetches when every address is public', async () => {
    const dns = resolving({ 'issuer.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    const { net, fetchJson } = setup({}, { resolveHost: dns.resolveHost });
    expect(await fetchJson('https://issuer.example/did.json')).toEqual({ served: 'fallback' });
    expect(net.urls()).toEqual(['https://issuer.example/did.json']);
  });

  it('answers unresolvable_issuer for a name that does not resolve, or resolves to nothing', async () => {
    const dns = resolving({ 'empty.example': [] });
    const { net, fetchJson } = setup({}, { resolveHost: dns.resolveHost });
    await expectRefused(fetchJson('https://nowhere.example/did.json'), 'unresolvable_issuer');
    await expectRefused(fetchJson('https://empty.example/did.json'), 'unresolvable_issuer');
    expect(net.requests).toEqual([]);
  });

  it('does not resolve a host written as an address', async () => {
    const dns = resolving({});
    const { fetchJson } = setup({}, { resolveHost: dns.resolveHost });
    await fetchJson('https://93.184.215.14/did.json');
    expect(dns.asked).toEqual([]);
  });

  it('applies to did:web too: the DID names a host that resolves privately', async () => {
    const dns = resolving({ 'rebind.example': ['169.254.169.254'] });
    const { net, keys } = setup({}, { resolveHost: dns.resolveHost });
    await expectRefused(keys.fromDid('did:web:rebind.example', 'did:web:rebind.example#k1'), 'unsafe_url');
    expect(net.requests).toEqual([]);
  });

  it('the Node resolver returns every address, and those of localhost are refused', async () => {
    const addresses = await resolveHostNode('localhost');
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.some((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
    expect(addresses.filter(isPublicAddress)).toEqual([]);
  });
});

describe('safe fetch: answers refused', () => {
  it.each([301, 302, 303, 307, 308])('refuses a %s redirect to a public host and never follows it', async (status) => {
    const { net, fetchJson } = setup({
      'https://issuer.example/did.json': () => new Response(null, { status, headers: { location: 'https://elsewhere.example/did.json' } }),
      'https://elsewhere.example/did.json': json({ id: 'would be accepted' }),
    });
    await expectRefused(fetchJson('https://issuer.example/did.json'), 'unsafe_url');
    expect(net.urls()).toEqual(['https://issuer.example/did.json']);
  });

  it('refuses an error status', async () => {
    const { fetchJson } = setup({ 'https://issuer.example/d': json({ error: 'gone' }, { status: 404 }) });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).toBe('HTTP 404');
  });

  it('refuses a body whose content-length is over the cap, without reading it', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024).fill(0x20));
      },
    });
    const { fetchJson } = setup({
      'https://issuer.example/d': () =>
        new Response(body, { headers: { 'content-type': 'application/json', 'content-length': String(300 * 1024) } }),
    });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).toBe('response too large');
    // The stream may have been primed once by the Response; it is never read past that.
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it('refuses an endless body with no content-length, stopping soon after the cap', async () => {
    let pulls = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { fetchJson } = setup({
      'https://issuer.example/d': () => new Response(body, { headers: { 'content-type': 'application/json' } }),
    });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).toBe('response too large');
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThanOrEqual(7); // 256 KiB cap in 64 KiB chunks: the fifth crosses it
  });

  it('refuses a body one byte over a smaller cap', async () => {
    const { fetchJson } = setup({ 'https://issuer.example/d': () => new Response(`{"a":"${'x'.repeat(93)}"}`) }, { maxBytes: 100 });
    await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
  });

  it('gives up on a server that never answers, at the timeout', async () => {
    const { fetchJson } = setup({ 'https://slow.example/d': () => new Promise<Response>(() => {}) }, { timeoutMs: 50 });
    const started = Date.now();
    const failure = await expectRefused(fetchJson('https://slow.example/d'), 'unresolvable_issuer');
    expect(failure.message).toContain('50 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a body that trickles and never ends, at the timeout', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { fetchJson } = setup({ 'https://slow.example/d': () => new Response(body) }, { timeoutMs: 50 });
    const started = Date.now();
    await expectRefused(fetchJson('https://slow.example/d'), 'unresolvable_issuer');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(cancelled).toBe(true);
  });

  it('aborts the request signal at the timeout, for an edge that honours it', async () => {
    let seen: AbortSignal | undefined;
    const { fetchJson } = setup(
      {
        'https://slow.example/d': (request) => {
          seen = request.signal;
          return new Promise<Response>(() => {});
        },
      },
      { timeoutMs: 30 },
    );
    await expectRefused(fetchJson('https://slow.example/d'), 'unresolvable_issuer');
    expect(seen?.aborted).toBe(true);
  });

  it('gives up on a resolver that never answers, at the timeout', async () => {
    const { net, fetchJson } = setup({}, { timeoutMs: 30, resolveHost: () => new Promise<string[]>(() => {}) });
    await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(net.requests).toEqual([]);
  });

  it('refuses an HTML page, without echoing it', async () => {
    const { fetchJson } = setup({
      'https://issuer.example/d': () => new Response('<html>SECRET-BODY</html>', { headers: { 'content-type': 'text/html' } }),
    });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).not.toContain('SECRET-BODY');
  });

  it('refuses a body that is not JSON, without echoing it', async () => {
    const { fetchJson } = setup({
      'https://issuer.example/d': () => new Response('{"id": SECRET-BODY', { headers: { 'content-type': 'application/json' } }),
    });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).toBe('response is not valid JSON');
  });

  it('refuses a body that is not UTF-8', async () => {
    const { fetchJson } = setup({ 'https://issuer.example/d': () => new Response(new Uint8Array([0x22, 0xff, 0xfe, 0x22])) });
    await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
  });

  it('turns a network error into unresolvable_issuer, without its message', async () => {
    const fetchJson = createSafeFetch({
      fetch: async () => {
        throw new TypeError('connect ECONNREFUSED secret-host');
      },
    });
    const failure = await expectRefused(fetchJson('https://issuer.example/d'), 'unresolvable_issuer');
    expect(failure.message).toBe('network error');
  });

  it('refuses nonsense options as a caller mistake', () => {
    expect(() => createSafeFetch({ fetch: globalThis.fetch, timeoutMs: 0 })).toThrow(TypeError);
    expect(() => createSafeFetch({ fetch: globalThis.fetch, maxBytes: -1 })).toThrow(TypeError);
  });
});

describe('did:web', () => {
  it('resolves did:web:HOST from https://HOST/.well-known/did.json and returns the public members of the key', async () => {
    const did = 'did:web:issuer.example';
    const published = { ...issuer.jwk, kid: 'k1', alg: 'ES256', x5c: ['MIIB'], ext: true };
    const { net, keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, published)) });
    const key = await keys.fromDid(did, `${did}#k1`);
    expect(key.jwk).toEqual({ ...issuer.jwk, kid: 'k1', alg: 'ES256' });
    expect(key.revokedAt).toBeUndefined();
    expect(net.urls()).toEqual(['https://issuer.example/.well-known/did.json']);
    await expectVerifies(key.jwk, issuer.pair.privateKey);
  });

  it('maps a %3A port and path segments to https://HOST:PORT/a/b/did.json', async () => {
    const did = 'did:web:issuer.example%3A8443:tenants:acme';
    const { net, keys } = setup({ 'https://issuer.example:8443/tenants/acme/did.json': json(didDocument(did, issuer.jwk)) });
    expect((await keys.fromDid(did, `${did}#k1`)).jwk).toEqual(issuer.jwk);
    expect(net.urls()).toEqual(['https://issuer.example:8443/tenants/acme/did.json']);
  });

  it('accepts ids relative to the document', async () => {
    const did = 'did:web:issuer.example';
    const document = {
      id: did,
      verificationMethod: [{ id: '#k1', type: 'JsonWebKey2020', controller: did, publicKeyJwk: issuer.jwk }],
      assertionMethod: ['#k1'],
    };
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    expect((await keys.fromDid(did, `${did}#k1`)).jwk).toEqual(issuer.jwk);
  });

  it('finds a method embedded in assertionMethod', async () => {
    const did = 'did:web:issuer.example';
    const document = { id: did, assertionMethod: [{ id: `${did}#k1`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: issuer.jwk }] };
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    expect((await keys.fromDid(did, `${did}#k1`)).jwk).toEqual(issuer.jwk);
  });

  it('reads a Multikey method (publicKeyMultibase) as a JWK', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const did = 'did:web:issuer.example';
    const multibase = fragmentOf(didKey(ED25519_PUB, raw));
    const document = {
      id: did,
      verificationMethod: [{ id: `${did}#m1`, type: 'Multikey', controller: did, publicKeyMultibase: multibase }],
      assertionMethod: [`${did}#m1`],
    };
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    const key = await keys.fromDid(did, `${did}#m1`);
    expect(key.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: b64u(raw) });
    await expectVerifies(key.jwk, pair.privateKey);
  });

  it('refuses a document whose id is another DID', async () => {
    const did = 'did:web:issuer.example';
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument('did:web:other.example', issuer.jwk)) });
    const failure = await expectRefused(keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
    expect(failure.message).toContain('id');
  });

  it('the did:web plugin itself answers notFound for a document of another DID (for any did-resolver consumer)', async () => {
    const { fetchJson } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument('did:web:other.example', issuer.jwk)) });
    const result = await new Resolver(remoteDidResolvers({ fetchJson })).resolve('did:web:issuer.example#k1');
    expect(result.didDocument).toBeNull();
    expect(result.didResolutionMetadata).toMatchObject({ error: 'notFound', verificationCode: 'unresolvable_issuer' });
  });

  it('the did:web plugin reports a refused URL as data, with its code', async () => {
    const { net, fetchJson } = setup();
    const result = await new Resolver(remoteDidResolvers({ fetchJson })).resolve('did:web:localhost');
    expect(result.didResolutionMetadata).toMatchObject({ error: 'notFound', verificationCode: 'unsafe_url' });
    expect(net.requests).toEqual([]);
  });

  it('refuses a document whose id differs only by case or a path', async () => {
    const did = 'did:web:issuer.example:t:a';
    for (const id of ['did:web:Issuer.example:t:a', 'did:web:issuer.example:t', 'did:web:issuer.example:t:a:b']) {
      const { keys } = setup({ 'https://issuer.example/t/a/did.json': json(didDocument(id, issuer.jwk)) });
      await expectRefused(keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
    }
  });

  it('refuses a kid of another DID, before fetching anything', async () => {
    const { net, keys } = setup();
    for (const kid of [
      'did:web:other.example#k1',
      'did:web:issuer.example:t#k1',
      'did:web:issuer.example.evil#k1',
      '#k1',
      'k1',
      'did:web:issuer.example#',
    ]) {
      await expectRefused(keys.fromDid('did:web:issuer.example', kid), 'kid_not_of_issuer');
    }
    expect(net.requests).toEqual([]);
  });

  it('refuses a key that is only for authentication, not assertions', async () => {
    const did = 'did:web:issuer.example';
    const document = didDocument(did, issuer.jwk, { assertionMethod: [], authentication: [`${did}#k1`] });
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'key_not_for_assertion');
  });

  it('refuses a key published with use "enc"', async () => {
    const did = 'did:web:issuer.example';
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, { ...issuer.jwk, use: 'enc' })) });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'key_not_for_assertion');
  });

  it('refuses a JWK that carries the private key d', async () => {
    const did = 'did:web:issuer.example';
    const leaked = await crypto.subtle.exportKey('jwk', issuer.pair.privateKey);
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, leaked as Record<string, unknown>)) });
    const failure = await expectRefused(keys.fromDid(did, `${did}#k1`), 'private_key_published');
    expect(failure.message).not.toContain(leaked.d);
  });

  it('refuses a symmetric key', async () => {
    const did = 'did:web:issuer.example';
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, { kty: 'oct', k: 'c2VjcmV0' })) });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'private_key_published');
  });

  it('answers unknown_key for a kid the document does not have', async () => {
    const did = 'did:web:issuer.example';
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, issuer.jwk)) });
    await expectRefused(keys.fromDid(did, `${did}#k2`), 'unknown_key');
  });

  it('refuses a document with two methods of the same id', async () => {
    const did = 'did:web:issuer.example';
    const method = { id: `${did}#k1`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: issuer.jwk };
    const document = {
      id: did,
      verificationMethod: [method, { ...method, publicKeyJwk: (await es256()).jwk }],
      assertionMethod: [`${did}#k1`],
    };
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
  });

  it('refuses a method with no key material it can read', async () => {
    const did = 'did:web:issuer.example';
    const document = {
      id: did,
      verificationMethod: [
        { id: `${did}#k1`, type: 'EcdsaSecp256k1RecoveryMethod2020', controller: did, blockchainAccountId: 'eip155:1:0xabc' },
      ],
      assertionMethod: [`${did}#k1`],
    };
    const { keys } = setup({ 'https://issuer.example/.well-known/did.json': json(document) });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'unsupported_key_format');
  });

  it('refuses a redirected DID document', async () => {
    const did = 'did:web:issuer.example';
    const { net, keys } = setup({
      'https://issuer.example/.well-known/did.json': () =>
        new Response(null, { status: 302, headers: { location: 'https://cdn.example/did.json' } }),
      'https://cdn.example/did.json': json(didDocument(did, issuer.jwk)),
    });
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'unsafe_url');
    expect(net.urls()).toEqual(['https://issuer.example/.well-known/did.json']);
  });

  it('answers unresolvable_issuer when the document is missing or not an object', async () => {
    const did = 'did:web:issuer.example';
    const missing = setup({ 'https://issuer.example/.well-known/did.json': json({}, { status: 404 }) });
    await expectRefused(missing.keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
    const list = setup({ 'https://issuer.example/.well-known/did.json': json([didDocument(did, issuer.jwk)]) });
    await expectRefused(list.keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
  });

  it.each([
    ['localhost', 'did:web:localhost'],
    ['localhost with a port', 'did:web:localhost%3A8443'],
    ['127.0.0.1', 'did:web:127.0.0.1'],
    ['10.x with a path', 'did:web:10.0.0.1:t:a'],
    ['[::1]', 'did:web:%5B%3A%3A1%5D'],
    ['a single label', 'did:web:intranet'],
  ])('refuses a did:web naming %s, before fetching', async (_name, did) => {
    const { net, keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'unsafe_url');
    expect(net.requests).toEqual([]);
  });

  it.each([
    ['a percent-encoded slash in the host', 'did:web:evil.example%2F%40issuer.example'],
    ['a percent-encoded @ (userinfo)', 'did:web:user%40issuer.example'],
    ['a percent-encoded ? in the host', 'did:web:issuer.example%3Fx'],
  ])('refuses a did:web with %s, before fetching', async (_name, did) => {
    const { net, keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#k1`), 'unresolvable_issuer');
    expect(net.requests).toEqual([]);
  });

  it('refuses an issuer that is not a bare DID', async () => {
    const { net, keys } = setup();
    await expectRefused(keys.fromDid('did:web:issuer.example#k1', 'did:web:issuer.example#k1#k1'), 'unresolvable_issuer');
    await expectRefused(keys.fromDid('https://issuer.example', 'https://issuer.example#k1'), 'unresolvable_issuer');
    expect(net.requests).toEqual([]);
  });

  it('answers unsupported_did_method for a method it does not resolve', async () => {
    const { net, keys } = setup();
    await expectRefused(keys.fromDid('did:example:123', 'did:example:123#k1'), 'unsupported_did_method');
    await expectRefused(keys.fromDid('did:ion:EiAbc', 'did:ion:EiAbc#k1'), 'unsupported_did_method');
    expect(net.requests).toEqual([]);
  });

  it('fetches the document once per call, and again on the next call (nothing cached)', async () => {
    const did = 'did:web:issuer.example';
    const { net, keys } = setup({ 'https://issuer.example/.well-known/did.json': json(didDocument(did, issuer.jwk)) });
    await keys.fromDid(did, `${did}#k1`);
    expect(net.requests).toHaveLength(1);
    await keys.fromDid(did, `${did}#k1`);
    expect(net.requests).toHaveLength(2);
  });
});

describe('did:jwk', () => {
  const didJwk = (jwk: Record<string, unknown>) => `did:jwk:${b64u(new TextEncoder().encode(JSON.stringify(jwk)))}`;

  it('derives the document from the DID: one method #0, in assertionMethod, with no request', async () => {
    const did = didJwk(issuer.jwk as Record<string, unknown>);
    const { net, keys } = setup();
    const key = await keys.fromDid(did, `${did}#0`);
    expect(key.jwk).toEqual(issuer.jwk);
    await expectVerifies(key.jwk, issuer.pair.privateKey);
    expect(net.requests).toEqual([]);

    const { didDocument: document } = await new Resolver(remoteDidResolvers({ fetchJson: async () => ({}) })).resolve(did);
    expect(document?.id).toBe(did);
    expect(document?.verificationMethod).toEqual([{ id: `${did}#0`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: issuer.jwk }]);
    expect(document?.assertionMethod).toEqual([`${did}#0`]);
  });

  it('refuses a did:jwk whose JWK carries the private key d', async () => {
    const leaked = await crypto.subtle.exportKey('jwk', issuer.pair.privateKey);
    const did = didJwk(leaked as Record<string, unknown>);
    const { keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#0`), 'private_key_published');
  });

  it('refuses a key marked for encryption as an assertion key', async () => {
    const did = didJwk({ ...issuer.jwk, use: 'enc' });
    const { keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#0`), 'key_not_for_assertion');
  });

  it('answers unknown_key for any fragment but #0', async () => {
    const did = didJwk(issuer.jwk as Record<string, unknown>);
    const { keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#1`), 'unknown_key');
  });

  it.each([
    ['not JSON', `did:jwk:${b64u(new TextEncoder().encode('not json'))}`],
    ['JSON without kty', `did:jwk:${b64u(new TextEncoder().encode('{"crv":"P-256"}'))}`],
    ['a JSON array', `did:jwk:${b64u(new TextEncoder().encode('[1]'))}`],
  ])('refuses a did:jwk that is %s', async (_name, did) => {
    const { keys } = setup();
    await expectRefused(keys.fromDid(did, `${did}#0`), 'unresolvable_issuer');
  });
});

describe('did:key', () => {
  it('P-256 (0x1200, compressed point): decompresses to the same key, as JsonWebKey2020 #z… in assertionMethod', async () => {
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', issuer.pair.publicKey));
    const did = didKey(P256_PUB, compressP256(raw));
    expect(did.startsWith('did:key:zDn')).toBe(true);
    const { net, keys } = setup();
    const kid = `${did}#${fragmentOf(did)}`;
    const key = await keys.fromDid(did, kid);
    expect(key.jwk).toEqual(issuer.jwk);
    await expectVerifies(key.jwk, issuer.pair.privateKey);
    expect(net.requests).toEqual([]);

    const { didDocument: document } = await new Resolver(remoteDidResolvers({ fetchJson: async () => ({}) })).resolve(did);
    expect(document?.verificationMethod).toEqual([{ id: kid, type: 'JsonWebKey2020', controller: did, publicKeyJwk: issuer.jwk }]);
    expect(document?.assertionMethod).toEqual([kid]);
  });

  it('P-256 keys of both y parities decompress correctly', async () => {
    const parities = new Set<number>();
    for (let i = 0; i < 24 && parities.size < 2; i++) {
      const k = await es256();
      const compressed = compressP256(new Uint8Array(await crypto.subtle.exportKey('raw', k.pair.publicKey)));
      parities.add(compressed[0]!);
      const did = didKey(P256_PUB, compressed);
      expect((await setup().keys.fromDid(did, `${did}#${fragmentOf(did)}`)).jwk).toEqual(k.jwk);
    }
    expect(parities).toEqual(new Set([0x02, 0x03]));
  });

  it('Ed25519 (0xed01)', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const did = didKey(ED25519_PUB, raw);
    expect(did.startsWith('did:key:z6Mk')).toBe(true);
    const key = await setup().keys.fromDid(did, `${did}#${fragmentOf(did)}`);
    expect(key.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: b64u(raw) });
    await expectVerifies(key.jwk, pair.privateKey);
  });

  /** From the did:key spec's test vectors: w3c-ccg/did-key-spec @ 1b4f72d577faef66d4ecb0103ce25472ed353f3a, test-vectors/. */
  it('matches the did:key spec vectors (P-256 from nist-curves.json, Ed25519 seed 0 from ed25519-x25519.json)', async () => {
    const p256 = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv';
    expect((await setup().keys.fromDid(p256, `${p256}#${fragmentOf(p256)}`)).jwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: 'igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns',
      y: 'efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM',
    });
    // The vector's key is the Ed25519 key of a seed of 32 zero bytes: derive it here rather than trust a constant.
    const pkcs8 = new Uint8Array([...Buffer.from('302e020100300506032b657004220420', 'hex'), ...new Uint8Array(32)]);
    const seedZero = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
    const { x } = await crypto.subtle.exportKey('jwk', seedZero);
    const ed = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';
    expect((await setup().keys.fromDid(ed, `${ed}#${fragmentOf(ed)}`)).jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x });
  });

  it('answers unknown_key for a fragment other than the key itself', async () => {
    const did = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv';
    await expectRefused(setup().keys.fromDid(did, `${did}#0`), 'unknown_key');
  });

  it('refuses a P-256 x coordinate that is not on the curve', async () => {
    // y² = x³ − 3x + b has no solution when the right side is a non-residue mod p (Euler's criterion).
    const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
    const b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
    const pow = (base: bigint, e: bigint) => {
      let result = 1n;
      for (base %= p; e > 0n; e >>= 1n, base = (base * base) % p) if (e & 1n) result = (result * base) % p;
      return result;
    };
    let x = 1n;
    while (pow((((x ** 3n - 3n * x + b) % p) + p) % p, (p - 1n) / 2n) !== p - 1n) x++;
    const point = new Uint8Array([0x02, ...Buffer.from(x.toString(16).padStart(64, '0'), 'hex')]);
    const did = didKey(P256_PUB, point);
    await expectRefused(setup().keys.fromDid(did, `${did}#${fragmentOf(did)}`), 'unresolvable_issuer');
  });

  it('refuses an uncompressed P-256 point, a short Ed25519 key, and other multibase encodings', async () => {
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', issuer.pair.publicKey));
    for (const did of [
      didKey(P256_PUB, raw),
      didKey(ED25519_PUB, new Uint8Array(31)),
      `did:key:u${b64u(new Uint8Array([0xed, 0x01, ...new Uint8Array(32)]))}`,
    ]) {
      await expectRefused(setup().keys.fromDid(did, `${did}#${fragmentOf(did)}`), 'unresolvable_issuer');
    }
  });

  it('answers unsupported_key_format for another key type (secp256k1)', async () => {
    const did = didKey(SECP256K1_PUB, new Uint8Array([0x02, ...new Uint8Array(32).fill(7)]));
    await expectRefused(setup().keys.fromDid(did, `${did}#${fragmentOf(did)}`), 'unsupported_key_format');
  });
});

describe('SD-JWT VC issuer metadata (/.well-known/jwt-vc-issuer)', () => {
  const jwks = () => ({
    keys: [
      { ...issuer.jwk, kid: 'k1', alg: 'ES256', use: 'sig' },
      { kty: 'OKP', crv: 'Ed25519', x: b64u(new Uint8Array(32)), kid: 'k2' },
    ],
  });

  it('inserts the well-known segment between host and path, and takes the key from inline jwks', async () => {
    const iss = 'https://issuer.example/tenants/acme';
    const { net, keys } = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer/tenants/acme': json({ issuer: iss, jwks: jwks() }) });
    const key = await keys.fromIssuerMetadata(iss, 'k1');
    expect(key.jwk).toEqual({ ...issuer.jwk, kid: 'k1', alg: 'ES256', use: 'sig' });
    await expectVerifies(key.jwk, issuer.pair.privateKey);
    expect(net.urls()).toEqual(['https://issuer.example/.well-known/jwt-vc-issuer/tenants/acme']);
  });

  it.each([
    ['https://issuer.example', 'https://issuer.example/.well-known/jwt-vc-issuer'],
    ['https://issuer.example/', 'https://issuer.example/.well-known/jwt-vc-issuer'],
    ['https://issuer.example/t/x/', 'https://issuer.example/.well-known/jwt-vc-issuer/t/x'],
    ['https://issuer.example:8443/t/x', 'https://issuer.example:8443/.well-known/jwt-vc-issuer/t/x'],
  ])('%s -> %s', async (iss, metadataUrl) => {
    const { net, keys } = setup({ [metadataUrl]: json({ issuer: iss, jwks: jwks() }) });
    await keys.fromIssuerMetadata(iss, 'k2');
    expect(net.urls()).toEqual([metadataUrl]);
  });

  it('fetches jwks_uri with the same safe fetch', async () => {
    const iss = 'https://issuer.example/t/x';
    const { net, keys } = setup({
      'https://issuer.example/.well-known/jwt-vc-issuer/t/x': json({ issuer: iss, jwks_uri: 'https://keys.example/t/x/jwks.json' }),
      'https://keys.example/t/x/jwks.json': json(jwks(), { headers: { 'content-type': 'application/jwk-set+json' } }),
    });
    expect((await keys.fromIssuerMetadata(iss, 'k2')).jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: b64u(new Uint8Array(32)), kid: 'k2' });
    expect(net.urls()).toEqual(['https://issuer.example/.well-known/jwt-vc-issuer/t/x', 'https://keys.example/t/x/jwks.json']);
  });

  it('does not fetch the same document twice within one call', async () => {
    const iss = 'https://issuer.example';
    const metadataUrl = 'https://issuer.example/.well-known/jwt-vc-issuer';
    const { net, keys } = setup({
      [metadataUrl]: json({ issuer: iss, jwks_uri: 'https://ISSUER.example/.well-known/jwt-vc-issuer', ...jwks() }),
    });
    await keys.fromIssuerMetadata(iss, 'k1');
    expect(net.urls()).toEqual([metadataUrl]);
  });

  it('refuses metadata whose issuer differs, even by a trailing slash', async () => {
    for (const [iss, claimed] of [
      ['https://issuer.example/t/x', 'https://evil.example/t/x'],
      ['https://issuer.example/t/x', 'https://issuer.example/t/x/'],
      ['https://issuer.example/t/x', 'https://issuer.example/t/y'],
    ] as const) {
      const { keys } = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer/t/x': json({ issuer: claimed, jwks: jwks() }) });
      const failure = await expectRefused(keys.fromIssuerMetadata(iss, 'k1'), 'unresolvable_issuer');
      expect(failure.message).toBe('issuer metadata names another issuer');
    }
  });

  it('refuses an http issuer, or one on a private address, before fetching', async () => {
    const { net, keys } = setup();
    await expectRefused(keys.fromIssuerMetadata('http://issuer.example', 'k1'), 'unsafe_url');
    await expectRefused(keys.fromIssuerMetadata('https://192.168.0.1/t/x', 'k1'), 'unsafe_url');
    await expectRefused(keys.fromIssuerMetadata('https://user:pw@issuer.example', 'k1'), 'unsafe_url');
    await expectRefused(keys.fromIssuerMetadata('https://localhost/t/x', 'k1'), 'unsafe_url');
    expect(net.requests).toEqual([]);
  });

  it('refuses a jwks_uri on a private address or over http, after the metadata only', async () => {
    for (const jwksUri of ['https://10.0.0.7/jwks.json', 'http://issuer.example/jwks.json', 'https://[::ffff:127.0.0.1]/jwks.json']) {
      const { net, keys } = setup({
        'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks_uri: jwksUri }),
      });
      await expectRefused(keys.fromIssuerMetadata('https://issuer.example', 'k1'), 'unsafe_url');
      expect(net.urls()).toEqual(['https://issuer.example/.well-known/jwt-vc-issuer']);
    }
  });

  it('refuses redirected metadata', async () => {
    const { net, keys } = setup({
      'https://issuer.example/.well-known/jwt-vc-issuer': () =>
        new Response(null, { status: 307, headers: { location: 'https://other.example/m' } }),
    });
    await expectRefused(keys.fromIssuerMetadata('https://issuer.example', 'k1'), 'unsafe_url');
    expect(net.requests).toHaveLength(1);
  });

  it('answers unknown_key for a kid the issuer does not publish, ambiguous_key for one it publishes twice', async () => {
    const one = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: jwks() }) });
    await expectRefused(one.keys.fromIssuerMetadata('https://issuer.example', 'k9'), 'unknown_key');
    const twice = { keys: [...jwks().keys, { ...issuer.jwk, kid: 'k1' }] };
    const two = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: twice }) });
    await expectRefused(two.keys.fromIssuerMetadata('https://issuer.example', 'k1'), 'ambiguous_key');
  });

  it('without a kid, takes the only key, and refuses to pick among several or none', async () => {
    const single = { keys: [{ ...issuer.jwk, kid: 'k1' }] };
    const one = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: single }) });
    expect((await one.keys.fromIssuerMetadata('https://issuer.example', undefined)).jwk).toEqual({ ...issuer.jwk, kid: 'k1' });
    const several = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: jwks() }) });
    await expectRefused(several.keys.fromIssuerMetadata('https://issuer.example', undefined), 'ambiguous_key');
    const none = setup({
      'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: { keys: [] } }),
    });
    await expectRefused(none.keys.fromIssuerMetadata('https://issuer.example', undefined), 'ambiguous_key');
  });

  it('refuses a published key that carries d', async () => {
    const leaked = { ...(await crypto.subtle.exportKey('jwk', issuer.pair.privateKey)), kid: 'k1' };
    const { keys } = setup({
      'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', jwks: { keys: [leaked] } }),
    });
    await expectRefused(keys.fromIssuerMetadata('https://issuer.example', 'k1'), 'private_key_published');
  });

  it.each([
    ['both jwks and jwks_uri', { jwks: { keys: [] }, jwks_uri: 'https://issuer.example/jwks.json' }],
    ['neither jwks nor jwks_uri', {}],
    ['a jwks that is not a JWK Set', { jwks: [{ kid: 'k1' }] }],
    ['a jwks_uri that is not a string', { jwks_uri: { href: 'https://issuer.example/jwks.json' } }],
  ])('refuses metadata with %s', async (_name, members) => {
    const { keys } = setup({ 'https://issuer.example/.well-known/jwt-vc-issuer': json({ issuer: 'https://issuer.example', ...members }) });
    await expectRefused(keys.fromIssuerMetadata('https://issuer.example', 'k1'), 'unresolvable_issuer');
  });

  it('refuses an issuer identifier with a query or fragment, or that is not a URL', async () => {
    const { net, keys } = setup();
    for (const iss of ['https://issuer.example/t?x=1', 'https://issuer.example/t#x', 'https://issuer.example/t?', 'issuer.example']) {
      await expectRefused(keys.fromIssuerMetadata(iss, 'k1'), 'unresolvable_issuer');
    }
    expect(net.requests).toEqual([]);
  });
});
