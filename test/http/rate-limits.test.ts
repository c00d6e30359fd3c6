/**
 * Issue 11: per-API-key rate limits on operator and issuance routes, per client address on
 * public ones, advertised with RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers)
 * and refused with 429 and Retry-After; TRUST_PROXY decides which X-Forwarded-For hop is the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { expectProblem } from './helpers.ts';

const remaining = (res: Response, policy: string) => {
  const m = new RegExp(`"${policy}";r=(\\d+);t=(\\d+)`).exec(res.headers.get('ratelimit') ?? '');
  return m ? Number(m[1]) : undefined;
};

describe('rate limits', () => {
  let t: TestDatabase;
  let h: Harness;
  let first: string;
  let second: string;

  const mint = async () => {
    const res = await h.request('POST', '/v1/t/a/api-keys', { token: h.adminToken, body: { roles: ['keys', 'issuer'], label: 'k' } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  };
  const fromAddress = (path: string, address: string, headers: Record<string, string> = {}) =>
    h.app.fetch(new Request(`${ORIGIN}${path}`, { headers }), { ...h.bindings, clientAddress: address });

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, {
      env: { RATE_LIMIT_OPERATOR_PER_MINUTE: '5', RATE_LIMIT_ISSUANCE_PER_MINUTE: '2', RATE_LIMIT_PUBLIC_PER_MINUTE: '3' },
    });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'A' } })).status).toBe(201);
    first = await mint();
    second = await mint();
  });
  afterAll(() => t.dispose());

  it('advertises the operator policy per API key, counts down, then answers 429 with Retry-After; another key has its own bucket', async () => {
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.request('GET', '/v1/t/a/keys', { token: first });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"operator";q=5;w=60');
      seen.push(remaining(res, 'operator'));
    }
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    const refused = await h.request('GET', '/v1/t/a/keys', { token: first });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(remaining(refused, 'operator')).toBe(0);
    await expectProblem(refused, 429, 'rate_limited');

    const other = await h.request('GET', '/v1/t/a/keys', { token: second });
    expect(other.status).toBe(200);
    expect(remaining(other, 'operator')).toBe(4);
    // The bucket is named by the key's id, never its secret: nothing of the token in any log line.
    expect(h.logLines.join('\n')).not.toContain(first.slice('lp_'.length + 16 + 1));
  });

  it('counts issuance routes against their own, smaller policy', async () => {
    const key = await mint();
    const ask = () => h.request('POST', '/v1/t/a/offers', { token: key, body: { assessment_id: crypto.randomUUID() } });
    const a = await ask();
    expect(a.headers.get('ratelimit-policy')).toBe('"issuance";q=2;w=60');
    expect(remaining(a, 'issuance')).toBe(1);
    await ask();
    const refused = await ask();
    expect(refused.headers.get('retry-after')).toBeTruthy();
    await expectProblem(refused, 429, 'rate_limited');
  });

  it('limits public routes per client address, and ignores X-Forwarded-For when TRUST_PROXY is unset', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fromAddress('/.well-known/did.json', '198.51.100.1', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.headers.get('ratelimit-policy')).toBe('"public";q=3;w=60');
      expect(remaining(res, 'public')).toBe(2 - i);
    }
    const spoofed = await fromAddress('/.well-known/did.json', '198.51.100.1', { 'x-forwarded-for': '203.0.113.99' });
    expect(spoofed.status).toBe(429);
    expect(spoofed.headers.get('retry-after')).toBeTruthy();
    expect((await fromAddress('/.well-known/did.json', '198.51.100.2')).status).not.toBe(429);
    h.clock.set(new Date(h.clock().getTime() + 61_000));
    expect((await fromAddress('/.well-known/did.json', '198.51.100.1')).status).not.toBe(429);
  });

  it('counts refused and missing credentials on /v1 per client address, then refuses them with 429 before any lookup', async () => {
    const call = (address: string, token?: string) =>
      h.app.fetch(new Request(`${ORIGIN}/v1/t/a/keys`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), {
        ...h.bindings,
        clientAddress: address,
      });
    const guesses: number[] = [];
    for (let i = 0; i < 3; i++) guesses.push((await call('198.51.100.23', `lp_guess${i}_${'x'.repeat(40)}`)).status);
    guesses.push((await call('198.51.100.23')).status);
    expect(guesses).toEqual([401, 401, 401, 429]);
    // Spent: refused at once, even with a real key, until the window turns (no key lookup per guess).
    const spent = await call('198.51.100.23', second);
    await expectProblem(spent, 429, 'rate_limited');
    expect(Number(spent.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(spent.headers.get('ratelimit-policy')).toBe('"unauthenticated";q=3;w=60');
    // Another address is not affected, and an accepted key never spends this quota.
    expect((await call('198.51.100.24', second)).status).toBe(200);
  });
});

describe('rate limits behind a proxy (TRUST_PROXY=1)', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '2', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.dispose());

  const viaProxy = (xff: string) =>
    h.app.fetch(new Request(`${ORIGIN}/.well-known/did.json`, { headers: { 'x-forwarded-for': xff } }), {
      ...h.bindings,
      clientAddress: '10.0.0.1',
    });

  it('keys on the hop the proxy appended (the rightmost), so what a client writes to the left changes nothing', async () => {
    expect((await viaProxy('1.1.1.1, 203.0.113.5')).status).toBe(200);
    expect((await viaProxy('2.2.2.2, 203.0.113.5')).status).toBe(200);
    expect((await viaProxy('3.3.3.3, 203.0.113.5')).status).toBe(429);
    // Another client behind the same proxy has its own bucket.
    expect((await viaProxy('203.0.113.6')).status).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  it('takes false or a number of proxies, and refuses true: the count decides which hop is the client', async () => {
    const { parseConfig, ConfigError } = await import('../../src/config/index.ts');
    expect(parseConfig({ LAUNCHPROOF_ENV: 'test' }).trustProxy).toBe(0);
    expect(parseConfig({ LAUNCHPROOF_ENV: 'test', TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    expect(parseConfig({ LAUNCHPROOF_ENV: 'test', TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(() => parseConfig({ LAUNCHPROOF_ENV: 'test', TRUST_PROXY: 'true' })).toThrow(ConfigError);
  });
});
