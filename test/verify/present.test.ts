/** The holder's side: choose what an SD-JWT VC reveals, bind it to a verifier, and have it verify. */
import { base64url, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { bindToVerifier, disclosablePointers, selectDisclosures } from '../../src/verify/present.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment } from '../http/helpers.ts';
import { harnessVerification } from '../support/verify-env.ts';

describe('presenting an SD-JWT VC', () => {
  let t: TestDatabase;
  let h: Harness;
  let holder: Awaited<ReturnType<typeof generateKeyPair>>;
  let credential: string;
  const env = () => harnessVerification(h);
  const verifier = { audience: 'https://buyer.example', nonce: 'contract-2026-11' };

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } });
    holder = await generateKeyPair('ES256', { extractable: true });
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: await exportJWK(holder.publicKey) } },
    });
    credential = ((await res.json()) as { credentials: { credential: string }[] }).credentials[0]!.credential;
  });
  afterAll(() => t.dispose());

  it('lists what can be revealed, and reveals exactly the chosen claims with what they contain', async () => {
    const pointers = await disclosablePointers(credential);
    const controls = pointers.filter((p) => /^\/results\/[^/]+$/.test(p));
    expect(controls.length).toBe(readinessAssessment().results.length);
    expect(pointers.some((p) => /^\/results\/[^/]+\/evidence\/0$/.test(p))).toBe(true);

    const chosen = controls.slice(0, 2);
    const presentation = await selectDisclosures(credential, chosen);
    const r = await verifyCredential(presentation, env());
    expect(r.verified).toBe(true);
    const results = r.claims!.results as Record<string, { evidence: unknown[] }>;
    expect(Object.keys(results).map((k) => `/results/${k}`)).toEqual(chosen);
    // Evidence inside a chosen result comes with it; the verdict stays, the others stay hidden.
    for (const k of Object.keys(results)) expect(results[k]!.evidence.length).toBeGreaterThan(0);
    expect(r.readiness?.recomputed).toBe(false);

    // Revealing one evidence item brings its enclosing result, and nothing else of it.
    const evidence = pointers.find((p) => p.endsWith('/evidence/0'))!;
    const narrow = await verifyCredential(await selectDisclosures(credential, [evidence]), env());
    const [only] = Object.values(narrow.claims!.results as Record<string, { evidence: unknown[] }>);
    expect(only!.evidence).toHaveLength(1);

    await expect(selectDisclosures(credential, ['/verdict'])).rejects.toMatchObject({ code: 'not_disclosable' });
  });

  it('binds the presentation to one verifier with the holder key: verified there, refused for another audience', async () => {
    const presentation = await selectDisclosures(credential, []);
    const bound = await bindToVerifier(presentation, { key: holder.privateKey, alg: 'ES256' }, verifier, h.clock());
    expect((await verifyCredential(bound, env(), { keyBinding: verifier })).verified).toBe(true);
    const elsewhere = await verifyCredential(bound, env(), { keyBinding: { ...verifier, audience: 'https://someone.else' } });
    expect(elsewhere.checks.filter((c) => !c.ok).map((c) => c.code)).toEqual(['wrong_audience']);
  });

  it('POST /v1/present prepares the key-binding JWT for the holder to sign, without ever taking its key', async () => {
    const res = await h.request('POST', '/v1/present', {
      body: { credential, reveal: ['/results/' + readinessAssessment().results[0]!.control], key_binding: { ...verifier, alg: 'ES256' } },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { presentation: string; key_binding: { signing_input: string; payload: Record<string, unknown> } };
    expect(body.key_binding.payload).toMatchObject({ aud: verifier.audience, nonce: verifier.nonce });
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      holder.privateKey as CryptoKey,
      new TextEncoder().encode(body.key_binding.signing_input),
    );
    const presented = `${body.presentation}${body.key_binding.signing_input}.${base64url.encode(new Uint8Array(signature))}`;

    const verified = await h.request('POST', '/v1/verify', { body: { credential: presented, key_binding: verifier } });
    expect(((await verified.json()) as { verified: boolean }).verified).toBe(true);

    await expectProblem(await h.request('POST', '/v1/present', { body: { credential, reveal: ['/nope'] } }), 422, 'invalid_presentation');
    await expectProblem(
      await h.request('POST', '/v1/present', { body: { credential, reveal: [], holder_key: { d: 'x' } } }),
      400,
      'invalid_request',
    );
  });

  it('POST /v1/present answers an SD-JWT nested too deep to walk with a 422 problem, never a 5xx', async () => {
    const deep = `{"a":${'['.repeat(90_000)}${']'.repeat(90_000)}}`;
    const sdJwt = `${base64url.encode('{"alg":"ES256","typ":"dc+sd-jwt"}')}.${base64url.encode(deep)}.c2lnbmF0dXJl~`;
    await expectProblem(await h.request('POST', '/v1/present', { body: { credential: sdJwt, reveal: [] } }), 422, 'invalid_presentation');
  });
});
