/** POST /v1/verify: public, rate-limited, a 200 report for any credential and a 4xx problem for any non-request. */
import { base64url, CompactSign, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment } from '../http/helpers.ts';

interface Report {
  verified: boolean;
  format?: string;
  issuer?: string;
  checks: { name: string; ok: boolean; code: string }[];
  status?: { value: string };
  readiness?: { strict_gate_passed: unknown; recomputed: boolean };
}

describe('POST /v1/verify', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '20' } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const verify = (body: unknown, address = '192.0.2.1') =>
    Promise.resolve(
      h.app.fetch(
        new Request('https://issuer.test/v1/verify', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        { ...h.bindings, clientAddress: address },
      ),
    );
  const report = async (body: unknown, address?: string) => {
    const res = await verify(body, address);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return (await res.json()) as Report;
  };

  it('verifies a credential of this deployment without credentials of its own, and reports its revocation', async () => {
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt', 'vc+jwt'] },
    });
    const [sd, vc] = ((await issued.json()) as { credentials: { id: string; credential: string }[] }).credentials;
    for (const c of [sd!, vc!]) {
      const r = await report({ credential: c.credential });
      expect(r).toMatchObject({ verified: true, status: { value: 'valid' }, readiness: { strict_gate_passed: true, recomputed: true } });
    }
    await h.request('PATCH', `/v1/t/acme/credentials/${sd!.id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test' },
    });
    const revoked = await report({ credential: sd!.credential });
    expect(revoked.verified).toBe(false);
    expect(revoked.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ name: 'status', code: 'revoked' })]);
  });

  it('answers a credential that is not one with a 200 report, and a request that is not one with a 4xx problem', async () => {
    const r = await report({ credential: 'definitely not a credential' });
    expect(r).toMatchObject({ verified: false, checks: [{ name: 'format', ok: false }] });
    await expectProblem(await verify({}), 400, 'invalid_request');
    await expectProblem(await verify({ credential: 'x', extra: 1 }), 400, 'invalid_request');
    await expectProblem(await verify({ credential: 42 }), 400, 'invalid_request');
    const raw = await h.app.fetch(
      new Request('https://issuer.test/v1/verify', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      h.bindings,
    );
    await expectProblem(raw, 415, 'unsupported_media_type');
    await expectProblem(await verify({ credential: 'x'.repeat(400_000) }), 413, 'payload_too_large');
  });

  it('limits each client, not everyone, and says when to come back', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await verify({ credential: 'x' }, '198.51.100.7')).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await verify({ credential: 'x' }, '198.51.100.7');
    await expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await verify({ credential: 'x' }, '198.51.100.8')).status).toBe(200);
    h.clock.set(new Date(h.clock().getTime() + 61_000));
    expect((await verify({ credential: 'x' }, '198.51.100.7')).status).toBe(200);
  });
});

describe('POST /v1/verify with issuers elsewhere', () => {
  let t: TestDatabase;
  let h: Harness;
  let jwkDid: string;
  let signingKey: CryptoKey;
  const requested: string[] = [];
  let webDidDocument: Record<string, unknown> | undefined;

  const vcJwt = (issuer: string, kid: string) =>
    new CompactSign(
      new TextEncoder().encode(
        JSON.stringify({
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiableCredential'],
          issuer,
          validFrom: '2025-12-01T00:00:00Z',
          credentialSubject: { id: 'did:example:subject', note: 'issued elsewhere' },
        }),
      ),
    )
      .setProtectedHeader({ alg: 'ES256', typ: 'vc+jwt', kid })
      .sign(signingKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey as CryptoKey;
    const publicJwk = await exportJWK(pair.publicKey);
    jwkDid = `did:jwk:${base64url.encode(JSON.stringify({ ...publicJwk, alg: 'ES256' }))}`;
    webDidDocument = {
      id: 'did:web:partner.example',
      verificationMethod: [
        { id: 'did:web:partner.example#k1', type: 'JsonWebKey2020', controller: 'did:web:partner.example', publicKeyJwk: publicJwk },
      ],
      assertionMethod: ['did:web:partner.example#k1'],
    };
    t = await freshPglite();
    h = await harness(t.db, {
      env: { TRUSTED_ISSUERS: jwkDid },
      // The network edge: a public partner host, and a record of every request that leaves.
      fetch: async (input) => {
        const url = input instanceof Request ? input.url : String(input);
        requested.push(url);
        if (url === 'https://partner.example/.well-known/did.json') return Response.json(webDidDocument);
        return new Response('not found', { status: 404 });
      },
    });
  });
  afterAll(() => t.dispose());

  const verify = async (credential: string) =>
    (await (await h.request('POST', '/v1/verify', { body: { credential } })).json()) as Report & {
      checks: { name: string; ok: boolean; code: string }[];
    };
  const failedChecks = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);

  it('verifies a did:jwk issuer the configuration trusts, without any fetch', async () => {
    const r = await verify(await vcJwt(jwkDid, `${jwkDid}#0`));
    expect(failedChecks(r)).toEqual([]);
    expect(r.verified).toBe(true);
    expect(requested).toEqual([]);
  });

  it('resolves a public did:web issuer over the network edge, and reports it as untrusted', async () => {
    const r = await verify(await vcJwt('did:web:partner.example', 'did:web:partner.example#k1'));
    expect(failedChecks(r)).toEqual(['issuer_trusted:untrusted_issuer']);
    expect(r.verified).toBe(false);
    expect(requested).toContain('https://partner.example/.well-known/did.json');
  });

  it('never fetches a did:web that points at a loopback or private address', async () => {
    requested.length = 0;
    for (const did of [
      'did:web:127.0.0.1',
      'did:web:10.1.2.3%3A8443',
      'did:web:localhost',
      'did:web:%5B%3A%3A1%5D',
      'did:web:169.254.169.254',
    ]) {
      const r = await verify(await vcJwt(did, `${did}#k1`));
      expect(failedChecks(r), did).toContain('issuer_key:unsafe_url');
    }
    expect(requested).toEqual([]);
  });
});
